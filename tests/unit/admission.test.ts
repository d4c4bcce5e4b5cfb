import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { limits } from '../../src/core/limits.js';
import { Admission, clientOrigin, companyWaitTicksMax, type AdmissionContext } from '../../src/ledger/admission.js';
import type { Command } from '../../src/protocol/commands.js';
import { outranks, waitDieTicks } from '../../src/twopc/locks.js';

/** The leader's queue (src/ledger/admission.ts), on its own: the lock policy it follows lives in
 *  src/twopc (locks.ts, steps.ts); these check that admission applies it. */

function context(
  now: number,
  options: {
    holdCrossShard?: boolean;
    prepared?: Array<[number, string]>;
    coordinators?: string[];
    awaited?: string[];
  } = {},
): AdmissionContext & { admitted: Command[]; gaveUp: string[] } {
  const prepared = new Map(options.prepared ?? []);
  const coordinators = new Set(options.coordinators ?? []);
  const admitted: Command[] = [];
  const gaveUp: string[] = [];
  return {
    now,
    holdCrossShard: options.holdCrossShard ?? false,
    prepared: (a) => prepared.get(a),
    preparedCoordinator: (a) => {
      const key = prepared.get(a);
      return key !== undefined && coordinators.has(key) ? key : undefined;
    },
    lockWaitTicks: 10,
    awaited: (c) => (options.awaited ?? []).includes(`${c.clientId}#${c.seq}`),
    onAdmitted: (c) => admitted.push(c),
    onLockWaitGaveUp: (k) => gaveUp.push(k),
    admitted,
    gaveUp,
  };
}

const transfer = (clientId: string, from: number, to: number): Command => ({
  clientId,
  seq: 1,
  op: { kind: 'transfer', from, to, amount: 1 },
});
const read = (clientId: string, account: number): Command => ({ clientId, seq: 1, op: { kind: 'balance', account } });
const crossShard = (clientId: string, from: number): Command => ({
  clientId,
  seq: 1,
  op: { kind: 'x-prepare-coordinator', from, to: 99, amount: 1, participant: 2 },
});

