/**
 * The client's side of the hot-account policy (lockWaitEnd in src/twopc/locks.ts): a request
 * whose accounts stayed held through the leader's lock wait is answered `busy`, `locked`, with
 * nothing of it chosen; LedgerClient sends the same (client id, seq) again after a short pause,
 * until its deadline, and then reports `unknown` (a copy on its way may still run).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LedgerClient, lockedRetryPauseMs } from '../../src/client/ledger-client.js';
import { decodeEnvelope, encodeEnvelope } from '../../src/codec/envelope.js';
import type { Command } from '../../src/protocol/commands.js';
import type { NodeStatus } from '../../src/protocol/admin.js';
import type { Response } from '../../src/protocol/client.js';
import { defaultTopology } from '../../src/ledger/topology.js';
import type { Transport } from '../../src/transport/transport.js';
import { alwaysConnected, BatchService } from './helpers/batch-service.js';

const locked: Response = { kind: 'busy', locked: true };
const committed: Response = { kind: 'outcome', outcome: { status: 'committed' }, servedBy: 2, slot: 9 };

/** Every node's answer to `status`: up, leading, neither failed nor isolated. */
const liveStatus: NodeStatus = {
  node: 1,
  cluster: 1,
  role: 'leader',
  leader: 1,
  ballot: '1.1',
  commitIndex: 1,
  appliedIndex: 1,
  lastSlot: 1,
  pendingCommands: 0,
  malformedMessages: 0,
  failed: false,
  isolated: false,
  disturbed: null,
  transportFaults: { delayed: 0, duplicated: 0, overflowed: 0, held: 0 },
  logFloor: 0,
  logEntries: 1,
  synchronous: 'full',
  pid: 1,
  uptimeMs: 1,
  generation: 0,
  staleGenerationMessages: 0,
  publishErrors: 0,
  refusedMessages: {},
  mapEpoch: 0,
  accounts: 3_000,
};

/** A broker stand-in: answers each request with the next scripted response (the last one
 *  again once the script is used up), and notes what was sent where. */
function scriptedTransport(script: Response[]): {
  transport: Transport;
  sent: Array<{ to: string; command: Command }>;
} {
  const sent: Array<{ to: string; command: Command }> = [];
  // LedgerClient's batches, each request answered by request() below.
  const batches = new BatchService((subject, data) => transport.request(subject, data, 1));
  const transport: Transport = {
    publish: (subject, data, reply) => batches.publish(subject, data, reply),
    subscribe: (subject, handler) => batches.subscribe(subject, handler),
    async request(subject, data) {
      const envelope = decodeEnvelope(data);
      // A request that ends unanswered makes the client ask each node how it is: all are up.
      if (envelope.kind === 'admin' && envelope.op === 'status')
        return encodeEnvelope({ kind: 'admin-reply', ok: true, op: 'status', body: liveStatus });
      if (envelope.kind !== 'request') throw new Error(`unexpected ${envelope.kind}`);
      sent.push({ to: subject, command: envelope.command });
      const next = (script.length > 1 ? script.shift() : script[0]) as Response;
      return encodeEnvelope({ kind: 'response', response: next });
    },
    ...alwaysConnected,
  };
  return { transport, sent };
}

test('the locked answer crosses the wire as such; a plain busy stays plain', () => {
  for (const response of [locked, { kind: 'busy' } as const])
    assert.deepEqual(decodeEnvelope(encodeEnvelope({ kind: 'response', response })), { kind: 'response', response });
});

test('a transfer answered locked is sent again, the same (client id, seq) to the same node, until it commits', async () => {
  const { transport, sent } = scriptedTransport([locked, locked, committed]);
  const client = new LedgerClient(transport, defaultTopology, 'ledger', { attemptTimeoutMs: 50, deadlineMs: 5_000 });
  const r = await client.transfer(1, 2, 1);
  assert.deepEqual([r.status, r.attempts], ['committed', 3]);
  assert.equal(
    new Set(sent.map((s) => `${s.to} ${s.command.clientId}#${s.command.seq}`)).size,
    1,
    JSON.stringify(sent),
  );
});

test('locked until the deadline: unknown (not aborted), saying why, and the session is not used again', async () => {
  const { transport, sent } = scriptedTransport([locked]);
  // Long enough for several attempts even on a loaded machine (each pause is at most 100 ms).
  const client = new LedgerClient(transport, defaultTopology, 'ledger', { attemptTimeoutMs: 50, deadlineMs: 1_000 });
  const r = await client.transfer(1, 2, 1);
  assert.equal(r.status, 'unknown');
  assert.match(r.reason ?? '', /held by other transfers \(locked\)/);
  assert.ok(sent.length >= 2, `${sent.length} attempts`);
  const first = sent[0]?.command.clientId;
  sent.length = 0;
  await client.transfer(1, 2, 1);
  assert.ok(
    sent.every((s) => s.command.clientId !== first),
    'a new session: the old one may still run',
  );
});

test('the pause after a locked answer is short, grows with each one up to 100 ms, and is spread at random', () => {
  assert.deepEqual(
    [1, 2, 5, 10, 50].map((n) => lockedRetryPauseMs(n, () => 0.999999)),
    [10, 20, 50, 100, 100],
  );
  assert.deepEqual(
    [1, 2, 5, 10, 50].map((n) => lockedRetryPauseMs(n, () => 0)),
    [5, 10, 25, 50, 50],
  );
});
