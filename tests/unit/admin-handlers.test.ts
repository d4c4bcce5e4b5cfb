import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { encodeCbor } from '../../src/codec/cbor.js';
import { AssertionError } from '../../src/core/assert.js';
import { decodeEnvelope, encodeEnvelope, envelopeVersion } from '../../src/codec/envelope.js';
import type { ShardServer } from '../../src/ledger/shard-server.js';
import { adminHandlers, admitAdminRequest, answerAdmin, type AdminHost } from '../../src/node/admin-handlers.js';
import {
  adminOps,
  type AdminOp,
  type AdminRequest,
  type DisturbSettings,
  type FaultOp,
  type FlushArgs,
  type NodeStatus,
} from '../../src/protocol/admin.js';
import { singleMemberLeader } from './helpers/single-member-shard.js';

/**
 * The node's admin handlers, against a real one-member core and a host that records what they
 * asked of the node: each op's typed reply, and each refusal's code.
 */
class FakeHost implements AdminHost {
  readonly node = 1;
  readonly cluster = 1;
  readonly members = [1, 2, 3];
  readonly initialBalance = 10;
  readonly tickMs = 10;
  readonly store = { views: () => [] };
  gen = 3;
  faults: FaultOp[] = [];
  disturbances: DisturbSettings[] = [];
  flushes: FlushArgs[] = [];
  stale = 0;
  drains = 0;
  readonly core: ShardServer = singleMemberLeader(
    1,
    [
      [1, 10],
      [2, 7],
    ],
    {
      clusterOfAccount: (a) => (a <= 100 ? 1 : 2),
      twoPc: { lockWaitTicks: 5, voteTimeoutTicks: 60, resendTicks: 10, queryTicks: 30 },
      twoPcBounds: { clusters: 2, moneyTotal: 2_000 },
    },
  );
  generation = () => this.gen;
  server = () => this.core;
  status = () => ({ node: this.node, generation: this.gen, faults: this.faults.length }) as unknown as NodeStatus;
  injectFault = (op: FaultOp) => void this.faults.push(op);
  disturb = (settings: DisturbSettings) => void this.disturbances.push(settings);
  flush = (args: FlushArgs) => {
    this.flushes.push(args);
    this.gen = args.generation;
  };
  countStale = () => void this.stale++;
  scheduleDrain = () => void this.drains++;
  internalErrors: string[] = [];
  failedInternally = (op: AdminOp, error: Error) => void this.internalErrors.push(`${op}: ${error.message}`);
}

