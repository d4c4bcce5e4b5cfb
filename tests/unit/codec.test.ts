import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { encodeCbor } from '../../src/codec/cbor.js';
import { decodeEnvelope, DecodeError, encodeEnvelope, envelopeVersion } from '../../src/codec/envelope.js';
import type { Envelope } from '../../src/protocol/envelope.js';
import type { NodeStatus } from '../../src/protocol/admin.js';

/** A disturbed node's status: the transport failpoint's settings and counts travel with it. */
const disturbedStatus: NodeStatus = {
  node: 4,
  cluster: 2,
  role: 'leader',
  leader: 4,
  ballot: '3.4',
  commitIndex: 9,
  appliedIndex: 9,
  lastSlot: 9,
  pendingCommands: 0,
  malformedMessages: 0,
  failed: false,
  isolated: false,
  disturbed: { duplicatePercent: 50, delayMsMax: 40 },
  transportFaults: { delayed: 120, duplicated: 61, overflowed: 2, held: 7 },
  logFloor: 0,
  logEntries: 9,
  synchronous: 'full',
  pid: 4242,
  uptimeMs: 1_000,
  generation: 3,
  staleGenerationMessages: 0,
  publishErrors: 0,
  refusedMessages: {},
  mapEpoch: 2,
  accounts: 1_001,
};

