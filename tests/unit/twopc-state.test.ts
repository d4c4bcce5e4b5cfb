import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Command, Outcome } from '../../src/protocol/commands.js';
import { isHeldRead, LedgerState } from '../../src/ledger/state.js';
import { mergePieces, snapshotPieces } from '../../src/ledger/snapshot-pieces.js';

/**
 * The replicated side of Two-Phase Commit: what applying each 2PC step does to balances, locks,
 * records and sessions, on every replica alike.
 */

function transfer(clientId: string, seq: number, from: number, to: number, amount: number, abort?: string): Command {
  return {
    clientId,
    seq,
    op: abort === undefined ? { kind: 'transfer', from, to, amount } : { kind: 'transfer', from, to, amount, abort },
  };
}

/** The coordinator's PREPARE: debit `from` of this shard towards `to` of cluster `participant`. */
function prepareC(
  clientId: string,
  seq: number,
  from: number,
  to: number,
  amount: number,
  participant = 2,
  abort?: string,
): Command {
  const op = { kind: 'x-prepare-coordinator' as const, from, to, amount, participant };
  return { clientId, seq, op: abort === undefined ? op : { ...op, abort } };
}

/** The participant's PREPARE: credit `to` of this shard, for the transaction coordinated by `coordinator`. */
function prepareP(clientId: string, seq: number, to: number, amount: number, coordinator = 1, abort?: string): Command {
  const op = { kind: 'x-prepare-participant' as const, to, amount, coordinator };
  return { clientId, seq, op: abort === undefined ? op : { ...op, abort } };
}

function decide(
  clientId: string,
  seq: number,
  role: 'coordinator' | 'participant',
  decision: 'commit' | 'abort',
  reason?: string,
  peer?: number,
): Command {
  return {
    clientId,
    seq,
    op: {
      kind: 'x-decide',
      role,
      decision,
      ...(reason === undefined ? {} : { reason }),
      ...(peer === undefined ? {} : { peer }),
    },
  };
}

function end(clientId: string, seq: number): Command {
  return { clientId, seq, op: { kind: 'x-end' } };
}

/** Accounts 1..n, each holding `balance`. */
function newState(options: { accounts?: number; balance?: number; sessionsMax?: number } = {}): LedgerState {
  const balances = new Map<number, number>();
  for (let a = 1; a <= (options.accounts ?? 3); a++) balances.set(a, options.balance ?? 100);
  return new LedgerState({
    balances,
    appliedIndex: 0,
    ...(options.sessionsMax === undefined ? {} : { sessionsMax: options.sessionsMax }),
  });
}

function balances(state: LedgerState): number[] {
  return [...state.accounts()].sort((a, b) => a[0] - b[0]).map(([, b]) => b);
}

/** Applies each command in its own slot, after the state's applied index; returns the outcomes. */
function applyEach(state: LedgerState, ...commands: Command[]): unknown[] {
  return commands.map((c) => state.applySlot(state.appliedIndex + 1, [c])[0]?.outcome);
}

/** Everything observable about the 2PC side of a state, for "nothing changed" assertions. */
function fingerprint(s: LedgerState): unknown {
  return {
    balances: balances(s),
    coordinator: s.twoPc.coordinatorRecords(),
    participant: s.twoPc.participantRecords(),
    locks: [1, 2, 3].map((a) => s.twoPc.lockHolder(a)),
    lockCount: s.twoPc.lockCount,
    hash: s.stateHash,
  };
}

