/**
 * Client batching with real processes (docs/transfers.md, "Batches"): many concurrent requests
 * travel in a few NATS messages each way and each gets its own answer; a slow request of a batch
 * does not hold back the others; a bad batch is refused whole, counted, and nothing of it runs.
 * A separate connection watches the request and reply subjects on the broker.
 */
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { after, before, describe, test } from 'node:test';
import { LedgerClient, type TransferResult } from '../../src/client/ledger-client.js';
import { RequestBatcher } from '../../src/client/request-batcher.js';
import { encodeCbor } from '../../src/codec/cbor.js';
import { decodeEnvelope, envelopeVersion } from '../../src/codec/envelope.js';
import { limits } from '../../src/core/limits.js';
import { defaultTopology } from '../../src/ledger/topology.js';
import type { Envelope } from '../../src/protocol/envelope.js';
import { asAdmin } from '../../src/node/nats-access.js';
import { NoRespondersError, type Transport } from '../../src/transport/transport.js';
import { killBroker, restartBroker, TestCluster } from './harness.js';

/** Every message on the nodes' request subjects and on the clients' inboxes, decoded. */
class Wire {
  readonly requests: Array<{ subject: string; envelope: Envelope | undefined }> = [];
  readonly replies: Array<{ subject: string; envelope: Envelope | undefined; atMs: number }> = [];
  constructor(watcher: Transport) {
    const decode = (data: Uint8Array) => {
      try {
        return decodeEnvelope(data);
      } catch {
        return undefined;
      }
    };
    watcher.subscribe('ledger.*.req', (m) => this.requests.push({ subject: m.subject, envelope: decode(m.data) }));
    watcher.subscribe('ledger.inbox.>', (m) =>
      this.replies.push({ subject: m.subject, envelope: decode(m.data), atMs: performance.now() }),
    );
  }
  clear(): void {
    this.requests.length = 0;
    this.replies.length = 0;
  }
}

