import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { LedgerClient } from '../../src/client/ledger-client.js';
import { writeTlsFiles } from '../../src/cluster/nats-security-files.js';
import { encodeEnvelope } from '../../src/codec/envelope.js';
import { allNodes, clusterOfNode, defaultTopology } from '../../src/ledger/topology.js';
import { asAdmin, asClient, natsConnectionOf } from '../../src/node/nats-access.js';
import type { NatsRole } from '../../src/node/nats-permissions.js';
import { connectNats, type NatsLogin } from '../../src/transport/nats.js';
import type { BrokerRefusal, Transport } from '../../src/transport/transport.js';
import { freePortBase, TestCluster, waitUntil } from './harness.js';

/**
 * Issue 16's "Permissions" and "Forged messages", against the real nats-server that `cluster
 * start` configures: logins and per-user permissions (docs/security.md), the sender check on
 * protocol subjects, and TLS with client certificates.
 */

/** Everything a refused message could have changed: each node's role, ballot, log and state
 *  hashes, and every balance that moved. */
async function ledgerState(client: LedgerClient): Promise<unknown> {
  const nodes = await Promise.all(
    allNodes(defaultTopology).map(async (node) => {
      const s = await client.nodeStatus(node, 2_000);
      const hashes = await client.stateHashes(node);
      return { node, role: s.role, ballot: s.ballot, applied: s.appliedIndex, failed: s.failed, hashes };
    }),
  );
  return nodes;
}

/** The state once every replica has applied what its leader has (a follower learns the last
 *  commit with the next message, which would otherwise look like a change made by a refusal). */
async function settledState(client: LedgerClient): Promise<unknown> {
  let state: unknown;
  await waitUntil('every replica caught up with its leader', 10_000, async () => {
    state = await ledgerState(client);
    const rows = state as Array<{ node: number; applied: number }>;
    return [1, 2, 3].every(
      (c) => new Set(rows.filter((r) => clusterOfNode(defaultTopology, r.node) === c).map((r) => r.applied)).size === 1,
    );
  });
  return state;
}

/** A connection that records what the broker refused it. */
async function recording(
  cluster: TestCluster,
  role: NatsRole,
  name: string,
): Promise<{ t: Transport; refused: BrokerRefusal[] }> {
  const t = await cluster.connect(role, name);
  const refused: BrokerRefusal[] = [];
  assert.ok(t.onBrokerRefusal !== undefined);
  t.onBrokerRefusal((r) => refused.push(r));
  return { t, refused };
}

async function refusedEach(refused: BrokerRefusal[], expected: BrokerRefusal[]): Promise<void> {
  await waitUntil(`the broker refusing ${JSON.stringify(expected)}`, 10_000, async () =>
    expected.every((e) => refused.some((r) => r.operation === e.operation && r.subject === e.subject)),
  );
}