describe('2PC state: the coordinator (sender side)', () => {
  test("the coordinator's PREPARE debits the sender, locks it, and leaves the outcome pending", () => {
    const s = newState();
    const [r] = s.applySlot(1, [prepareC('c1', 1, 1, 7, 30)]);
    assert.equal(r?.outcome, undefined, 'the client answer waits for the decision');
    assert.deepEqual(balances(s), [70, 100, 100], 'the sender is debited at PREPARE');
    assert.equal(s.twoPc.lockHolder(1), 'c1#1');
    assert.equal(s.twoPc.lockCount, 1);
    assert.deepEqual(s.twoPc.coordinatorRecord('c1#1'), {
      clientId: 'c1',
      seq: 1,
      from: 1,
      to: 7,
      amount: 30,
      participant: 2,
      state: 'prepared',
      slot: 1,
    });
    assert.equal(s.sessionOf('c1'), undefined, 'no answer is recorded while undecided');
  });

  test('insufficient funds at PREPARE answers insufficient-funds, records the session, takes no lock and creates no record', () => {
    const s = newState();
    const [r] = s.applySlot(1, [prepareC('c1', 1, 1, 7, 101)]);
    assert.deepEqual(r?.outcome, { status: 'insufficient-funds', balance: 100 });
    assert.deepEqual(s.sessionOf('c1'), {
      clientId: 'c1',
      seq: 1,
      outcome: { status: 'insufficient-funds', balance: 100 },
      slot: 1,
      accounts: [1, 7],
    });
    assert.equal(s.twoPc.lockHolder(1), undefined);
    assert.equal(s.twoPc.lockCount, 0);
    assert.deepEqual(s.twoPc.coordinatorRecords(), []);
    assert.deepEqual(balances(s), [100, 100, 100]);
  });

  test('a PREPARE refused by the leader (abort: locked) is answered aborted/locked and prepares nothing', () => {
    const s = newState();
    const [r] = s.applySlot(1, [prepareC('c1', 1, 1, 7, 30, 2, 'locked')]);
    assert.deepEqual(r?.outcome, { status: 'aborted', reason: 'locked' });
    assert.deepEqual(s.sessionOf('c1')?.outcome, { status: 'aborted', reason: 'locked' });
    assert.deepEqual(s.twoPc.coordinatorRecords(), []);
    assert.equal(s.twoPc.lockCount, 0);
    assert.deepEqual(balances(s), [100, 100, 100]);
  });

  test('a PREPARE of an invalid amount is rejected and prepares nothing', () => {
    const s = newState();
    const out = applyEach(s, prepareC('a', 1, 1, 7, 0), prepareC('b', 1, 1, 7, 2.5), prepareC('c', 1, 99, 7, 5));
    assert.deepEqual(
      out.map((o) => (o as { status: string }).status),
      ['rejected', 'rejected', 'rejected'],
    );
    assert.deepEqual(s.twoPc.coordinatorRecords(), []);
    assert.equal(s.twoPc.lockCount, 0);
    assert.deepEqual(balances(s), [100, 100, 100]);
  });

  test('a repeated PREPARE (same client, seq) while prepared changes nothing: no double debit', () => {
    const s = newState();
    applyEach(s, prepareC('c1', 1, 1, 7, 30));
    const before = fingerprint(s);
    const out = applyEach(s, prepareC('c1', 1, 1, 7, 30));
    assert.deepEqual(out, [undefined], 'still pending');
    assert.deepEqual(fingerprint(s), before);
    assert.equal(s.balanceOf(1), 70);
  });

  test('a repeated PREPARE after the decision is answered from the session: no second debit, no new record', () => {
    const s = newState();
    applyEach(s, prepareC('c1', 1, 1, 7, 30), decide('c1', 1, 'coordinator', 'commit'), end('c1', 1));
    const out = applyEach(s, prepareC('c1', 1, 1, 7, 30));
    assert.deepEqual(out, [{ status: 'committed' }]);
    assert.equal(s.balanceOf(1), 70);
    assert.deepEqual(s.twoPc.coordinatorRecords(), []);
    assert.equal(s.twoPc.lockCount, 0);
  });

  test('COMMIT at the coordinator keeps the debit, releases the lock and records committed in the session', () => {
    const s = newState();
    applyEach(s, prepareC('c1', 1, 1, 7, 30));
    const [r] = s.applySlot(2, [decide('c1', 1, 'coordinator', 'commit', undefined, 2)]);
    assert.deepEqual(r?.outcome, { status: 'committed' });
    assert.equal(s.balanceOf(1), 70);
    assert.equal(s.twoPc.lockHolder(1), undefined);
    assert.equal(s.twoPc.lockCount, 0);
    assert.equal(s.twoPc.coordinatorRecord('c1#1')?.state, 'committed', 'kept until the participant acknowledges');
    assert.deepEqual(s.sessionOf('c1'), {
      clientId: 'c1',
      seq: 1,
      outcome: { status: 'committed' },
      slot: 2,
      accounts: [1, 7],
    });
    assert.equal(s.committedBalance(1), 70);
  });

  test("the decision's session takes the decision's slot, not the PREPARE's: a replica that reloaded its sessions evicts the same one", () => {
    // A session's slot is its place in the eviction order (LedgerState.leastRecentlyUsed): the
    // PREPARE's slot, older than sessions written meanwhile, would put the map out of slot order
    // on the replica that applied it, but not on one that reloaded its sessions sorted by slot.
    const live = newState({ sessionsMax: 2 });
    applyEach(live, prepareC('a', 1, 1, 7, 30), transfer('b', 1, 2, 3, 5), decide('a', 1, 'coordinator', 'commit'));
    const reloaded = newState({ sessionsMax: 2 });
    reloaded.install(live.appliedIndex, live.image());
    for (const s of [live, reloaded]) applyEach(s, transfer('c', 1, 2, 3, 1));
    assert.deepEqual(
      ['a', 'b', 'c'].map((c) => [live.sessionOf(c)?.seq, reloaded.sessionOf(c)?.seq]),
      [
        [1, 1],
        [undefined, undefined],
        [1, 1],
      ],
      'b, the least recently used, is evicted on both',
    );
    assert.equal(reloaded.stateHash, live.stateHash);
    assert.equal(live.sessionOf('a')?.slot, 3);
  });

  test('ABORT at the coordinator undoes the debit exactly once and records aborted with the reason', () => {
    const s = newState();
    applyEach(s, prepareC('c1', 1, 1, 7, 30));
    const [r] = s.applySlot(2, [decide('c1', 1, 'coordinator', 'abort', 'locked')]);
    assert.deepEqual(r?.outcome, { status: 'aborted', reason: 'locked' });
    assert.equal(s.balanceOf(1), 100);
    assert.equal(s.twoPc.lockCount, 0);
    assert.deepEqual(s.twoPc.coordinatorRecord('c1#1'), {
      clientId: 'c1',
      seq: 1,
      from: 1,
      to: 7,
      amount: 30,
      participant: 2,
      state: 'aborted',
      reason: 'locked',
      slot: 1,
    });
    assert.deepEqual(s.sessionOf('c1')?.outcome, { status: 'aborted', reason: 'locked' });
    // A repeated ABORT, or a COMMIT arriving after it, changes nothing.
    const before = fingerprint(s);
    assert.deepEqual(
      applyEach(s, decide('c1', 1, 'coordinator', 'abort', 'timeout'), decide('c1', 1, 'coordinator', 'commit')),
      [undefined, undefined],
    );
    assert.deepEqual(fingerprint(s), before);
    assert.equal(s.balanceOf(1), 100, 'undone exactly once');
    assert.deepEqual(s.sessionOf('c1')?.outcome, { status: 'aborted', reason: 'locked' });
  });

  test('an ABORT without a reason is recorded as participant-aborted', () => {
    const s = newState();
    applyEach(s, prepareC('c1', 1, 1, 7, 30));
    assert.deepEqual(applyEach(s, decide('c1', 1, 'coordinator', 'abort')), [
      { status: 'aborted', reason: 'participant-aborted' },
    ]);
  });

  test('a repeated COMMIT at the coordinator changes nothing and answers nothing new', () => {
    const s = newState();
    applyEach(s, prepareC('c1', 1, 1, 7, 30), decide('c1', 1, 'coordinator', 'commit'));
    const before = fingerprint(s);
    const session = s.sessionOf('c1');
    assert.deepEqual(applyEach(s, decide('c1', 1, 'coordinator', 'commit'), decide('c1', 1, 'coordinator', 'abort')), [
      undefined,
      undefined,
    ]);
    assert.deepEqual(fingerprint(s), before);
    assert.deepEqual(s.sessionOf('c1'), session);
  });
});

