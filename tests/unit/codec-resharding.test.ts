import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { encodeCbor } from '../../src/codec/cbor.js';
import { decodeEnvelope, DecodeError, encodeEnvelope, envelopeVersion } from '../../src/codec/envelope.js';
import { movedSessionsMax } from '../../src/codec/resharding-codec.js';
import { sessionAccountsMax } from '../../src/codec/session-codec.js';
import { limits } from '../../src/core/limits.js';
import type { Envelope } from '../../src/protocol/envelope.js';
import type { OutboundMove } from '../../src/protocol/moves.js';
import type { MapEntry } from '../../src/protocol/shard-map.js';
import type { Session } from '../../src/protocol/commands.js';

/** Resharding's types on the wire (src/codec/resharding-codec.ts): each new shape round-trips
 *  through the real encoder and decoder, and each bound refuses what is past it. */

const session: Session = { clientId: 'cli-1', seq: 4, outcome: { status: 'committed' }, slot: 12, accounts: [3, 2001] };
const oldSession: Session = { clientId: 'cli-2', seq: 1, outcome: { status: 'ok', balance: 9 }, slot: 3 };

const move: OutboundMove = {
  epoch: 5,
  from: 1,
  to: 2,
  balances: [
    [3, 10],
    [4, 0],
  ],
  sessions: [session, oldSession],
};

const entries = (n: number, first = 1): MapEntry[] =>
  Array.from({ length: n }, (_, i) => ({ account: first + i, cluster: 2, epoch: 3 }));
const accounts = (n: number): number[] => Array.from({ length: n }, (_, i) => i + 1);

const request = (op: unknown) =>
  encodeCbor({ v: envelopeVersion, kind: 'request', hops: 0, command: { clientId: 'driver', seq: 1, op } });
const inLog = (op: unknown) =>
  encodeCbor({
    v: envelopeVersion,
    kind: 'paxos',
    cluster: 1,
    generation: 0,
    message: {
      type: 'accept',
      from: 1,
      ballot: { round: 1, node: 1 },
      commitIndex: 0,
      entries: [{ slot: 1, value: [{ clientId: 'leader', seq: 1, op }] }],
    },
  });
const moveEnvelope = (message: unknown) =>
  encodeCbor({ v: envelopeVersion, kind: 'move', fromCluster: 1, generation: 0, message });
const snapshot = (extra: Record<string, unknown>) =>
  encodeCbor({
    v: envelopeVersion,
    kind: 'paxos',
    cluster: 1,
    generation: 0,
    message: {
      type: 'snapshot',
      from: 1,
      appliedIndex: 9,
      chunk: 0,
      chunks: 1,
      balances: [],
      sessions: [],
      coordinatorRecords: [],
      participantRecords: [],
      ...extra,
    },
  });
const reply = (op: string, body: unknown) =>
  encodeCbor({ v: envelopeVersion, kind: 'admin-reply', ok: true, op, body });

