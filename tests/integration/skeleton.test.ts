import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { encodeCbor } from '../../src/codec/cbor.js';
import { decodeEnvelope, encodeEnvelope, envelopeVersion } from '../../src/codec/envelope.js';
import { asAdmin } from '../../src/node/nats-access.js';
import { TestCluster, waitUntil } from './harness.js';

describe('a 3x3 cluster of real processes over a real nats-server', () => {
  let cluster: TestCluster;

  before(async () => {
    cluster = await TestCluster.start();
  });
  after(async () => {
    await cluster?.close();
  });

  test('cluster status lists 9 nodes, one leader per cluster', async () => {
    const { nodes } = await cluster.json(['cluster', 'status']);
    assert.equal(nodes.length, 9);
    for (const c of [1, 2, 3]) {
      const members = nodes.filter((n: any) => n.cluster === c);
      assert.equal(members.length, 3);
      assert.equal(members.filter((n: any) => n.role === 'leader').length, 1, `cluster ${c} has one leader`);
      for (const n of members) assert.equal(n.synchronous, 'full');
    }
  });

  test('a committed transfer is visible on all 3 replicas of its cluster', async () => {
    const result = await cluster.json(['transfer', '3001', '3002', '4']);
    assert.equal(result.status, 'committed');
    assert.ok(result.latencyMs > 0);
    const read = await cluster.json(['balance', '3002']);
    assert.equal(read.balance, 14);
    // Followers apply once the leader's commit index reaches them (next accept or heartbeat).
    await waitUntil('every replica applied the transfer', 10_000, async () => {
      const r = await cluster.json(['balance', '3001', '--replicas']);
      return r.replicas.length === 3 && r.replicas.every((x: any) => x.balance === 6);
    });
    const replicas = (await cluster.json(['balance', '3002', '--replicas'])).replicas;
    assert.deepEqual(
      replicas.map((r: any) => [r.node, r.balance]),
      [
        [4, 14],
        [5, 14],
        [6, 14],
      ],
    );
  });

  test('reads at each consistency level agree once a transfer is applied everywhere', async () => {
    assert.equal((await cluster.json(['transfer', '7001', '7002', '2'])).status, 'committed');
    await waitUntil('every replica applied it', 10_000, async () =>
      (await cluster.json(['balance', '7001', '--replicas'])).replicas.every((r: any) => r.balance === 8),
    );
    for (const consistency of ['linearizable', 'leader', 'any']) {
      assert.equal((await cluster.json(['balance', '7001', '--consistency', consistency])).balance, 8, consistency);
    }
    const bad = await cluster.cli(['balance', '7001', '--consistency', 'eventual']);
    assert.equal(bad.code, 2, 'an unknown consistency level is a usage error');
  });

  test('any node serves a request: a follower forwards it to its leader', async () => {
    const { nodes } = await cluster.json(['cluster', 'status']);
    const follower = nodes.find((n: any) => n.cluster === 3 && n.role === 'follower');
    assert.ok(follower, 'cluster 3 has a follower');
    const before = (await cluster.json(['balance', '6001'])).balance;
    // The client sends to its guess of the leader; ask the follower directly over NATS instead.
    const transport = await cluster.connect(asAdmin, 'test', false);
    try {
      const request = encodeEnvelope({
        kind: 'request',
        command: { clientId: 'forward-test', seq: 1, op: { kind: 'transfer', from: 6001, to: 6002, amount: 1 } },
        hops: 0,
      });
      const { decodeEnvelope } = await import('../../src/codec/envelope.js');
      const reply = decodeEnvelope(await transport.request(`ledger.n${follower.node}.req`, request, 5_000));
      assert.equal(reply.kind, 'response');
      assert.ok(
        reply.kind === 'response' && reply.response.kind === 'outcome' && reply.response.outcome.status === 'committed',
      );
      assert.equal(reply.response.kind === 'outcome' && reply.response.servedBy, follower.leader);
    } finally {
      await transport.close();
    }
    assert.equal((await cluster.json(['balance', '6001'])).balance, before - 1);
  });

  test('insufficient-funds leaves balances untouched', async () => {
    const before = [
      (await cluster.json(['balance', '1001'])).balance,
      (await cluster.json(['balance', '1002'])).balance,
    ];
    const r = await cluster.cli(['transfer', '1001', '1002', '1000', '--json']);
    assert.equal(r.code, 1);
    assert.equal(r.json.status, 'insufficient-funds');
    const after = [
      (await cluster.json(['balance', '1001'])).balance,
      (await cluster.json(['balance', '1002'])).balance,
    ];
    assert.deepEqual(after, before);
  });

  test('bad input gets a one-line error, a non-zero exit and no state change', async () => {
    const before = (await cluster.json(['balance', '10'])).balance;
    const cases: Array<[string[], RegExp]> = [
      [['transfer', '10', '11', '0'], /greater than zero/],
      [['transfer', '10', '11', '-3'], /must be positive/],
      [['transfer', '10', '11', '1.5'], /whole number/],
      [['transfer', '10', '11', '99999999999999999999'], /too large/],
      [['transfer', '10', '10', '1'], /itself/],
      [['transfer', '10', '90000', '1'], /does not exist/],
      [['transfer', '0', '11', '1'], /greater than zero/],
      [['transfer', 'ten', '11', '1'], /must be a number/],
      [['balance', '90001'], /does not exist/],
      [['cluster', 'start', '--detach', '--election-ticks', 'sixty'], /MIN-MAX/],
      [['node', 'fail', 'nine'], /node id/],
    ];
    for (const [args, message] of cases) {
      const r = await cluster.cli(args);
      assert.equal(r.code, 2, `${args.join(' ')} exits 2 (got ${r.code}: ${r.stderr})`);
      assert.match(r.stderr, message);
      assert.match(r.stderr.split('\n')[0] ?? '', /^error: /);
    }
    const flags = await cluster.cli(['transfer', '10', '11', '1', '--no-such-flag']);
    assert.equal(flags.code, 2, 'an unknown flag is a usage error');
    assert.equal((await cluster.json(['balance', '10'])).balance, before);
  });

  test('malformed bytes on node subjects are counted and dropped; the node keeps serving', async () => {
    // Garbage from a member's own credentials (n2): nobody else may publish on a Paxos subject.
    const transport = await cluster.connect({ kind: 'node', node: 2 }, 'fuzz', false);
    try {
      const garbage = [
        new Uint8Array([0xff, 0x00, 0x13]),
        new TextEncoder().encode('{"not":"cbor"}'),
        encodeCbor({ v: envelopeVersion, kind: 'admin-reply', ok: true, body: 1 }),
      ];
      for (const subject of ['ledger.c1.paxos.n2', 'ledger.n1.paxos.n2', 'ledger.n3.paxos.n2'])
        for (const g of garbage) transport.publish(subject, g);
      for (const g of garbage) transport.publish('ledger.n1.req', g, 'nobody.listens');
      await transport.flush();
    } finally {
      await transport.close();
    }
    await waitUntil('node 1 counted the malformed messages', 10_000, async () => {
      const { nodes } = await cluster.json(['cluster', 'status']);
      return nodes.find((n: any) => n.node === 1).malformedMessages >= 6;
    });
    assert.equal((await cluster.json(['transfer', '5', '6', '1'])).status, 'committed');
  });

  test('node lead: the named node takes over its cluster with a NEW-VIEW, and the cluster keeps committing; a node that does not exist is bad input', async () => {
    const r = await cluster.json(['node', 'lead', 'n3']);
    assert.equal(r.node, 3);
    const c1 = (await cluster.json(['cluster', 'status'])).nodes.filter((n: any) => n.cluster === 1);
    assert.deepEqual(
      c1.filter((n: any) => n.role === 'leader').map((n: any) => n.node),
      [3],
    );
    assert.ok((await cluster.json(['view', '--node', '3'])).views.length >= 1, 'n3 recorded the NEW-VIEW it led');
    const t = await cluster.json(['transfer', '30', '31', '1']);
    assert.equal(t.status, 'committed');
    assert.equal(t.servedBy, 3);
    const bad = await cluster.cli(['node', 'lead', '99']);
    assert.equal(bad.code, 2, bad.stderr);
    assert.match(bad.stderr, /node 99 does not exist/);
  });

  test('cluster flush: balances, logs and views back to the start, nodes left out of --live failed, the first live node leads at once, the old generation dropped', async () => {
    assert.equal((await cluster.json(['transfer', '20', '21', '5'])).status, 'committed');
    const before = (await cluster.json(['cluster', 'status'])).nodes;
    const { nodes } = await cluster.json(['cluster', 'flush', '--live', 'n2,n3,n4,n5,n6,n7,n8,n9']);
    const generation = nodes[0].generation;
    assert.ok(generation > Math.max(...before.map((n: any) => n.generation)), 'a generation above every one before');
    assert.ok(
      nodes.every((n: any) => n.generation === generation),
      'the same new generation everywhere',
    );
    assert.deepEqual(
      nodes.filter((n: any) => n.failed).map((n: any) => n.node),
      [1],
    );
    assert.deepEqual(
      nodes.filter((n: any) => n.role === 'leader').map((n: any) => n.node),
      [2, 4, 7],
      'no election: the first live node of each cluster leads',
    );
    assert.deepEqual((await cluster.json(['db'])).accounts, [], 'every balance is back to its initial value');
    assert.deepEqual((await cluster.json(['view'])).views, [], 'PrintView starts empty');
    assert.equal((await cluster.json(['balance', '20'])).balance, 10);
    const t = await cluster.json(['transfer', '20', '21', '1']);
    assert.equal(t.status, 'committed');
    assert.equal(t.servedBy, 2);

    // A protocol message from before the flush (generation 0) is dropped, not applied.
    const transport = await cluster.connect(asAdmin, 'stale', false);
    try {
      const stale = encodeEnvelope({
        kind: 'paxos',
        cluster: 1,
        generation: 0,
        message: { type: 'prepare', from: 1, ballot: { round: 99, node: 1 } },
      });
      const asNode1 = await cluster.connect({ kind: 'node', node: 1 }, 'stale-n1', false);
      asNode1.publish('ledger.c1.paxos.n1', stale);
      await asNode1.flush();
      await asNode1.close();
      // A request or an operation sent in the old generation (held in a buffer while the flush
      // passed) is dropped, not run in the new one.
      const staleTransfer = encodeEnvelope({
        kind: 'request',
        hops: 0,
        generation: generation - 1,
        command: { clientId: 'stale-client', seq: 1, op: { kind: 'transfer', from: 30, to: 31, amount: 4 } },
      });
      await assert.rejects(transport.request('ledger.n2.req', staleTransfer, 1_500), 'no answer: dropped');
      const staleFail = decodeEnvelope(
        await transport.request(
          'ledger.n5.admin',
          encodeEnvelope({ kind: 'admin', op: 'fail', generation: generation - 1 }),
          5_000,
        ),
      );
      assert.ok(
        staleFail.kind === 'admin-reply' &&
          !staleFail.ok &&
          staleFail.code === 'stale-generation' &&
          /generation/.test(staleFail.message),
        `refused: ${JSON.stringify(staleFail)}`,
      );
      const current = encodeEnvelope({
        kind: 'request',
        hops: 0,
        generation,
        command: { clientId: 'current-client', seq: 1, op: { kind: 'transfer', from: 30, to: 31, amount: 2 } },
      });
      const answer = decodeEnvelope(await transport.request('ledger.n2.req', current, 5_000));
      assert.ok(
        answer.kind === 'response' &&
          answer.response.kind === 'outcome' &&
          answer.response.outcome.status === 'committed',
        JSON.stringify(answer),
      );
      // A flush that arrives late (a retry, another CLI) cannot take a node back a generation.
      const late = decodeEnvelope(
        await transport.request(
          'ledger.n3.admin',
          encodeEnvelope({ kind: 'admin', op: 'flush', flush: { generation: 1, leader: 2, failed: false } }),
          5_000,
        ),
      );
      assert.ok(
        late.kind === 'admin-reply' && !late.ok && late.code === 'stale-flush' && /not above/.test(late.message),
        `refused: ${JSON.stringify(late)}`,
      );
      // A request off its op's shape is refused at once with its code, not left to time out.
      const shapeless = decodeEnvelope(
        await transport.request(
          'ledger.n3.admin',
          encodeCbor({ v: envelopeVersion, kind: 'admin', op: 'balance' }),
          5_000,
        ),
      );
      assert.ok(
        shapeless.kind === 'admin-reply' &&
          !shapeless.ok &&
          shapeless.code === 'bad-request' &&
          /account/.test(shapeless.message),
        `refused: ${JSON.stringify(shapeless)}`,
      );
    } finally {
      await transport.close();
    }
    await waitUntil(
      'n3 dropped the stale prepare',
      10_000,
      async () =>
        (await cluster.json(['cluster', 'status'])).nodes.find((n: any) => n.node === 3).staleGenerationMessages >= 1,
    );
    const after = (await cluster.json(['cluster', 'status'])).nodes;
    assert.equal(after.find((n: any) => n.node === 2).role, 'leader', 'the stale prepare deposed nobody');
    assert.equal(after.find((n: any) => n.node === 5).failed, false, 'the stale fail acted on nothing');
    assert.equal((await cluster.json(['balance', '31'])).balance, 12, 'only the transfer of this generation ran');
    await cluster.json(['node', 'recover', '1']);
  });
});