describe('envelopes', () => {
  const samples: Envelope[] = [
    {
      kind: 'request',
      command: { clientId: 'c1', seq: 3, op: { kind: 'transfer', from: 1, to: 2, amount: 5 } },
      hops: 0,
    },
    { kind: 'request', command: { clientId: 'c1', seq: 4, op: { kind: 'balance', account: 7 } }, hops: 1 },
    {
      kind: 'request',
      command: { clientId: 'c1', seq: 5, op: { kind: 'transfer', from: 1, to: 2, amount: 5 } },
      hops: 0,
      generation: 12,
    },
    { kind: 'admin', op: 'fail', generation: 12 },
    {
      kind: 'response',
      response: { kind: 'outcome', outcome: { status: 'insufficient-funds', balance: 2 }, servedBy: 4, slot: 9 },
    },
    { kind: 'response', response: { kind: 'redirect', leaderHint: 5 } },
    { kind: 'response', response: { kind: 'busy' } },
    { kind: 'response', response: { kind: 'refused', reason: 'envelope.command.op.amount: expected an integer >= 1' } },
    {
      kind: 'paxos',
      cluster: 2,
      generation: 0,
      message: {
        type: 'accept',
        from: 4,
        ballot: { round: 3, node: 4 },
        commitIndex: 10,
        entries: [
          { slot: 11, value: null },
          { slot: 12, value: [{ clientId: 'x', seq: 1, op: { kind: 'balance', account: 3001 } }] },
        ],
      },
    },
    {
      kind: 'paxos',
      cluster: 1,
      generation: 3,
      message: {
        type: 'promise',
        from: 2,
        ballot: { round: 1, node: 1 },
        commitIndex: 0,
        entries: [{ slot: 1, ballot: { round: 0, node: 3 }, value: null, chosen: true }],
      },
    },
    {
      kind: 'paxos',
      cluster: 1,
      generation: 0,
      message: { type: 'nack', from: 2, ballot: { round: 1, node: 1 }, promised: { round: 2, node: 3 } },
    },
    {
      kind: 'paxos',
      cluster: 2,
      generation: 1,
      message: { type: 'prepare', from: 5, ballot: { round: 4, node: 5 }, forced: true },
    },
    { kind: 'paxos', cluster: 2, generation: 1, message: { type: 'prepare', from: 5, ballot: { round: 4, node: 5 } } },
    { kind: 'admin', op: 'balance', account: 12 },
    { kind: 'admin', op: 'flush', flush: { generation: 7, leader: 4, failed: false } },
    { kind: 'admin', op: 'lead' },
    { kind: 'admin', op: 'hold-cross-shard', holdMs: 10_000 },
    { kind: 'admin', op: 'disturb', duplicatePercent: 100, delayMsMax: 2_000, generation: 3 },
    { kind: 'admin-reply', ok: true, op: 'disturb', body: disturbedStatus },
    { kind: 'admin-reply', ok: true, op: 'status', body: { ...disturbedStatus, disturbed: null } },
    { kind: 'admin-reply', ok: false, code: 'wrong-shard', message: 'account 12 is not on node 1' },
    { kind: 'admin-reply', ok: true, op: 'hold-cross-shard', body: { node: 4, heldMs: 2_000 } },
    {
      kind: 'admin-reply',
      ok: true,
      op: 'balance',
      body: { node: 4, account: 3001, balance: 8, pending: -2, appliedIndex: 17 },
    },
    {
      kind: 'admin-reply',
      ok: true,
      op: 'view',
      body: {
        node: 4,
        views: [
          {
            seq: 1,
            ballot: { round: 2, node: 4 },
            leader: 4,
            commitIndex: 3,
            entries: [
              { slot: 4, value: null },
              { slot: 5, value: [{ clientId: 'x', seq: 1, op: { kind: 'balance', account: 3001 } }] },
            ],
            recordedAtMs: 1_700_000_000_000,
          },
        ],
      },
    },
  ];

  for (const sample of samples) {
    test(`a ${sample.kind} envelope round-trips (${JSON.stringify(sample).slice(0, 60)}…)`, () => {
      assert.deepEqual(decodeEnvelope(encodeEnvelope(sample)), sample);
    });
  }

  const malformed: Array<[string, Uint8Array]> = [
    ['bytes that are not CBOR', new Uint8Array([0xff, 0x00])],
    ['truncated CBOR', encodeEnvelope(samples[0] as Envelope).slice(0, 10)],
    ['a CBOR number instead of a map', encodeCbor(42)],
    ['another envelope version', encodeCbor({ v: envelopeVersion + 1, kind: 'response', response: { kind: 'busy' } })],
    ['an unknown kind', encodeCbor({ v: envelopeVersion, kind: 'gossip' })],
    [
      'a request with a negative flush generation',
      encodeCbor({
        v: envelopeVersion,
        kind: 'request',
        hops: 0,
        generation: -1,
        command: { clientId: 'c', seq: 1, op: { kind: 'balance', account: 1 } },
      }),
    ],
    [
      'a negative amount',
      encodeCbor({
        v: envelopeVersion,
        kind: 'request',
        hops: 0,
        command: { clientId: 'c', seq: 1, op: { kind: 'transfer', from: 1, to: 2, amount: -5 } },
      }),
    ],
    [
      'a fractional amount',
      encodeCbor({
        v: envelopeVersion,
        kind: 'request',
        hops: 0,
        command: { clientId: 'c', seq: 1, op: { kind: 'transfer', from: 1, to: 2, amount: 1.5 } },
      }),
    ],
    [
      'a string where a slot belongs',
      encodeCbor({
        v: envelopeVersion,
        kind: 'paxos',
        cluster: 1,
        message: { type: 'accepted', from: 2, ballot: { round: 1, node: 1 }, slots: ['1'], commitIndex: 0 },
      }),
    ],
    [
      'a paxos message of unknown type',
      encodeCbor({ v: envelopeVersion, kind: 'paxos', cluster: 1, message: { type: 'elect-me', from: 2 } }),
    ],
    [
      'a missing ballot',
      encodeCbor({ v: envelopeVersion, kind: 'paxos', cluster: 1, message: { type: 'prepare', from: 2 } }),
    ],
    [
      'a paxos message without its flush generation',
      encodeCbor({
        v: envelopeVersion,
        kind: 'paxos',
        cluster: 1,
        message: { type: 'prepare', from: 2, ballot: { round: 1, node: 2 } },
      }),
    ],
    ['a flush without its arguments', encodeCbor({ v: envelopeVersion, kind: 'admin', op: 'flush' })],
    [
      'a hold without its duration (the old form, in account)',
      encodeCbor({ v: envelopeVersion, kind: 'admin', op: 'hold-cross-shard', account: 2000 }),
    ],
    [
      'a hold above limits.holdCrossShardMsMax',
      encodeCbor({ v: envelopeVersion, kind: 'admin', op: 'hold-cross-shard', holdMs: 10_001 }),
    ],
    [
      'a disturbance duplicating more than 100 %',
      encodeCbor({ v: envelopeVersion, kind: 'admin', op: 'disturb', duplicatePercent: 101, delayMsMax: 10 }),
    ],
    [
      'a disturbance delaying more than disturbDelayMsMax',
      encodeCbor({ v: envelopeVersion, kind: 'admin', op: 'disturb', duplicatePercent: 10, delayMsMax: 2_001 }),
    ],
    [
      'a disturbance without its duplicate share',
      encodeCbor({ v: envelopeVersion, kind: 'admin', op: 'disturb', delayMsMax: 10 }),
    ],
    [
      'a status whose disturbance is out of range',
      encodeCbor({
        v: envelopeVersion,
        kind: 'admin-reply',
        ok: true,
        op: 'disturb',
        body: { ...disturbedStatus, disturbed: { duplicatePercent: 500, delayMsMax: 1 } },
      }),
    ],
    ['a balance without its account', encodeCbor({ v: envelopeVersion, kind: 'admin', op: 'balance' })],
    ['a balance of account 0', encodeCbor({ v: envelopeVersion, kind: 'admin', op: 'balance', account: 0 })],
    ['an admin op that does not exist', encodeCbor({ v: envelopeVersion, kind: 'admin', op: 'reboot' })],
    [
      'an admin reply that does not say its op',
      encodeCbor({ v: envelopeVersion, kind: 'admin-reply', ok: true, body: { node: 4, heldMs: 0 } }),
    ],
    [
      "an admin reply whose body is not its op's",
      encodeCbor({ v: envelopeVersion, kind: 'admin-reply', ok: true, op: 'status', body: { node: 4, heldMs: 0 } }),
    ],
    [
      'an admin refusal without a code (the old form)',
      encodeCbor({ v: envelopeVersion, kind: 'admin-reply', ok: false, body: null, error: 'no such account' }),
    ],
    [
      'an admin refusal with an unknown code',
      encodeCbor({ v: envelopeVersion, kind: 'admin-reply', ok: false, code: 'teapot', message: 'no' }),
    ],
    [
      'a view entry that is not a batch of commands',
      encodeCbor({
        v: envelopeVersion,
        kind: 'admin-reply',
        ok: true,
        op: 'view',
        body: {
          node: 4,
          views: [
            {
              seq: 1,
              ballot: { round: 2, node: 4 },
              leader: 4,
              commitIndex: 3,
              entries: [{ slot: 4, value: 'rm -rf' }],
              recordedAtMs: 1,
            },
          ],
        },
      }),
    ],
    [
      'a flush naming no leader',
      encodeCbor({ v: envelopeVersion, kind: 'admin', op: 'flush', flush: { generation: 1, failed: false } }),
    ],
    [
      'a forced flag that is not a boolean',
      encodeCbor({
        v: envelopeVersion,
        kind: 'paxos',
        cluster: 1,
        generation: 0,
        message: { type: 'prepare', from: 2, ballot: { round: 1, node: 2 }, forced: 'yes' },
      }),
    ],
    [
      'an over-long client id',
      encodeCbor({
        v: envelopeVersion,
        kind: 'request',
        hops: 0,
        command: { clientId: 'c'.repeat(500), seq: 1, op: { kind: 'balance', account: 1 } },
      }),
    ],
  ];
  for (const [what, bytes] of malformed) {
    test(`${what} is refused with a DecodeError`, () => {
      assert.throws(() => decodeEnvelope(bytes), DecodeError);
    });
  }
});

describe('admin requests', () => {
  test("carry only their op's fields: a field of another op is dropped, never read", () => {
    const decoded = decodeEnvelope(
      encodeCbor({
        v: envelopeVersion,
        kind: 'admin',
        op: 'hold-cross-shard',
        holdMs: 2_000,
        account: 5,
        flush: { generation: 1, leader: 1, failed: false },
      }),
    );
    assert.deepEqual(decoded, { kind: 'admin', op: 'hold-cross-shard', holdMs: 2_000 });
  });
});