describe('admin handlers', () => {
  test('there is one handler per op', () => {
    assert.deepEqual(Object.keys(adminHandlers).sort(), [...adminOps].sort());
  });

  test("balance answers the node's own copy, typed; an account held elsewhere is refused `wrong-shard`", () => {
    const host = new FakeHost();
    assert.deepEqual(answerAdmin(host, { op: 'balance', account: 2 }), {
      ok: true,
      op: 'balance',
      body: { node: 1, account: 2, balance: 7, pending: 0, appliedIndex: host.core.state.appliedIndex },
    });
    const refused = answerAdmin(host, { op: 'balance', account: 500 });
    assert.ok(
      !refused.ok && refused.code === 'wrong-shard' && /account 500 is not on node 1/.test(refused.message),
      JSON.stringify(refused),
    );
  });

  test('db, hashes and view answer their own bodies', () => {
    const host = new FakeHost();
    assert.deepEqual(answerAdmin(host, { op: 'db' }), {
      ok: true,
      op: 'db',
      body: { node: 1, accounts: [{ account: 2, balance: 7, pending: 0 }] },
    });
    const hashes = answerAdmin(host, { op: 'hashes' });
    assert.ok(
      hashes.ok &&
        hashes.op === 'hashes' &&
        hashes.body.total === 17 &&
        hashes.body.inFlight === 0 &&
        hashes.body.cluster === 1,
      JSON.stringify(hashes),
    );
    assert.deepEqual(answerAdmin(host, { op: 'view' }), { ok: true, op: 'view', body: { node: 1, views: [] } });
  });

  test("shard-map, history and hashes after a move: the map's entries and epoch, the accounts held, the history, the move counted in flight", () => {
    const host = new FakeHost();
    const core = host.core;
    const run = (reqId: number, op: Parameters<ShardServer['request']>[0]['command']['op']) => {
      core.request({ reqId, command: { clientId: `c${reqId}`, seq: 1, op }, hops: 0 });
      for (core.propose(); core.hasReady(); core.propose()) {
        core.ready();
        core.advance();
      }
    };
    run(1, { kind: 'transfer', from: 1, to: 2, amount: 3 });
    run(2, { kind: 'move-out', accounts: [1], to: 2, epoch: 2 });
    assert.deepEqual(answerAdmin(host, { op: 'shard-map' }), {
      ok: true,
      op: 'shard-map',
      body: {
        node: 1,
        cluster: 1,
        epoch: 2,
        entries: [{ account: 1, cluster: 2, epoch: 2 }],
        accounts: 1,
        appliedIndex: core.state.appliedIndex,
      },
    });
    assert.deepEqual(answerAdmin(host, { op: 'history' }), {
      ok: true,
      op: 'history',
      body: { node: 1, cluster: 1, capacity: 10_000, pairs: [[1, 2]] },
    });
    const hashes = answerAdmin(host, { op: 'hashes' });
    assert.ok(hashes.ok && hashes.op === 'hashes');
    assert.equal(hashes.body.total, 10, 'account 1 (7) is in transit');
    assert.equal(hashes.body.inFlight, 1, 'the move not yet acknowledged');
    assert.equal(hashes.body.mapEpoch, 2);
    // Each reply goes through the codec whole.
    for (const op of ['shard-map', 'history', 'hashes'] as const) {
      const reply = answerAdmin(host, { op });
      assert.ok(reply.ok);
      const decoded = decodeEnvelope(encodeEnvelope({ kind: 'admin-reply', ...reply }));
      assert.deepEqual(decoded, { kind: 'admin-reply', ...reply }, op);
    }
  });

  test('hold-cross-shard takes milliseconds in holdMs, rounds up to ticks and drains', () => {
    const host = new FakeHost();
    const held: number[] = [];
    host.core.holdCrossShard = (ticks: number) => void held.push(ticks);
    assert.deepEqual(answerAdmin(host, { op: 'hold-cross-shard', holdMs: 25 }), {
      ok: true,
      op: 'hold-cross-shard',
      body: { node: 1, heldMs: 25 },
    });
    assert.deepEqual(held, [3]);
    assert.equal(host.drains, 1);
  });

  test('fault ops set the flag their name says and answer the status', () => {
    const host = new FakeHost();
    for (const op of ['fail', 'recover', 'isolate', 'heal'] as const) {
      const reply = answerAdmin(host, { op });
      assert.ok(reply.ok && reply.op === op, JSON.stringify(reply));
    }
    assert.deepEqual(host.faults, ['fail', 'recover', 'isolate', 'heal']);
  });

  test('disturb hands its settings to the node (0 and 0 to calm it) and answers the status', () => {
    const host = new FakeHost();
    const reply = answerAdmin(host, { op: 'disturb', duplicatePercent: 50, delayMsMax: 40 });
    assert.ok(reply.ok && reply.op === 'disturb', JSON.stringify(reply));
    assert.ok(answerAdmin(host, { op: 'disturb', duplicatePercent: 0, delayMsMax: 0 }).ok);
    assert.deepEqual(host.disturbances, [
      { duplicatePercent: 50, delayMsMax: 40 },
      { duplicatePercent: 0, delayMsMax: 0 },
    ]);
    const stale = answerAdmin(host, { op: 'disturb', duplicatePercent: 10, delayMsMax: 0, generation: 2 });
    assert.ok(!stale.ok && stale.code === 'stale-generation', 'like any fault, only in its generation');
    assert.equal(host.disturbances.length, 2);
  });

  test('an op sent in another flush generation is refused `stale-generation` and counted; status and flush cross generations', () => {
    const host = new FakeHost();
    const stale = answerAdmin(host, { op: 'fail', generation: 2 });
    assert.ok(!stale.ok && stale.code === 'stale-generation', JSON.stringify(stale));
    assert.deepEqual(host.faults, []);
    assert.equal(host.stale, 1);
    assert.ok(answerAdmin(host, { op: 'fail', generation: 3 }).ok);
    assert.ok(answerAdmin(host, { op: 'status', generation: 0 }).ok);
    assert.ok(answerAdmin(host, { op: 'flush', flush: { generation: 4, leader: 2, failed: false }, generation: 0 }).ok);
    assert.equal(host.stale, 1);
  });

  test('a flush must move forward (`stale-flush`) and name a member (`not-a-member`); neither touches the node', () => {
    const host = new FakeHost();
    const back = answerAdmin(host, { op: 'flush', flush: { generation: 3, leader: 2, failed: false } });
    assert.ok(!back.ok && back.code === 'stale-flush' && /not above/.test(back.message), JSON.stringify(back));
    const stranger = answerAdmin(host, { op: 'flush', flush: { generation: 9, leader: 7, failed: false } });
    assert.ok(!stranger.ok && stranger.code === 'not-a-member', JSON.stringify(stranger));
    assert.deepEqual(host.flushes, []);
    assert.ok(answerAdmin(host, { op: 'flush', flush: { generation: 9, leader: 3, failed: true } }).ok);
    assert.deepEqual(host.flushes, [{ generation: 9, leader: 3, failed: true }]);
  });

  test('a handler that throws answers `internal`, it does not take the node down', () => {
    const host = new FakeHost();
    host.status = () => {
      throw new Error('boom');
    };
    const reply = answerAdmin(host, { op: 'status' });
    assert.deepEqual(reply, { ok: false, code: 'internal', message: 'boom' });
    assert.deepEqual(host.internalErrors, ['status: boom'], 'the node is told, for its log');
  });

  test('a broken assertion in a handler is thrown on, not answered: the node must stop', () => {
    const host = new FakeHost();
    host.status = () => {
      throw new AssertionError('an invariant broke');
    };
    assert.throws(() => answerAdmin(host, { op: 'status' }), AssertionError);
    assert.deepEqual(host.internalErrors, []);
  });

  test('every reply the handlers give goes over the wire and decodes as it left', () => {
    const host = new FakeHost();
    const requests: AdminRequest[] = [
      { op: 'balance', account: 1 },
      { op: 'db' },
      { op: 'view' },
      { op: 'hashes' },
      { op: 'hold-cross-shard', holdMs: 0 },
      { op: 'balance', account: 999 },
    ];
    for (const request of requests) {
      const reply = answerAdmin(host, request);
      assert.deepEqual(
        decodeEnvelope(encodeEnvelope({ kind: 'admin-reply', ...reply })),
        { kind: 'admin-reply', ...reply },
        request.op,
      );
    }
  });
});