describe('NATS logins, permissions and the sender check', () => {
  let cluster: TestCluster;
  let base: number;
  let admin: Transport;
  let client: LedgerClient;

  before(async () => {
    base = await freePortBase(9);
    cluster = await TestCluster.start([
      '--metrics-port-base',
      String(base),
      '--client-user',
      'teller-a',
      '--client-user',
      'teller-b',
    ]);
    admin = await cluster.connect(asAdmin, 'it-security-admin', true);
    client = new LedgerClient(admin, defaultTopology, 'ledger');
    assert.equal((await cluster.json(['transfer', '5', '3005', '7'])).status, 'committed');
  });
  after(async () => {
    await admin?.close();
    await cluster?.close();
  });

  test('client credentials publish on no paxos, 2pc or admin subject and read no other inbox; nothing changes', async () => {
    const stateBefore = await settledState(client);
    const { t, refused } = await recording(cluster, asClient, 'it-security-client');
    try {
      // Each would change something if delivered: a higher ballot, a 2PC decision, a failed node.
      const prepare = encodeEnvelope({
        kind: 'paxos',
        cluster: 1,
        generation: 0,
        message: { type: 'prepare', from: 2, ballot: { round: 99, node: 2 } },
      });
      const publishes = ['ledger.c1.paxos.n2', 'ledger.n1.paxos.n2', 'ledger.c1.2pc.c2', 'ledger.n1.admin'];
      for (const subject of publishes) t.publish(subject, prepare);
      await assert.rejects(
        t.request('ledger.n3.admin', encodeEnvelope({ kind: 'admin', op: 'fail' }), 1_000),
        'an admin request from a client gets no answer',
      );
      const reads = [
        'ledger.c1.paxos.*',
        'ledger.n1.paxos.*',
        'ledger.c2.2pc.*',
        'ledger.n1.admin',
        'ledger.events',
        'ledger.inbox.admin.>',
        '_INBOX.admin.>',
        'ledger.inbox.n1.>',
      ];
      for (const subject of reads) t.subscribe(subject, () => assert.fail(`a client read ${subject}`));
      await t.flush();
      await refusedEach(refused, [
        ...publishes.map((subject) => ({ operation: 'publish' as const, subject })),
        { operation: 'publish', subject: 'ledger.n3.admin' },
        ...reads.map((subject) => ({ operation: 'subscribe' as const, subject })),
      ]);
      assert.deepEqual(await ledgerState(client), stateBefore, 'every refusal left all state unchanged');
      // What a client may do, it still can: a transfer answered at its own inbox commits.
      const own = new LedgerClient(t, defaultTopology, 'ledger');
      const before = (await cluster.json(['balance', '20'])).balance;
      assert.equal((await own.transfer(20, 21, 1)).status, 'committed');
      assert.equal((await cluster.json(['balance', '20'])).balance, before - 1);
      assert.equal((await cluster.json(['transfer', '21', '20', '1'])).status, 'committed');
    } finally {
      await t.close();
    }
  });

  test("a named client's credentials read no other client's inbox, named or shared, and its own answers still reach it", async () => {
    const tellerA: NatsRole = { kind: 'client', name: 'teller-a' };
    const { t, refused } = await recording(cluster, tellerA, 'it-security-teller-a');
    try {
      assert.equal(t.user, 'client-teller-a');
      const reads = [
        'ledger.inbox.client-teller-b.>',
        '_INBOX.client-teller-b.>',
        'ledger.inbox.client.>',
        '_INBOX.client.>',
      ];
      for (const subject of reads) t.subscribe(subject, () => assert.fail(`teller-a read ${subject}`));
      await t.flush();
      await refusedEach(
        refused,
        reads.map((subject) => ({ operation: 'subscribe' as const, subject })),
      );
      const own = new LedgerClient(t, defaultTopology, 'ledger');
      assert.equal((await own.transfer(30, 31, 1)).status, 'committed');
      assert.equal((await cluster.json(['transfer', '31', '30', '1'])).status, 'committed');
    } finally {
      await t.close();
    }
  });

  test("a node's credentials publish on no other cluster's Paxos subject, nor as another node", async () => {
    const stateBefore = await settledState(client);
    const { t, refused } = await recording(cluster, { kind: 'node', node: 1 }, 'it-security-n1');
    try {
      const prepare = encodeEnvelope({
        kind: 'paxos',
        cluster: 2,
        generation: 0,
        message: { type: 'prepare', from: 1, ballot: { round: 99, node: 1 } },
      });
      const subjects = ['ledger.c2.paxos.n1', 'ledger.c2.paxos.n4', 'ledger.n4.paxos.n1', 'ledger.c1.paxos.n2'];
      for (const subject of subjects) t.publish(subject, prepare);
      await t.flush();
      await refusedEach(
        refused,
        subjects.map((subject) => ({ operation: 'publish', subject })),
      );
    } finally {
      await t.close();
    }
    assert.deepEqual(await ledgerState(client), stateBefore, 'every refusal left all state unchanged');
  });

  test('a connection without credentials, or with a wrong password, is refused', async () => {
    const login = natsConnectionOf(cluster.config, asClient);
    await assert.rejects(
      connectNats({ url: login.url, name: 'it-security-anonymous', longRunning: false }),
      /refused the connection.*[Aa]uthorization/,
    );
    await assert.rejects(
      connectNats({ ...login, password: `${login.password}x`, name: 'it-security-wrong', longRunning: false }),
      /refused the connection.*[Aa]uthorization/,
    );
  });

  test('a well-formed protocol message with a false sender is dropped and counted', async () => {
    const forgedBefore = await forgedCounts();
    const stateBefore = await settledState(client);
    // Node 2's own credentials, claiming to be node 1 (which leads cluster 1): a prepare with a
    // ballot beyond the current one would make every follower promise it, and the next
    // accepts of the real leader would be refused.
    const t = await cluster.connect({ kind: 'node', node: 2 }, 'it-security-forger');
    try {
      const generation = (await client.nodeStatus(1)).generation;
      const forged = encodeEnvelope({
        kind: 'paxos',
        cluster: 1,
        generation,
        message: { type: 'prepare', from: 1, ballot: { round: 1_000, node: 1 } },
      });
      t.publish('ledger.c1.paxos.n2', forged);
      t.publish('ledger.n3.paxos.n2', forged);
      // And a 2PC message claiming cluster 3 from a node of cluster 1, to cluster 2.
      const t1 = await cluster.connect({ kind: 'node', node: 2 }, 'it-security-forger-2pc');
      t1.publish(
        'ledger.c2.2pc.c1',
        encodeEnvelope({
          kind: '2pc',
          fromCluster: 3,
          generation,
          message: { type: 'query', txn: { clientId: 'forged', seq: 1 }, participant: 3 },
        }),
      );
      await t1.flush();
      await t1.close();
      await t.flush();
    } finally {
      await t.close();
    }
    // Only a cluster's leader hears its 2PC subject.
    const leader2 = (
      await Promise.all([4, 5, 6].map(async (n) => ({ n, role: (await client.nodeStatus(n)).role })))
    ).find((s) => s.role === 'leader')!.n;
    await waitUntil('the forged messages counted', 10_000, async () => {
      const now = await forgedCounts();
      // Node 1 and 3 hear the broadcast, node 3 the direct one; cluster 2's leader the 2PC one.
      return (
        now.paxos.get(1)! > forgedBefore.paxos.get(1)! &&
        now.paxos.get(3)! >= forgedBefore.paxos.get(3)! + 2 &&
        now.twoPc.get(leader2)! > forgedBefore.twoPc.get(leader2)!
      );
    });
    assert.deepEqual(await ledgerState(client), stateBefore, 'nothing of the forgery was stepped');
  });

  /** ledger_forged_messages_total of every node, by channel, from its /metrics. */
  async function forgedCounts(): Promise<{ paxos: Map<number, number>; twoPc: Map<number, number> }> {
    const paxos = new Map<number, number>();
    const twoPc = new Map<number, number>();
    for (const node of allNodes(defaultTopology)) {
      const text = await (await fetch(`http://127.0.0.1:${base + node}/metrics`)).text();
      const count = (channel: string) => {
        const m = new RegExp(`^ledger_forged_messages_total\\{[^}]*channel="${channel}"[^}]*\\} (\\d+)`, 'm').exec(
          text,
        );
        return m === null ? 0 : Number(m[1]);
      };
      paxos.set(node, count('paxos'));
      twoPc.set(node, count('2pc'));
    }
    return { paxos, twoPc };
  }
});