describe('2PC state: locks meet transfers and reads', () => {
  test('a sender held by a prepared transaction refuses an intra-shard transfer with aborted: locked', () => {
    const s = newState();
    applyEach(s, prepareC('c1', 1, 1, 7, 30));
    const out = applyEach(s, transfer('c2', 1, 1, 2, 10), transfer('c3', 1, 3, 1, 10));
    assert.deepEqual(
      out,
      [
        { status: 'aborted', reason: 'locked' },
        { status: 'aborted', reason: 'locked' },
      ],
      'neither from nor to may be held',
    );
    assert.deepEqual(s.sessionOf('c2')?.outcome, { status: 'aborted', reason: 'locked' });
    assert.deepEqual(balances(s), [70, 100, 100]);
    // Accounts not held still move.
    assert.deepEqual(applyEach(s, transfer('c4', 1, 2, 3, 10)), [{ status: 'committed' }]);
  });

  test('a sender held by a prepared transaction refuses another cross-shard PREPARE with aborted: locked', () => {
    const s = newState();
    applyEach(s, prepareC('c1', 1, 1, 7, 30));
    const out = applyEach(s, prepareC('c2', 1, 1, 8, 10, 3));
    assert.deepEqual(out, [{ status: 'aborted', reason: 'locked' }]);
    assert.equal(s.twoPc.coordinatorRecord('c2#1'), undefined);
    assert.equal(s.twoPc.lockHolder(1), 'c1#1');
    assert.equal(s.balanceOf(1), 70, 'debited once, by c1 only');
  });

  test('an account credited by a prepared participant record refuses transfers and cross-shard PREPAREs from it', () => {
    const s = newState();
    applyEach(s, prepareP('c1', 1, 2, 50));
    const out = applyEach(s, transfer('c2', 1, 2, 3, 120), prepareC('c3', 1, 2, 8, 120), transfer('c4', 1, 3, 2, 5));
    assert.deepEqual(out, [
      { status: 'aborted', reason: 'locked' },
      { status: 'aborted', reason: 'locked' },
      { status: 'aborted', reason: 'locked' },
    ]);
    assert.deepEqual(balances(s), [100, 150, 100], 'the tentative credit is never spent');
  });

  test('a read via committedBalance never shows the tentative debit or credit', () => {
    const s = newState();
    applyEach(s, prepareC('c1', 1, 1, 7, 30), prepareP('c2', 1, 2, 50, 3));
    assert.equal(s.balanceOf(1), 70);
    assert.equal(s.balanceOf(2), 150);
    assert.equal(s.committedBalance(1), 100, 'the debit is tentative');
    assert.equal(s.committedBalance(2), 100, 'the credit is tentative');
    assert.equal(s.committedBalance(3), 100);
    assert.equal(s.committedBalance(99), undefined);
    applyEach(s, decide('c1', 1, 'coordinator', 'commit'), decide('c2', 1, 'participant', 'commit'));
    assert.equal(s.committedBalance(1), 70, 'committed: now the real balance');
    assert.equal(s.committedBalance(2), 150);
  });

  test('committedBalance after an abort is the restored balance', () => {
    const s = newState();
    applyEach(s, prepareC('c1', 1, 1, 7, 30), prepareP('c2', 1, 2, 50, 3));
    applyEach(s, decide('c1', 1, 'coordinator', 'abort', 'timeout'), decide('c2', 1, 'participant', 'abort'));
    assert.equal(s.committedBalance(1), 100);
    assert.equal(s.committedBalance(2), 100);
    assert.deepEqual(balances(s), [100, 100, 100]);
  });

  test('once the transaction is decided the lock is gone and the same account transfers again', () => {
    const s = newState();
    applyEach(s, prepareC('c1', 1, 1, 7, 30), decide('c1', 1, 'coordinator', 'commit'));
    assert.deepEqual(applyEach(s, transfer('c2', 1, 1, 2, 70)), [{ status: 'committed' }]);
    assert.deepEqual(balances(s), [0, 170, 100]);
  });
});