describe('Admission', () => {
  test('a client write held by a prepared transaction waits, then leaves the queue unchosen and its clients are told to retry', () => {
    const a = new Admission();
    a.enqueue(transfer('w-1', 1, 2), 0);
    a.admitWaiting(context(9, { prepared: [[1, 'x#1']] }));
    assert.equal(a.pending, 1, 'still waiting');
    const over = context(10, { prepared: [[1, 'x#1']] });
    a.admitWaiting(over);
    assert.deepEqual(over.gaveUp, ['w-1#1'], 'its clients hear busy (locked)');
    assert.deepEqual([a.pending, a.batched, a.pendingOf('w-2')], [0, 0, 0], 'nothing is proposed, no refusal chosen');
    // The retry of the same (client, seq) once the account is free is admitted like a new one.
    a.enqueue(transfer('w-1', 1, 2), 11);
    a.admitWaiting(context(11));
    assert.deepEqual(a.takeSlot(Number.MAX_SAFE_INTEGER), [transfer('w-1', 1, 2)]);
  });

  test("a participant's PREPARE held past its lock wait is refused with locked, chosen like any command (it breaks cycles)", () => {
    const a = new Admission();
    const prepare: Command = {
      clientId: 'c',
      seq: 4,
      op: { kind: 'x-prepare-participant', to: 7, amount: 1, coordinator: 2 },
    };
    a.enqueue(prepare, 0);
    a.admitWaiting(context(9, { prepared: [[7, 'x#1']] }));
    assert.equal(a.batched, 0, 'still waiting');
    const over = context(10, { prepared: [[7, 'x#1']] });
    a.admitWaiting(over);
    assert.deepEqual(over.gaveUp, []);
    assert.deepEqual(a.takeSlot(Number.MAX_SAFE_INTEGER), [
      { ...prepare, op: { kind: 'x-prepare-participant', to: 7, amount: 1, coordinator: 2, abort: 'locked' } },
    ]);
  });

  test('a read held by a write in flight waits four lock waits, then its clients are told to retry; it never takes a lock', () => {
    const a = new Admission();
    a.enqueue(transfer('w', 1, 2), 0);
    a.enqueue(read('r', 1), 0);
    const first = context(0);
    a.admitWaiting(first);
    assert.deepEqual(first.admitted, [transfer('w', 1, 2)], 'the write is admitted (and reported); the read waits');
    a.admitWaiting(context(40));
    assert.equal(a.pending, 2, 'the read waits on');
    const late = context(41);
    a.admitWaiting(late);
    assert.deepEqual([late.gaveUp, a.pending], [['r#1'], 1]);
  });

  test('wait-die: a PREPARE outranked by the coordinator-prepared holder of its account is refused after waitDieTicks; held by a participant-prepared one it waits its whole lock wait', () => {
    const prepare = (clientId: string): Command => ({
      clientId,
      seq: 1,
      op: { kind: 'x-prepare-participant', to: 7, amount: 1, coordinator: 2 },
    });
    const [low, high] = outranks('p#1', 'h#1') ? ['h', 'p'] : ['p', 'h'];
    const short = waitDieTicks(10);
    const asCoordinator = new Admission();
    asCoordinator.enqueue(prepare(low), 0);
    asCoordinator.admitWaiting(context(short - 1, { prepared: [[7, `${high}#1`]], coordinators: [`${high}#1`] }));
    assert.equal(asCoordinator.batched, 0, 'a short wait first');
    asCoordinator.admitWaiting(context(short, { prepared: [[7, `${high}#1`]], coordinators: [`${high}#1`] }));
    assert.equal((asCoordinator.takeSlot(Number.MAX_SAFE_INTEGER)[0]?.op as { abort?: string }).abort, 'locked');
    const asParticipant = new Admission();
    asParticipant.enqueue(prepare(low), 0);
    asParticipant.admitWaiting(context(9, { prepared: [[7, `${high}#1`]] }));
    assert.equal(asParticipant.batched, 0, 'a participant-prepared holder waits on no one: no death');
  });

  test("an audit's hold keeps new cross-shard transfers waiting, without counting against their lock wait", () => {
    const a = new Admission();
    a.enqueue(crossShard('x', 1), 0);
    a.enqueue(transfer('w', 3, 4), 0);
    a.admitWaiting(context(100, { holdCrossShard: true, prepared: [[1, 'y#1']] }));
    assert.deepEqual(a.takeSlot(Number.MAX_SAFE_INTEGER), [transfer('w', 3, 4)], 'an intra-shard transfer goes on');
    a.admitWaiting(context(109, { prepared: [[1, 'y#1']] }));
    assert.equal(a.pending, 1, 'its lock wait counts from the end of the hold');
    const over = context(110, { prepared: [[1, 'y#1']] });
    a.admitWaiting(over);
    assert.deepEqual([over.gaveUp, a.pending], [['x#1'], 0], 'then its client is told to retry');
  });

  test('offer queues a 2PC step unless the queues are full', () => {
    const a = new Admission();
    for (let i = 0; i < limits.pendingCommandsMax - 1; i++) a.enqueue(read(`r${i}`, 1), 0);
    assert.equal(a.full, false);
    assert.equal(a.offer(crossShard('x', 1), 0), true);
    assert.equal(a.full, true);
    assert.equal(a.offer(crossShard('y', 2), 0), false);
    assert.equal(a.pending, limits.pendingCommandsMax);
  });

  test('one client origin fills only its share: it is told busy, another client still gets in, and its share comes back as its commands leave', () => {
    const a = new Admission();
    for (let i = 0; i < limits.pendingCommandsPerOriginMax; i++) a.enqueue(read(`flood-${i}`, 1), 0);
    assert.ok(limits.pendingCommandsPerOriginMax < limits.pendingCommandsMax);
    assert.equal(a.full, false, 'the queues as a whole have room');
    assert.equal(a.fullFor('flood-999999'), true, "the flooding client's new session is busy");
    assert.equal(a.fullFor('calm-0'), false, 'another client still gets in');
    a.enqueue(transfer('calm-0', 3, 4), 0);
    assert.equal(a.pendingOf('calm-0'), 1);
    a.admitWaiting(context(0));
    while (a.batched > 0) a.takeSlot(Number.MAX_SAFE_INTEGER);
    assert.equal(a.pendingOf('flood-0'), 0, 'proposed commands no longer count');
    assert.equal(a.fullFor('flood-0'), false);
  });

  test("a read that gives up leaves its origin's count; clear forgets every count", () => {
    const a = new Admission();
    a.enqueue(transfer('w-1', 1, 2), 0);
    a.enqueue(read('r-1', 1), 0);
    a.admitWaiting(context(0));
    assert.equal(a.pendingOf('r-2'), 1);
    a.admitWaiting(context(41));
    assert.equal(a.pendingOf('r-2'), 0);
    a.clear();
    assert.equal(a.pendingOf('w-9'), 0);
  });

  test("a client's origin is its id up to the last '-' (a LedgerClient's sessions share one)", () => {
    assert.equal(clientOrigin('3fa9c2e1b0d4-17'), '3fa9c2e1b0d4');
    assert.equal(clientOrigin('run-a-b-2'), 'run-a-b');
    assert.equal(clientOrigin('solo'), 'solo');
  });

  test('a flood of contended commands costs admission linear work: while no lock is released and the tick stays, only new arrivals are looked at', () => {
    const a = new Admission();
    const arrivals = 5_000;
    const ctx = context(0); // one view of the prepared locks, as a shard server passes it
    for (let i = 0; i < arrivals; i++) {
      const from = 1 + (i % 1_000);
      a.enqueue(transfer(`f-${i}`, from, from + 1), 0);
      a.admitWaiting(ctx);
    }
    assert.equal(a.batched, 500, 'every other account pair is free at first');
    assert.ok(
      a.examined <= 2 * arrivals,
      `${a.examined} looks for ${arrivals} arrivals (a rescan per arrival is ~${arrivals ** 2 / 2})`,
    );
    // A release (a command applied) and the next tick each make the whole queue looked at again.
    const [first] = a.takeSlot(Number.MAX_SAFE_INTEGER); // the whole batch: 500 commands
    a.release(first as Command);
    const before = a.examined;
    a.admitWaiting(ctx);
    assert.equal(a.examined - before, arrivals - 500, 'after a release every waiting command is looked at');
    assert.equal(a.batched, 1, 'the one waiting for the freed accounts joined the batch');
  });

  test("a client's backlog does not delay another client's command: the next slot takes the origins in turns", () => {
    const a = new Admission();
    const backlog = limits.commandsPerSlotMax + 100;
    for (let i = 0; i < backlog; i++) a.enqueue(transfer(`flood-${i}`, 2 * i + 1, 2 * i + 2), 0);
    a.enqueue(transfer('other-1', 5_000, 5_001), 0);
    a.admitWaiting(context(0));
    assert.equal(a.batched, backlog + 1);
    const slot = a.takeSlot(Number.MAX_SAFE_INTEGER);
    assert.equal(slot.length, limits.commandsPerSlotMax);
    assert.deepEqual(slot[1], transfer('other-1', 5_000, 5_001), 'second in the slot, after one of the flood');
  });

  describe("2PC steps that wait for company (END, a participant's decision)", () => {
    const end: Command = { clientId: 'e', seq: 3, op: { kind: 'x-end' } };
    const decision: Command = {
      clientId: 'd',
      seq: 5,
      op: { kind: 'x-decide', role: 'participant', decision: 'commit', prepareSlot: 4 },
    };

    test('alone, they wait up to companyWaitTicksMax, counted as pending, then go in one slot', () => {
      const a = new Admission();
      assert.equal(a.offer(end, 0, true), true);
      assert.equal(a.offer(decision, 0, true), true);
      for (let now = 0; now < companyWaitTicksMax; now++) {
        const ctx = context(now);
        a.admitWaiting(ctx);
        assert.equal(a.batched, 0, `tick ${now}: still waiting for company`);
        assert.deepEqual(ctx.admitted, []);
      }
      assert.equal(a.pending, 2, 'they count against the queue bound');
      assert.deepEqual([a.pendingOf('e'), a.pendingOf('d')], [1, 1], "and against their origin's share");
      const ctx = context(companyWaitTicksMax);
      a.admitWaiting(ctx);
      assert.deepEqual(ctx.admitted, [end, decision]);
      assert.deepEqual(
        a.takeSlot(Number.MAX_SAFE_INTEGER).sort((x, y) => x.seq - y.seq),
        [end, decision],
      );
      assert.equal(a.pending, 0);
      assert.deepEqual([a.pendingOf('e'), a.pendingOf('d')], [0, 0]);
    });

    test('they join the slot of the next command admitted, at once', () => {
      const a = new Admission();
      a.offer(end, 0, true);
      a.admitWaiting(context(0));
      assert.equal(a.batched, 0);
      a.enqueue(transfer('c-1', 1, 2), 0);
      a.admitWaiting(context(0));
      assert.deepEqual(
        a.takeSlot(Number.MAX_SAFE_INTEGER).map((c) => c.op.kind),
        ['transfer', 'x-end'],
      );
    });

    test('anything waiting in the queue (it may want the account a decision releases) ends the wait', () => {
      const a = new Admission();
      a.offer(decision, 0, true);
      a.enqueue(read('r-1', 7), 0);
      const ctx = context(0, { prepared: [[7, 'd#5']] });
      a.admitWaiting(ctx);
      assert.deepEqual(ctx.admitted, [decision], 'the read waits for account 7, the decision goes now');
      assert.deepEqual(a.takeSlot(Number.MAX_SAFE_INTEGER), [decision]);
    });

    test('a client waiting for one of them (a retry joined its transaction) ends the wait', () => {
      const a = new Admission();
      a.offer(end, 0, true);
      a.offer(decision, 0, true);
      a.admitWaiting(context(0, { awaited: ['x#1'] }));
      assert.equal(a.batched, 0, 'nobody waits for these');
      const ctx = context(0, { awaited: ['d#5'] });
      a.admitWaiting(ctx);
      assert.deepEqual(ctx.admitted, [end, decision], 'all go, in one slot');
    });

    test('a lost leadership drops them with the rest (the next leader drives its transactions on)', () => {
      const a = new Admission();
      a.offer(end, 0, true);
      a.clear();
      assert.equal(a.pending, 0);
      a.admitWaiting(context(companyWaitTicksMax));
      assert.equal(a.batched, 0);
    });

    test('a step that takes a lock may not wait for company (its lock is taken at admission)', () => {
      assert.throws(() => new Admission().offer(transfer('c-1', 1, 2), 0, true), /takes no lock/);
    });
  });
});
