/**
 * LedgerClient reuses a session (client id) only after a definite answer (issue 10, bug 1): a
 * request that ended `unknown` may still run later, and the session's next sequence must not
 * overtake it.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LedgerClient } from '../../src/client/ledger-client.js';
import { decodeEnvelope, encodeEnvelope } from '../../src/codec/envelope.js';
import type { Command, Outcome } from '../../src/protocol/commands.js';
import { defaultTopology } from '../../src/ledger/topology.js';
import { alwaysConnected, BatchService } from './helpers/batch-service.js';
import { TransportTimeoutError, type Transport } from '../../src/transport/transport.js';

/** A broker stand-in: answers each request with the next scripted outcome, or times out. */
function scriptedTransport(script: Array<Outcome | 'timeout'>): { transport: Transport; commands: Command[] } {
  const commands: Command[] = [];
  // LedgerClient's batches, each request answered by request() below.
  const batches = new BatchService((subject, data) => transport.request(subject, data, 1));
  const transport: Transport = {
    publish: (subject, data, reply) => batches.publish(subject, data, reply),
    subscribe: (subject, handler) => batches.subscribe(subject, handler),
    async request(_subject, data) {
      const envelope = decodeEnvelope(data);
      if (envelope.kind !== 'request') throw new Error(`unexpected ${envelope.kind}`);
      commands.push(envelope.command);
      const next = script.shift() ?? 'timeout';
      if (next === 'timeout') throw new TransportTimeoutError('no answer');
      return encodeEnvelope({ kind: 'response', response: { kind: 'outcome', outcome: next, servedBy: 1, slot: 1 } });
    },
    ...alwaysConnected,
  };
  return { transport, commands };
}

test('after a definite answer the session is reused with the next sequence', async () => {
  const { transport, commands } = scriptedTransport([{ status: 'committed' }, { status: 'committed' }]);
  const client = new LedgerClient(transport, defaultTopology, 'ledger', { attemptTimeoutMs: 5, deadlineMs: 50 });
  await client.transfer(1, 2, 1);
  await client.transfer(1, 2, 1);
  assert.deepEqual(
    commands.map((c) => [c.clientId === commands[0]?.clientId, c.seq]),
    [
      [true, 1],
      [true, 2],
    ],
  );
});

test('after an unknown answer the session is never used again: the next request takes a new client id', async () => {
  const { transport, commands } = scriptedTransport([
    'timeout',
    'timeout',
    'timeout',
    'timeout',
    'timeout',
    'timeout',
    'timeout',
    'timeout',
    'timeout',
    'timeout',
  ]);
  const client = new LedgerClient(transport, defaultTopology, 'ledger', { attemptTimeoutMs: 5, deadlineMs: 30 });
  const first = await client.transfer(1, 2, 1);
  assert.equal(first.status, 'unknown');
  const abandoned = commands[0]?.clientId;
  commands.length = 0;
  await client.transfer(1, 2, 1);
  assert.ok(commands.length > 0);
  assert.ok(
    commands.every((c) => c.clientId !== abandoned && c.seq === 1),
    `the next request used ${JSON.stringify(commands[0])}`,
  );
});

test('a stale-sequence or duplicate answer is reported unknown, not aborted', async () => {
  const { transport } = scriptedTransport([
    { status: 'rejected', reason: 'stale-sequence' },
    { status: 'aborted', reason: 'duplicate' },
  ]);
  const client = new LedgerClient(transport, defaultTopology, 'ledger', { attemptTimeoutMs: 5, deadlineMs: 50 });
  assert.equal((await client.transfer(1, 2, 1)).status, 'unknown');
  assert.equal((await client.transfer(1, 2, 1)).status, 'unknown');
});