describe('2PC state: the participant (receiver side)', () => {
  test("the participant's PREPARE credits and locks the receiver, with no client answer", () => {
    const s = newState();
    const [r] = s.applySlot(1, [prepareP('c1', 1, 2, 40, 5)]);
    assert.equal(r?.outcome, undefined);
    assert.equal(s.balanceOf(2), 140);
    assert.equal(s.twoPc.lockHolder(2), 'c1#1');
    assert.deepEqual(s.twoPc.participantRecord('c1#1'), {
      clientId: 'c1',
      seq: 1,
      to: 2,
      amount: 40,
      coordinator: 5,
      state: 'prepared',
      slot: 1,
    });
    assert.equal(s.sessionOf('c1'), undefined, 'the participant keeps no client session');
  });

  test('a locked receiver makes the participant record aborted: locked (vote no) and credit nothing', () => {
    const s = newState();
    applyEach(s, prepareC('c0', 1, 2, 9, 10)); // account 2 is held by this shard's own transaction
    applyEach(s, prepareP('c1', 1, 2, 40));
    assert.deepEqual(s.twoPc.participantRecord('c1#1'), {
      clientId: 'c1',
      seq: 1,
      to: 2,
      amount: 40,
      coordinator: 1,
      state: 'aborted',
      reason: 'locked',
      slot: 2,
    });
    assert.equal(s.balanceOf(2), 90, "only the other transaction's debit");
    assert.equal(s.twoPc.lockHolder(2), 'c0#1', 'the lock stays with its holder');
  });

  test('a PREPARE refused by the leader (abort: locked) is recorded as a no vote with that reason', () => {
    const s = newState();
    applyEach(s, prepareP('c1', 1, 2, 40, 1, 'locked'));
    assert.equal(s.twoPc.participantRecord('c1#1')?.state, 'aborted');
    assert.equal(s.twoPc.participantRecord('c1#1')?.reason, 'locked');
    assert.equal(s.balanceOf(2), 100);
    assert.equal(s.twoPc.lockCount, 0);
  });

  test('a PREPARE for an account not in the shard, or a bad amount, is recorded aborted and credits nothing', () => {
    const s = newState();
    applyEach(s, prepareP('a', 1, 99, 40), prepareP('b', 1, 2, 0), prepareP('c', 1, 2, 1.5));
    for (const key of ['a#1', 'b#1', 'c#1']) assert.equal(s.twoPc.participantRecord(key)?.state, 'aborted', key);
    assert.deepEqual(balances(s), [100, 100, 100]);
    assert.equal(s.twoPc.lockCount, 0);
  });

  test('a repeated participant PREPARE (same client, seq) changes nothing: no double credit', () => {
    const s = newState();
    applyEach(s, prepareP('c1', 1, 2, 40));
    const before = fingerprint(s);
    applyEach(s, prepareP('c1', 1, 2, 40));
    assert.deepEqual(fingerprint(s), before);
    assert.equal(s.balanceOf(2), 140);
    // Nor after the decision: the decided record answers it.
    applyEach(s, decide('c1', 1, 'participant', 'commit'));
    const decided = fingerprint(s);
    applyEach(s, prepareP('c1', 1, 2, 40));
    assert.deepEqual(fingerprint(s), decided);
    assert.equal(s.balanceOf(2), 140);
    assert.equal(s.twoPc.participantRecord('c1#1')?.state, 'committed');
  });

  test("the participant's COMMIT keeps the credit and releases the lock", () => {
    const s = newState();
    applyEach(s, prepareP('c1', 1, 2, 40));
    const out = applyEach(s, decide('c1', 1, 'participant', 'commit', undefined, 1));
    assert.deepEqual(out, [undefined], 'nobody waits for an answer at the participant');
    assert.equal(s.balanceOf(2), 140);
    assert.equal(s.twoPc.lockCount, 0);
    assert.equal(s.twoPc.participantRecord('c1#1')?.state, 'committed');
  });

  test("the participant's ABORT undoes its credit exactly once", () => {
    const s = newState();
    applyEach(s, prepareP('c1', 1, 2, 40));
    applyEach(s, decide('c1', 1, 'participant', 'abort', 'timeout'));
    assert.equal(s.balanceOf(2), 100);
    assert.equal(s.twoPc.lockCount, 0);
    assert.deepEqual(s.twoPc.participantRecord('c1#1'), {
      clientId: 'c1',
      seq: 1,
      to: 2,
      amount: 40,
      coordinator: 1,
      state: 'aborted',
      reason: 'timeout',
      slot: 2,
    });
    const before = fingerprint(s);
    applyEach(s, decide('c1', 1, 'participant', 'abort'), decide('c1', 1, 'participant', 'commit'));
    assert.deepEqual(fingerprint(s), before);
    assert.equal(s.balanceOf(2), 100, 'undone once');
  });

  test('a decision for an unknown transaction changes nothing, at either role', () => {
    const s = newState();
    applyEach(s, prepareP('c1', 1, 2, 40), prepareC('c2', 1, 1, 7, 30));
    s.takeWrites();
    const before = fingerprint(s);
    const out = applyEach(
      s,
      decide('zz', 1, 'participant', 'commit'),
      decide('zz', 1, 'participant', 'abort'),
      decide('c1', 2, 'participant', 'abort'),
      decide('zz', 1, 'coordinator', 'commit'),
    );
    assert.deepEqual(out, [undefined, undefined, undefined, undefined]);
    assert.deepEqual(fingerprint(s), before);
    assert.equal(s.sessionOf('zz'), undefined, 'a commit for an unknown transaction records no session');
    const w = s.takeWrites();
    assert.deepEqual([w.balances, w.sessions, w.coordinatorRecords, w.participantRecords], [[], [], [], []]);
  });

  test('a participant decision on a transaction that voted no changes nothing', () => {
    const s = newState();
    applyEach(s, prepareP('c1', 1, 2, 40, 1, 'locked'));
    const before = fingerprint(s);
    applyEach(s, decide('c1', 1, 'participant', 'abort'), decide('c1', 1, 'participant', 'commit'));
    assert.deepEqual(fingerprint(s), before);
    assert.equal(s.balanceOf(2), 100, 'nothing to undo: nothing was credited');
  });
});