describe('TLS', () => {
  let cluster: TestCluster;
  const otherCa = mkdtempSync(join(tmpdir(), 'ledger-it-other-ca-'));

  before(async () => {
    cluster = await TestCluster.start(['--tls', '--clusters', '1', '--accounts', '10']);
  });
  after(async () => {
    await cluster?.close();
    rmSync(otherCa, { recursive: true, force: true });
  });

  test('every process talks TLS; a connection without TLS, or without a certificate of our CA, is refused', async () => {
    assert.equal(
      (await cluster.json(['transfer', '1', '2', '3'])).status,
      'committed',
      'the nodes and the CLI use TLS',
    );
    const login: NatsLogin = natsConnectionOf(cluster.config, asAdmin);
    assert.ok(login.tls !== undefined && login.user !== undefined);
    const { tls, ...plain } = login;
    await assert.rejects(connectNats({ ...plain, name: 'it-tls-plain', longRunning: false }), /refused|reach/);
    // A certificate and key that another CA signed, though the broker's own CA is trusted.
    const stranger = writeTlsFiles(otherCa).client;
    await assert.rejects(
      connectNats({
        ...plain,
        tls: { caFile: tls.caFile, certFile: stranger.certFile, keyFile: stranger.keyFile },
        name: 'it-tls-stranger',
        longRunning: false,
      }),
      /refused|reach/,
    );
    const ok = await connectNats({ ...login, name: 'it-tls-ok', longRunning: false });
    await ok.close();
  });
});