describe('resharding envelopes round-trip', () => {
  const samples: Envelope[] = [
    {
      kind: 'request',
      command: { clientId: 'driver', seq: 1, op: { kind: 'move-out', accounts: [3, 4], to: 2, epoch: 5 } },
      hops: 0,
    },
    {
      kind: 'request',
      command: { clientId: 'driver', seq: 2, op: { kind: 'map-merge', entries: entries(2) } },
      hops: 1,
    },
    {
      kind: 'request',
      command: {
        clientId: 'driver',
        seq: 3,
        op: { kind: 'move-out', accounts: accounts(limits.accountsPerMoveMax), to: 3, epoch: 1 },
      },
      hops: 0,
    },
    {
      kind: 'request',
      command: {
        clientId: 'driver',
        seq: 4,
        op: { kind: 'map-merge', entries: entries(limits.mapEntriesPerMergeMax) },
      },
      hops: 0,
    },
    {
      kind: 'paxos',
      cluster: 2,
      generation: 1,
      message: {
        type: 'accept',
        from: 4,
        ballot: { round: 3, node: 4 },
        commitIndex: 10,
        entries: [
          {
            slot: 11,
            value: [
              { clientId: 'driver', seq: 1, op: { kind: 'move-out', accounts: [3], to: 2, epoch: 5 } },
              { clientId: 'driver', seq: 2, op: { kind: 'map-merge', entries: entries(1) } },
              { clientId: 'leader', seq: 1, op: { kind: 'move-in', move } },
              { clientId: 'leader', seq: 2, op: { kind: 'move-done', epoch: 5 } },
            ],
          },
        ],
      },
    },
    {
      kind: 'paxos',
      cluster: 1,
      generation: 0,
      message: {
        type: 'snapshot',
        from: 2,
        appliedIndex: 40,
        chunk: 0,
        chunks: 2,
        balances: [[1, 5]],
        sessions: [session, oldSession],
        coordinatorRecords: [],
        participantRecords: [],
        mapEntries: entries(3, 2001),
        outboundMoves: [move],
        history: [
          [1, 2],
          [2001, 3],
        ],
        historyStart: 0,
      },
    },
    {
      kind: 'response',
      response: {
        kind: 'outcome',
        outcome: { status: 'rejected', reason: 'account 3 is not in this shard' },
        servedBy: 1,
        slot: undefined,
        owner: { account: 3, cluster: 2, epoch: 5 },
      },
    },
    { kind: 'move', fromCluster: 1, generation: 2, message: { type: 'move', move } },
    { kind: 'move', fromCluster: 2, generation: 2, message: { type: 'move-ack', from: 2, epoch: 5 } },
    { kind: 'move', fromCluster: 1, generation: 0, message: { type: 'map', from: 1, entries: entries(4) } },
    { kind: 'admin', op: 'shard-map' },
    { kind: 'admin', op: 'history', generation: 3 },
    {
      kind: 'admin-reply',
      ok: true,
      op: 'shard-map',
      body: { node: 1, cluster: 1, epoch: 5, entries: entries(2, 3), accounts: 998, appliedIndex: 77 },
    },
    {
      kind: 'admin-reply',
      ok: true,
      op: 'shard-map',
      body: { node: 4, cluster: 2, epoch: 0, entries: [], accounts: 1000, appliedIndex: 0 },
    },
    {
      kind: 'admin-reply',
      ok: true,
      op: 'history',
      body: {
        node: 1,
        cluster: 1,
        capacity: 10_000,
        pairs: [
          [1, 2],
          [3, 1],
        ],
      },
    },
    {
      kind: 'admin-reply',
      ok: true,
      op: 'hashes',
      body: {
        node: 1,
        cluster: 1,
        appliedIndex: 3,
        total: 100_000,
        inFlight: 1,
        mapEpoch: 5,
        hashes: [[3, 4_000_000_000]],
      },
    },
  ];
  for (const sample of samples) {
    test(`${JSON.stringify(sample).slice(0, 90)}…`, () => {
      assert.deepEqual(decodeEnvelope(encodeEnvelope(sample)), sample);
    });
  }

  test('a session without accounts and a snapshot without resharding parts stay without them', () => {
    const decoded = decodeEnvelope(snapshot({ sessions: [oldSession] }));
    assert.ok(decoded.kind === 'paxos' && decoded.message.type === 'snapshot');
    assert.deepEqual(Object.keys(decoded.message.sessions[0] as Session).sort(), [
      'clientId',
      'outcome',
      'seq',
      'slot',
    ]);
    for (const part of ['mapEntries', 'outboundMoves', 'history', 'historyStart'])
      assert.equal(part in decoded.message, false, part);
  });
});