describe('2PC state: presumed abort and forgetting', () => {
  test('a coordinator abort for a transaction with no record (a presumed abort) changes nothing here: no outcome, no session (its outcome is unknown, it may have committed)', () => {
    const s = newState({ sessionsMax: 1 });
    applyEach(s, transfer('other', 1, 2, 3, 5));
    const before = fingerprint(s);
    const [r] = s.applySlot(s.appliedIndex + 1, [decide('c1', 4, 'coordinator', 'abort', 'timeout', 2)]);
    assert.equal(r?.outcome, undefined);
    assert.equal(s.sessionOf('c1'), undefined);
    assert.deepEqual(fingerprint(s), before);
    assert.equal(s.sessionOf('other')?.seq, 1, "another client's session is not evicted for it");
  });

  test('a presumed abort for an older sequence than the session changes nothing', () => {
    const s = newState();
    applyEach(s, transfer('c1', 5, 1, 2, 10));
    const session = s.sessionOf('c1');
    const before = fingerprint(s);
    assert.deepEqual(
      applyEach(
        s,
        decide('c1', 3, 'coordinator', 'abort', 'timeout', 2),
        decide('c1', 5, 'coordinator', 'abort', 'timeout', 2),
      ),
      [undefined, undefined],
    );
    assert.deepEqual(s.sessionOf('c1'), session);
    assert.deepEqual(fingerprint(s), before);
  });

  test('x-end forgets a decided coordinator record', () => {
    for (const decision of ['commit', 'abort'] as const) {
      const s = newState();
      applyEach(s, prepareC('c1', 1, 1, 7, 30), decide('c1', 1, 'coordinator', decision));
      const session = s.sessionOf('c1');
      assert.deepEqual(applyEach(s, end('c1', 1)), [undefined]);
      assert.equal(s.twoPc.coordinatorRecord('c1#1'), undefined, decision);
      assert.deepEqual(s.twoPc.coordinatorRecords(), []);
      assert.deepEqual(s.sessionOf('c1'), session, 'the session keeps the answer');
    }
  });

  test('x-end never forgets a prepared coordinator record (nor its lock)', () => {
    const s = newState();
    applyEach(s, prepareC('c1', 1, 1, 7, 30));
    const before = fingerprint(s);
    applyEach(s, end('c1', 1));
    assert.deepEqual(fingerprint(s), before);
    assert.equal(s.twoPc.coordinatorRecord('c1#1')?.state, 'prepared');
    assert.equal(s.twoPc.lockHolder(1), 'c1#1');
  });
});

