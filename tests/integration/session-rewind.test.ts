/**
 * Issue 10, bug 1 with real processes: a cross-shard decision that comes after the client's
 * next request on the same session must not rewind the session, or a retry of that next
 * request runs again (cross-shard: debited twice, credited once). The requests are sent raw,
 * with chosen (client id, seq), as an impatient or old client would: LedgerClient itself no
 * longer reuses a session after an unknown answer.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { LedgerClient } from '../../src/client/ledger-client.js';
import { decodeEnvelope, encodeEnvelope } from '../../src/codec/envelope.js';
import type { NodeId } from '../../src/protocol/ids.js';
import type { Command, Outcome } from '../../src/protocol/commands.js';
import { defaultTopology } from '../../src/ledger/topology.js';
import { asAdmin } from '../../src/node/nats-access.js';
import { subjects } from '../../src/transport/subjects.js';
import type { Transport } from '../../src/transport/transport.js';
import { TestCluster, waitUntil } from './harness.js';

let cluster: TestCluster;
let transport: Transport;
let client: LedgerClient;

before(async () => {
  cluster = await TestCluster.start();
  transport = await cluster.connect(asAdmin, 'it-session-rewind', true);
  client = new LedgerClient(transport, defaultTopology, 'ledger', { attemptTimeoutMs: 500, deadlineMs: 10_000 });
});

after(async () => {
  await transport?.close();
  await cluster?.close();
});

/** One raw request to cluster 1 (nodes 1-3), following redirects; undefined if no answer in time. */
async function send(command: Command, deadlineMs: number): Promise<Outcome | undefined> {
  const data = encodeEnvelope({ kind: 'request', command, hops: 0 });
  const deadline = Date.now() + deadlineMs;
  let target: NodeId = 1;
  while (Date.now() < deadline) {
    try {
      const envelope = decodeEnvelope(
        await transport.request(
          subjects('ledger').nodeRequests(target),
          data,
          Math.max(1, Math.min(500, deadline - Date.now())),
        ),
      );
      if (envelope.kind !== 'response') throw new Error(`unexpected ${envelope.kind}`);
      const response = envelope.response;
      if (response.kind === 'outcome') return response.outcome;
      target =
        response.kind === 'redirect' && response.leaderHint !== undefined
          ? response.leaderHint
          : (((target % 3) + 1) as NodeId);
    } catch {
      target = ((target % 3) + 1) as NodeId;
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return undefined;
}

test('a late cross-shard decision does not rewind the session: the retry of the next transfer is not run again and money is conserved', async () => {
  const S = `it-rewind-${process.pid}`;
  // T1 = (S,1) into cluster 2, whose members are failed: no vote comes, and the coordinator
  // aborts it only at its vote timeout (2 s), long after the client gave up (300 ms).
  for (const node of [4, 5, 6]) await client.injectFault(node, 'fail');
  const t1: Command = { clientId: S, seq: 1, op: { kind: 'transfer', from: 101, to: 3101, amount: 5 } };
  assert.equal(await send(t1, 300), undefined, 'T1 is undecided when the client gives up');
  // T2 = (S,2), cross-shard into cluster 3, on the same session: it commits and ends.
  const t2: Command = { clientId: S, seq: 2, op: { kind: 'transfer', from: 102, to: 6102, amount: 3 } };
  assert.deepEqual(await send(t2, 10_000), { status: 'committed' });
  // T1's decision comes now: a linearizable read of 101 waits while T1 holds it.
  await waitUntil("T1's abort at its vote timeout", 20_000, async () => (await client.balance(101)).balance === 10);
  // A retry of T2 (its first answer lost, say): answered, not run again.
  assert.deepEqual(await send(t2, 10_000), { status: 'committed' });
  const moved = await Promise.all([101, 102, 6102].map(async (a) => (await client.balance(a)).balance));
  assert.deepEqual(moved, [10, 7, 13], 'T1 undone, T2 moved 3 once');
  assert.equal(
    moved.reduce((sum: number, b) => sum + (b ?? NaN), 0),
    30,
    'money is conserved',
  );
  // A retry of T1 gets T1's own outcome (its record is kept until cluster 2 acknowledges).
  assert.deepEqual(await send(t1, 10_000), { status: 'aborted', reason: 'timeout' });
  for (const node of [4, 5, 6]) await client.injectFault(node, 'recover');
  assert.equal((await client.balance(3101)).balance, 10, 'T1 never credited');
});