describe('client batching with real processes', () => {
  let cluster: TestCluster;
  let transport: Transport;
  let watcher: Transport;
  let wire: Wire;
  let client: LedgerClient;
  before(async () => {
    // Without logins: the watcher reads every request and every inbox, which no user may.
    cluster = await TestCluster.start(['--no-auth']);
    watcher = await cluster.connect(asAdmin, 'it-batch-watch', true);
    wire = new Wire(watcher);
    await watcher.flush();
    transport = await cluster.connect(asAdmin, 'it-batch', true);
    client = new LedgerClient(transport, defaultTopology, 'ledger', { attemptTimeoutMs: 5_000, deadlineMs: 20_000 });
    // Warm up: the leader is known, and this client's inbox subscription is in place.
    assert.equal((await client.transfer(2999, 3000, 1)).status, 'committed');
  });
  after(async () => {
    await transport?.close();
    await watcher?.close();
    await cluster?.close();
  });

  test('200 concurrent requests through a follower travel in a few messages each way, and each gets its own answer', async () => {
    // Through a follower: it forwards them to the leader, which answers the client.
    const leader = (await client.nodeStatus(1)).leader;
    assert.ok(leader !== undefined);
    const follower = leader === 1 ? 2 : 1;
    client.preferNode(1, follower);
    // The watcher's own connection may still be receiving its copy of the status reply: a round
    // trip first, so that the count starts clean (it once saw 201 answers for 200 requests).
    await watcher.flush();
    wire.clear();
    const n = 200;
    // Accounts 1..400 each start with 10: even ones ask for more than that, odd ones for 1.
    const results = await Promise.all(
      Array.from({ length: n }, (_, i) => client.transfer(i + 1, i + 201, i % 2 === 0 ? 11 : 1)),
    );
    for (const [i, r] of results.entries()) {
      const expected = i % 2 === 0 ? 'insufficient-funds' : 'committed';
      assert.equal(r.status, expected, `transfer ${i + 1} -> ${i + 201}: ${JSON.stringify(r)}`);
    }
    await watcher.flush();
    const batches = wire.requests.filter((m) => m.envelope?.kind === 'request-batch');
    const forwarded = batches.reduce(
      (k, m) => k + (m.envelope?.kind === 'request-batch' ? m.envelope.items.length : 0),
      0,
    );
    assert.ok(wire.requests.length <= n / 10, `${wire.requests.length} request messages for ${n} requests`);
    assert.ok(forwarded >= 2 * n, `each request reached node ${follower}, then the leader: ${forwarded} items`);
    assert.ok(
      batches.some((m) => m.subject === `ledger.n${leader}.req`),
      'the follower forwarded them to the leader in batches',
    );
    const answers = wire.replies.filter((m) => m.envelope?.kind === 'response-batch');
    assert.ok(wire.replies.length <= n / 10, `${wire.replies.length} reply messages for ${n} requests`);
    // One outcome each. A loaded node may also tell a request busy or redirect it first (the
    // client then sends it again): that is an answer too, but no outcome.
    const items = answers.flatMap((m) => (m.envelope?.kind === 'response-batch' ? m.envelope.items : []));
    const outcomes = items.filter((item) => item.response.kind === 'outcome');
    assert.equal(outcomes.length, n, 'one outcome each');
    assert.equal(new Set(outcomes.map((item) => item.id)).size, n, 'each to its own request');
    assert.ok(items.length - n <= n / 10, `${items.length - n} answers besides the outcomes`);
    // The answers took effect: balances as each transfer said.
    assert.equal((await client.balance(2)).balance, 9);
    assert.equal((await client.balance(202)).balance, 11);
    assert.equal((await client.balance(1)).balance, 10);
    assert.equal((await client.balance(201)).balance, 10);
  });

  test('a slow request of a batch (a cross-shard transfer held back) does not delay the others past their commit', async () => {
    const leader = (await client.nodeStatus(1)).leader ?? 1;
    client.preferNode(1, leader);
    // Leaders start no new cross-shard transfer for 2 s: the one in the batch waits that long.
    const holdMs = 2_000;
    await client.holdCrossShard(holdMs);
    wire.clear();
    const started = performance.now();
    const timed = (p: Promise<TransferResult>) => p.then((r) => ({ r, ms: performance.now() - started }));
    const slow = timed(client.transfer(1001, 4001, 1));
    const fast = await Promise.all(Array.from({ length: 20 }, (_, i) => timed(client.transfer(1101 + i, 1201 + i, 1))));
    const fastDoneMs = performance.now() - started;
    const held = await slow;
    for (const { r } of fast) assert.equal(r.status, 'committed');
    assert.equal(held.r.status, 'committed');
    assert.ok(
      fastDoneMs < holdMs / 2,
      `the 20 intra-shard transfers were answered at their commit (${fastDoneMs.toFixed(0)} ms), not held back`,
    );
    assert.ok(held.ms >= holdMs * 0.75, `the cross-shard one waited for the hold (${held.ms.toFixed(0)} ms)`);
    // On the wire: all 21 left in one batch, and their answers came in more than one message.
    await watcher.flush();
    const sent = wire.requests.filter(
      (m) => m.envelope?.kind === 'request-batch' && m.subject === `ledger.n${leader}.req`,
    );
    assert.equal(sent.length, 1, `${sent.length} request batches`);
    assert.equal(sent[0]?.envelope?.kind === 'request-batch' && sent[0].envelope.items.length, 21);
    const answerMessages = wire.replies.filter((m) => m.envelope?.kind === 'response-batch');
    assert.ok(answerMessages.length >= 2 && answerMessages.length <= 5, `${answerMessages.length} answer messages`);
    const last = answerMessages.at(-1)?.envelope;
    assert.ok(last?.kind === 'response-batch' && last.items.length === 1, 'the slow one came alone, last');
  });

  test('a bad batch is refused whole with the reason, counted, and none of its requests runs', async () => {
    const leader = (await client.nodeStatus(1)).leader ?? 1;
    const malformedBefore = (await client.nodeStatus(leader)).malformedMessages;
    const command = (seq: number) => ({
      clientId: 'bad-batch',
      seq,
      op: { kind: 'transfer', from: 2001, to: 2002, amount: 3 },
    });
    const batch = (items: unknown, extra: object = {}) =>
      encodeCbor({ v: envelopeVersion, kind: 'request-batch', hops: 0, items, ...extra });
    const cases: Array<[string, Uint8Array, RegExp]> = [
      [
        'duplicate ids',
        batch([
          { id: 1, command: command(1) },
          { id: 1, command: command(2) },
        ]),
        /appears twice/,
      ],
      [
        'too many requests',
        batch(Array.from({ length: limits.requestsPerBatchMax + 1 }, (_, i) => ({ id: i, command: command(i + 1) }))),
        /at most 256/,
      ],
      [
        'oversized',
        batch([{ id: 1, command: command(1) }], { pad: 'x'.repeat(limits.requestBatchBytesMax) }),
        /too large/,
      ],
      [
        'one malformed request',
        batch([
          { id: 1, command: command(1) },
          { id: 2, command: { ...command(2), seq: -1 } },
        ]),
        /seq/,
      ],
    ];
    for (const [what, data, reason] of cases) {
      const answer = decodeEnvelope(await transport.request(`ledger.n${leader}.req`, data, 5_000));
      assert.ok(answer.kind === 'response' && answer.response.kind === 'refused', what);
      assert.match(answer.response.reason, reason, what);
    }
    const status = await client.nodeStatus(leader);
    assert.equal(status.malformedMessages - malformedBefore, cases.length, 'each counted');
    // Nothing ran: both accounts as they started, on every replica.
    for (const account of [2001, 2002])
      for (const r of await client.replicaBalances(account))
        assert.equal(r.balance, 10, `account ${account} at n${r.node}`);
  });

  test("a batch to a node nobody serves fails at once on the broker's no-responders notice, not at its timeout", async () => {
    const batcher = new RequestBatcher(transport, 'ledger.inbox.it-batch-nobody');
    const command = { clientId: 'nobody', seq: 1, op: { kind: 'transfer' as const, from: 1, to: 2, amount: 1 } };
    const started = performance.now();
    // A subject outside the watched ones (the watcher would be a listener).
    const attempts = [1, 2].map((seq) => batcher.request('nobody.n99.req', { ...command, seq }, undefined, 10_000));
    for (const attempt of attempts) await assert.rejects(attempt, NoRespondersError);
    assert.ok(performance.now() - started < 5_000, `${(performance.now() - started).toFixed(0)} ms`);
    assert.equal(batcher.inFlight, 0);
  });

  test("a long-lived client's batches ride out a broker restart: its inbox subscription comes back", async () => {
    assert.equal((await client.transfer(1501, 1502, 1)).status, 'committed');
    await killBroker(cluster.dataDir);
    // Not sent while the broker is down: it waits for the connection, then goes.
    const during = client.transfer(1503, 1504, 1);
    cluster.adopt(await restartBroker(cluster.dataDir));
    const r = await during;
    assert.equal(r.status, 'committed', JSON.stringify(r));
    const burst = await Promise.all(Array.from({ length: 50 }, (_, i) => client.transfer(1601 + i, 1701 + i, 1)));
    assert.deepEqual(
      burst.filter((b) => b.status !== 'committed'),
      [],
      'every request of the burst answered through the inbox',
    );
  });
});