describe('2PC state: hashes, snapshots, writes', () => {
  const script: Command[][] = [
    [prepareC('a', 1, 1, 7, 30), prepareP('b', 1, 2, 40, 3)],
    [prepareC('c', 1, 3, 7, 500), transfer('d', 1, 1, 2, 5)],
    [decide('a', 1, 'coordinator', 'commit'), prepareC('e', 1, 3, 8, 20, 4)],
    [decide('e', 1, 'coordinator', 'abort', 'locked'), prepareP('f', 1, 2, 1, 3)],
  ];

  test('two replicas applying the same 2PC commands have equal state hashes, and every step changes the hash', () => {
    const x = newState();
    const y = newState();
    let previous = x.stateHash;
    script.forEach((cmds, i) => {
      const ox = x.applySlot(i + 1, cmds).map((r) => r.outcome);
      const oy = y.applySlot(i + 1, cmds).map((r) => r.outcome);
      assert.deepEqual(ox, oy);
      assert.equal(x.stateHash, y.stateHash, `slot ${i + 1}`);
      assert.notEqual(x.stateHash, previous, `slot ${i + 1} changed the state`);
      previous = x.stateHash;
    });
    assert.deepEqual(x.twoPc.coordinatorRecords(), y.twoPc.coordinatorRecords());
    assert.deepEqual(x.twoPc.participantRecords(), y.twoPc.participantRecords());
  });

  test('the state hash tells apart a prepared record from a decided one (same balances)', () => {
    const x = newState();
    const y = newState();
    applyEach(x, prepareP('b', 1, 2, 40));
    applyEach(y, prepareP('b', 1, 2, 40), decide('b', 1, 'participant', 'commit'));
    assert.deepEqual(balances(x), balances(y));
    assert.notEqual(x.stateHash, y.stateHash);
  });

  test("the state hash covers each 2PC record's slot: a record restored without it, or with another, differs", () => {
    const x = newState();
    applyEach(x, prepareC('a', 1, 1, 7, 30), prepareP('b', 1, 2, 40, 3));
    const image = x.image();
    const [coordinator] = image.coordinatorRecords;
    const [participant] = image.participantRecords;
    assert.deepEqual([coordinator?.slot, participant?.slot], [1, 2]);
    const same = newState();
    same.install(x.appliedIndex, x.image());
    assert.equal(same.stateHash, x.stateHash, 'the same records, slots included');
    const noSlot = newState();
    const { slot: _slot, ...withoutSlot } = coordinator!;
    noSlot.install(x.appliedIndex, { ...image, coordinatorRecords: [withoutSlot] });
    assert.notEqual(noSlot.stateHash, x.stateHash, 'the coordinator record lost its slot');
    const otherSlot = newState();
    otherSlot.install(x.appliedIndex, { ...image, participantRecords: [{ ...participant!, slot: 1 }] });
    assert.notEqual(otherSlot.stateHash, x.stateHash, 'the participant record names another slot');
  });

  test('a snapshot (image -> pieces -> merged -> install on a fresh state) carries the 2PC records and the locks they imply', () => {
    const x = newState();
    script.forEach((cmds, i) => x.applySlot(i + 1, cmds));
    // Small pieces (one item each), so that records are spread over several of them.
    const pieces = snapshotPieces(x.image(), 1);
    assert.ok(pieces.length > 4);
    const y = newState();
    y.install(x.appliedIndex, mergePieces(pieces));
    assert.equal(y.appliedIndex, 4);
    assert.deepEqual(y.twoPc.coordinatorRecords(), x.twoPc.coordinatorRecords());
    assert.deepEqual(y.twoPc.participantRecords(), x.twoPc.participantRecords());
    for (const a of [1, 2, 3]) {
      assert.equal(y.twoPc.lockHolder(a), x.twoPc.lockHolder(a), `lock on ${a}`);
      assert.equal(y.committedBalance(a), x.committedBalance(a), `committed balance of ${a}`);
    }
    assert.equal(y.twoPc.lockHolder(2), 'b#1', 'the prepared participant record holds its receiver');
    assert.equal(y.twoPc.lockCount, x.twoPc.lockCount);
    assert.equal(y.stateHash, x.stateHash);
    // The installed state enforces those locks and can finish the transactions.
    assert.deepEqual(applyEach(y, transfer('g', 1, 2, 1, 1)), [{ status: 'aborted', reason: 'locked' }]);
    applyEach(y, decide('b', 1, 'participant', 'abort'));
    assert.equal(y.balanceOf(2), (x.balanceOf(2) as number) - 40);
    assert.equal(y.twoPc.lockHolder(2), undefined);
    assert.equal(y.twoPc.participantRecord('f#1')?.reason, 'locked', "f met b's lock before the snapshot");
  });

  test('a snapshot of a prepared coordinator record locks the sender on the installed replica', () => {
    const x = newState();
    applyEach(x, prepareC('a', 1, 1, 7, 30));
    const y = newState();
    y.install(x.appliedIndex, x.image());
    assert.equal(y.twoPc.lockHolder(1), 'a#1');
    assert.equal(y.committedBalance(1), 100);
    assert.deepEqual(applyEach(y, decide('a', 1, 'coordinator', 'abort', 'timeout')), [
      { status: 'aborted', reason: 'timeout' },
    ]);
    assert.equal(y.balanceOf(1), 100, 'the undo record came with the snapshot');
    const w = y.takeWrites();
    assert.equal(w.replaceAll, true, 'an install is written as a whole');
    assert.deepEqual(w.coordinatorRecords, [
      [
        'a#1',
        {
          clientId: 'a',
          seq: 1,
          from: 1,
          to: 7,
          amount: 30,
          participant: 2,
          state: 'aborted',
          reason: 'timeout',
          slot: 1,
        },
      ],
    ]);
  });

  test('takeWrites reports the 2PC records written and forgotten, then forgets them', () => {
    const s = newState();
    applyEach(s, prepareC('a', 1, 1, 7, 30), prepareP('b', 1, 2, 40, 3));
    const w1 = s.takeWrites();
    assert.deepEqual(
      new Map(w1.balances),
      new Map([
        [1, 70],
        [2, 140],
      ]),
    );
    assert.deepEqual(w1.coordinatorRecords, [
      ['a#1', { clientId: 'a', seq: 1, from: 1, to: 7, amount: 30, participant: 2, state: 'prepared', slot: 1 }],
    ]);
    assert.deepEqual(w1.participantRecords, [
      ['b#1', { clientId: 'b', seq: 1, to: 2, amount: 40, coordinator: 3, state: 'prepared', slot: 2 }],
    ]);
    assert.deepEqual(w1.sessions, []);

    applyEach(s, decide('a', 1, 'coordinator', 'commit'), decide('b', 1, 'participant', 'abort'));
    const w2 = s.takeWrites();
    assert.deepEqual(
      w2.coordinatorRecords?.map(([k, r]) => [k, r?.state]),
      [['a#1', 'committed']],
    );
    assert.deepEqual(
      w2.participantRecords?.map(([k, r]) => [k, r?.state]),
      [['b#1', 'aborted']],
    );
    assert.deepEqual(
      new Map(w2.balances),
      new Map([[2, 100]]),
      'the undone credit is written; the committed debit was already',
    );
    assert.deepEqual(
      w2.sessions.map((x) => [x.clientId, x.outcome.status]),
      [['a', 'committed']],
    );

    applyEach(s, end('a', 1));
    const w3 = s.takeWrites();
    assert.deepEqual(w3.coordinatorRecords, [['a#1', null]], 'forgotten');
    assert.deepEqual(w3.participantRecords, []);

    s.applySlot(s.appliedIndex + 1, []);
    const w4 = s.takeWrites();
    assert.deepEqual([w4.coordinatorRecords, w4.participantRecords], [[], []]);
  });

  test('decided participant records are bounded like sessions; prepared ones are never forgotten', () => {
    const s = newState({ sessionsMax: 2 });
    applyEach(s, prepareP('p', 1, 1, 5)); // stays prepared
    applyEach(s, prepareP('a', 1, 2, 5), decide('a', 1, 'participant', 'commit'));
    s.takeWrites();
    applyEach(s, prepareP('b', 1, 3, 5), decide('b', 1, 'participant', 'commit'));
    assert.equal(s.twoPc.participantRecord('p#1')?.state, 'prepared', 'a prepared record is never forgotten');
    assert.equal(s.twoPc.participantRecord('a#1'), undefined, 'the least recent decided record is forgotten');
    assert.equal(s.twoPc.participantRecord('b#1')?.state, 'committed');
    assert.equal(s.twoPc.lockHolder(1), 'p#1');
    const w = s.takeWrites();
    assert.deepEqual(
      w.participantRecords?.find(([k]) => k === 'a#1'),
      ['a#1', null],
    );
  });
});

describe('LedgerState: a read applied while an undecided transfer holds its account', () => {
  test('is not answered (the leader asks again), and once decided it sees the credit', () => {
    const s = newState();
    const read: Command = { clientId: 'r', seq: 1, op: { kind: 'balance', account: 2 } };
    // A new leader admitted the read before applying the PREPARE chosen in the slot before it.
    const [, readOutcome] = applyEach(s, prepareP('x', 1, 2, 30), read);
    assert.equal(
      isHeldRead(read, readOutcome as Outcome),
      true,
      `a read of a held account was answered ${JSON.stringify(readOutcome)}`,
    );
    const [, again] = applyEach(s, decide('x', 1, 'participant', 'commit'), read);
    assert.deepEqual(again, { status: 'ok', balance: 130 });
    assert.equal(isHeldRead(read, again as Outcome), false);
  });
});