describe('resharding bounds refuse with a DecodeError', () => {
  const tooManySessions = Array.from({ length: movedSessionsMax + 1 }, (_, i) => ({
    ...oldSession,
    clientId: `c${i}`,
  }));
  const malformed: Array<[what: string, bytes: Uint8Array, field: string]> = [
    [
      `a move-out of ${limits.accountsPerMoveMax + 1} accounts`,
      request({ kind: 'move-out', accounts: accounts(limits.accountsPerMoveMax + 1), to: 2, epoch: 1 }),
      'envelope.command.op.accounts',
    ],
    [
      'a move-out of no account',
      request({ kind: 'move-out', accounts: [], to: 2, epoch: 1 }),
      'envelope.command.op.accounts',
    ],
    [
      'a move-out naming an account twice',
      request({ kind: 'move-out', accounts: [3, 3], to: 2, epoch: 1 }),
      'envelope.command.op.accounts',
    ],
    [
      'a move-out of account 0',
      request({ kind: 'move-out', accounts: [0], to: 2, epoch: 1 }),
      'envelope.command.op.accounts[0]',
    ],
    [
      'a move-out to cluster 0',
      request({ kind: 'move-out', accounts: [3], to: 0, epoch: 1 }),
      'envelope.command.op.to',
    ],
    [
      'a move-out at epoch 0',
      request({ kind: 'move-out', accounts: [3], to: 2, epoch: 0 }),
      'envelope.command.op.epoch',
    ],
    ['a map-merge of no entry', request({ kind: 'map-merge', entries: [] }), 'envelope.command.op.entries'],
    [
      `a map-merge of ${limits.mapEntriesPerMergeMax + 1} entries`,
      request({ kind: 'map-merge', entries: entries(limits.mapEntriesPerMergeMax + 1) }),
      'envelope.command.op.entries',
    ],
    [
      'a map entry at epoch 0',
      request({ kind: 'map-merge', entries: [{ account: 3, cluster: 2, epoch: 0 }] }),
      'envelope.command.op.entries[0].epoch',
    ],
    [
      'a client sending a move-in (only leaders log it)',
      request({ kind: 'move-in', move }),
      'envelope.command.op.kind',
    ],
    ['a client sending a move-done', request({ kind: 'move-done', epoch: 5 }), 'envelope.command.op.kind'],
    [
      'a negative balance in a move record',
      moveEnvelope({ type: 'move', move: { ...move, balances: [[3, -1]] } }),
      'envelope.message.move.balances[0][1]',
    ],
    [
      'a negative balance in a logged move-in',
      inLog({ kind: 'move-in', move: { ...move, balances: [[3, -1]] } }),
      'envelope.message.entries[0].value[0].op.move.balances[0][1]',
    ],
    [
      'a fractional balance in a move record',
      moveEnvelope({ type: 'move', move: { ...move, balances: [[3, 0.5]] } }),
      'envelope.message.move.balances[0][1]',
    ],
    [
      'a move record of no account',
      moveEnvelope({ type: 'move', move: { ...move, balances: [] } }),
      'envelope.message.move.balances',
    ],
    [
      `a move record of ${limits.accountsPerMoveMax + 1} accounts`,
      moveEnvelope({
        type: 'move',
        move: { ...move, balances: accounts(limits.accountsPerMoveMax + 1).map((a) => [a, 1]) },
      }),
      'envelope.message.move.balances',
    ],
    [
      'a move record carrying an account twice',
      moveEnvelope({
        type: 'move',
        move: {
          ...move,
          balances: [
            [3, 1],
            [3, 1],
          ],
        },
      }),
      'envelope.message.move.balances',
    ],
    [
      'a move record from cluster 0',
      moveEnvelope({ type: 'move', move: { ...move, from: 0 } }),
      'envelope.message.move.from',
    ],
    [
      `a move record carrying ${movedSessionsMax + 1} sessions`,
      moveEnvelope({ type: 'move', move: { ...move, sessions: tooManySessions } }),
      'envelope.message.move.sessions',
    ],
    [
      `a session naming ${sessionAccountsMax + 1} accounts`,
      moveEnvelope({
        type: 'move',
        move: { ...move, sessions: [{ ...session, accounts: accounts(sessionAccountsMax + 1) }] },
      }),
      'envelope.message.move.sessions[0].accounts',
    ],
    [
      'a session naming account 0',
      snapshot({ sessions: [{ ...session, accounts: [0] }] }),
      'envelope.message.sessions[0].accounts[0]',
    ],
    [
      'a logged move-done at epoch 0',
      inLog({ kind: 'move-done', epoch: 0 }),
      'envelope.message.entries[0].value[0].op.epoch',
    ],
    ['a move-ack at epoch 0', moveEnvelope({ type: 'move-ack', from: 2, epoch: 0 }), 'envelope.message.epoch'],
    ['a map message of no entry', moveEnvelope({ type: 'map', from: 1, entries: [] }), 'envelope.message.entries'],
    [
      `a map message of ${limits.mapEntriesPerMergeMax + 1} entries`,
      moveEnvelope({ type: 'map', from: 1, entries: entries(limits.mapEntriesPerMergeMax + 1) }),
      'envelope.message.entries',
    ],
    ['a move message of unknown type', moveEnvelope({ type: 'move-nack', from: 1, epoch: 1 }), 'envelope.message.type'],
    [
      'a move envelope from cluster 0',
      encodeCbor({ v: envelopeVersion, kind: 'move', fromCluster: 0, generation: 0, message: { type: 'move', move } }),
      'envelope.fromCluster',
    ],
    [
      'an owner in cluster 0',
      encodeCbor({
        v: envelopeVersion,
        kind: 'response',
        response: {
          kind: 'outcome',
          outcome: { status: 'rejected', reason: 'x' },
          servedBy: 1,
          owner: { account: 3, cluster: 0, epoch: 1 },
        },
      }),
      'envelope.response.owner.cluster',
    ],
    [
      'an owner without its epoch',
      encodeCbor({
        v: envelopeVersion,
        kind: 'response',
        response: {
          kind: 'outcome',
          outcome: { status: 'rejected', reason: 'x' },
          servedBy: 1,
          owner: { account: 3, cluster: 2 },
        },
      }),
      'envelope.response.owner.epoch',
    ],
    [
      'an owner that is not a map',
      encodeCbor({
        v: envelopeVersion,
        kind: 'response',
        response: { kind: 'outcome', outcome: { status: 'rejected', reason: 'x' }, servedBy: 1, owner: [3, 2, 1] },
      }),
      'envelope.response.owner',
    ],
    [
      `a snapshot history of ${limits.historyCapacityMax + 1} pairs`,
      snapshot({ history: Array.from({ length: limits.historyCapacityMax + 1 }, () => [1, 2]) }),
      'envelope.message.history',
    ],
    ['a snapshot history pair of three accounts', snapshot({ history: [[1, 2, 3]] }), 'envelope.message.history[0]'],
    [
      'a snapshot history starting below 0',
      snapshot({ history: [], historyStart: -1 }),
      'envelope.message.historyStart',
    ],
    [
      'a snapshot move record with a negative balance',
      snapshot({ outboundMoves: [{ ...move, balances: [[3, -5]] }] }),
      'envelope.message.outboundMoves[0].balances[0][1]',
    ],
    [
      'a snapshot map entry of account 0',
      snapshot({ mapEntries: [{ account: 0, cluster: 1, epoch: 1 }] }),
      'envelope.message.mapEntries[0].account',
    ],
    [
      `a history reply of ${limits.historyCapacityMax + 1} pairs`,
      reply('history', {
        node: 1,
        cluster: 1,
        capacity: limits.historyCapacityMax,
        pairs: Array.from({ length: limits.historyCapacityMax + 1 }, () => [1, 2]),
      }),
      'history.pairs',
    ],
    [
      'a history reply of more pairs than its capacity',
      reply('history', {
        node: 1,
        cluster: 1,
        capacity: 1,
        pairs: [
          [1, 2],
          [2, 1],
        ],
      }),
      'history.pairs',
    ],
    [
      'a history reply claiming a capacity above historyCapacityMax',
      reply('history', { node: 1, cluster: 1, capacity: limits.historyCapacityMax + 1, pairs: [] }),
      'history.capacity',
    ],
    [
      'a shard-map reply with a map entry in cluster 0',
      reply('shard-map', {
        node: 1,
        cluster: 1,
        epoch: 1,
        entries: [{ account: 3, cluster: 0, epoch: 1 }],
        accounts: 1,
        appliedIndex: 1,
      }),
      'shard-map.entries[0].cluster',
    ],
    [
      'a shard-map reply without its account count',
      reply('shard-map', { node: 1, cluster: 1, epoch: 0, entries: [], appliedIndex: 1 }),
      'shard-map.accounts',
    ],
    [
      'hashes without the map epoch',
      reply('hashes', { node: 1, cluster: 1, appliedIndex: 3, total: 1, inFlight: 0, hashes: [] }),
      'hashes.mapEpoch',
    ],
  ];
  for (const [what, bytes, field] of malformed) {
    test(`${what} is refused, naming ${field}`, () => {
      assert.throws(
        () => decodeEnvelope(bytes),
        (error: unknown) => error instanceof DecodeError && error.message.startsWith(`${field}:`),
      );
    });
  }

  test('the bounds themselves are taken', () => {
    const atBounds = [
      moveEnvelope({
        type: 'move',
        move: {
          ...move,
          balances: accounts(limits.accountsPerMoveMax).map((a) => [a, 0]),
          sessions: tooManySessions
            .slice(0, movedSessionsMax)
            .map((s) => ({ ...s, accounts: accounts(sessionAccountsMax) })),
        },
      }),
      snapshot({ history: Array.from({ length: limits.historyCapacityMax }, () => [1, 2]), historyStart: 0 }),
      moveEnvelope({ type: 'map', from: 1, entries: entries(limits.mapEntriesPerMergeMax) }),
      // The builders above make valid envelopes: each refusal is the field it names.
      request({ kind: 'move-out', accounts: [3], to: 2, epoch: 1 }),
      inLog({ kind: 'move-in', move }),
      inLog({ kind: 'move-done', epoch: 1 }),
      snapshot({
        sessions: [session],
        outboundMoves: [move],
        mapEntries: entries(1),
        history: [[1, 2]],
        historyStart: 7,
      }),
      reply('history', { node: 1, cluster: 1, capacity: 2, pairs: [[1, 2]] }),
      reply('shard-map', { node: 1, cluster: 1, epoch: 0, entries: [], accounts: 0, appliedIndex: 1 }),
    ];
    for (const bytes of atBounds) assert.doesNotThrow(() => decodeEnvelope(bytes));
  });
});