describe('admitting an admin request', () => {
  test("a request off its op's shape is refused `bad-request`, naming the field", () => {
    const cases: Array<[string, Uint8Array, RegExp]> = [
      [
        'a balance without its account',
        encodeCbor({ v: envelopeVersion, kind: 'admin', op: 'balance' }),
        /envelope\.account/,
      ],
      [
        'a hold above the bound',
        encodeCbor({ v: envelopeVersion, kind: 'admin', op: 'hold-cross-shard', holdMs: 10_001 }),
        /envelope\.holdMs/,
      ],
      [
        'a flush without a leader',
        encodeCbor({ v: envelopeVersion, kind: 'admin', op: 'flush', flush: { generation: 2, failed: false } }),
        /envelope\.flush\.leader/,
      ],
      [
        'a disturbance above 100 %',
        encodeCbor({ v: envelopeVersion, kind: 'admin', op: 'disturb', duplicatePercent: 101, delayMsMax: 0 }),
        /envelope\.duplicatePercent: expected at most 100/,
      ],
      [
        'a disturbance delaying past its bound',
        encodeCbor({ v: envelopeVersion, kind: 'admin', op: 'disturb', duplicatePercent: 0, delayMsMax: 2_001 }),
        /envelope\.delayMsMax: expected at most 2000/,
      ],
      [
        'a disturbance without its delay',
        encodeCbor({ v: envelopeVersion, kind: 'admin', op: 'disturb', duplicatePercent: 5 }),
        /envelope\.delayMsMax/,
      ],
      [
        'a negative disturbance',
        encodeCbor({ v: envelopeVersion, kind: 'admin', op: 'disturb', duplicatePercent: -1, delayMsMax: 10 }),
        /envelope\.duplicatePercent/,
      ],
      [
        'a fractional disturbance',
        encodeCbor({ v: envelopeVersion, kind: 'admin', op: 'disturb', duplicatePercent: 5, delayMsMax: 0.5 }),
        /envelope\.delayMsMax/,
      ],
      ['an op that does not exist', encodeCbor({ v: envelopeVersion, kind: 'admin', op: 'reboot' }), /envelope\.op/],
      [
        'another kind of message',
        encodeEnvelope({ kind: 'response', response: { kind: 'busy' } }),
        /expected admin, got response/,
      ],
      ['bytes that are not CBOR', new Uint8Array([0xff, 0x00]), /not CBOR/],
    ];
    for (const [what, bytes, reason] of cases) {
      const admitted = admitAdminRequest(bytes);
      assert.ok('refusal' in admitted, `${what}: refused`);
      assert.equal(admitted.refusal.code, 'bad-request', what);
      assert.match(admitted.refusal.message, reason, what);
    }
  });

  test('a well-formed request is admitted with its own fields and its generation', () => {
    assert.deepEqual(admitAdminRequest(encodeEnvelope({ kind: 'admin', op: 'balance', account: 7, generation: 2 })), {
      request: { op: 'balance', account: 7, generation: 2 },
    });
    for (const settings of [
      { duplicatePercent: 100, delayMsMax: 2_000 },
      { duplicatePercent: 0, delayMsMax: 0 },
    ])
      assert.deepEqual(admitAdminRequest(encodeEnvelope({ kind: 'admin', op: 'disturb', ...settings })), {
        request: { op: 'disturb', ...settings },
      });
  });
});
