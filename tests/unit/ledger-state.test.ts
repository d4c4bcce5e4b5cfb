import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { AssertionError } from '../../src/core/assert.js';
import type { Command, Session } from '../../src/protocol/commands.js';
import { LedgerState } from '../../src/ledger/state.js';

function transfer(clientId: string, seq: number, from: number, to: number, amount: number): Command {
  return { clientId, seq, op: { kind: 'transfer', from, to, amount } };
}

function read(clientId: string, seq: number, account: number): Command {
  return { clientId, seq, op: { kind: 'balance', account } };
}

/** Accounts 1..n, each holding `balance`. */
function newState(
  options: {
    accounts?: number;
    balance?: number;
    sessionsMax?: number;
    sessions?: Session[];
    appliedIndex?: number;
  } = {},
): LedgerState {
  const balances = new Map<number, number>();
  for (let a = 1; a <= (options.accounts ?? 3); a++) balances.set(a, options.balance ?? 100);
  return new LedgerState({
    balances,
    appliedIndex: options.appliedIndex ?? 0,
    ...(options.sessions === undefined ? {} : { sessions: options.sessions }),
    ...(options.sessionsMax === undefined ? {} : { sessionsMax: options.sessionsMax }),
  });
}

function balances(state: LedgerState): number[] {
  return [...state.accounts()].sort((a, b) => a[0] - b[0]).map(([, b]) => b);
}

describe('LedgerState: transfers', () => {
  test('a transfer moves the amount from sender to receiver and conserves the total', () => {
    const s = newState();
    const [r] = s.applySlot(1, [transfer('c1', 1, 1, 2, 30)]);
    assert.deepEqual(r?.outcome, { status: 'committed' });
    assert.deepEqual(balances(s), [70, 130, 100]);
    assert.equal(s.total(), 300);
    assert.equal(s.appliedIndex, 1);
  });

  test('insufficient funds leaves every balance untouched and reports the balance seen', () => {
    const s = newState();
    const [r] = s.applySlot(1, [transfer('c1', 1, 1, 2, 101)]);
    assert.deepEqual(r?.outcome, { status: 'insufficient-funds', balance: 100 });
    assert.deepEqual(balances(s), [100, 100, 100]);
    assert.deepEqual(s.takeWrites().balances, []);
  });

  test('a transfer of the whole balance is allowed and leaves zero', () => {
    const s = newState();
    assert.deepEqual(s.applySlot(1, [transfer('c1', 1, 1, 2, 100)])[0]?.outcome, { status: 'committed' });
    assert.equal(s.balanceOf(1), 0);
  });

  test('self-transfers, non-positive or fractional amounts and accounts outside the shard are rejected without moving money', () => {
    const s = newState();
    const outcomes = s
      .applySlot(1, [
        transfer('a', 1, 1, 1, 5),
        transfer('b', 1, 1, 2, 0),
        transfer('c', 1, 1, 2, -5),
        transfer('d', 1, 1, 2, 1.5),
        transfer('e', 1, 1, 99, 5),
      ])
      .map((r) => r.outcome?.status);
    assert.deepEqual(outcomes, ['rejected', 'rejected', 'rejected', 'rejected', 'rejected']);
    assert.deepEqual(balances(s), [100, 100, 100]);
  });

  test('commands in one slot apply in order: a later transfer sees the effect of an earlier one', () => {
    const s = newState();
    const out = s.applySlot(1, [transfer('a', 1, 1, 2, 80), transfer('b', 1, 1, 3, 30)]).map((r) => r.outcome);
    assert.deepEqual(out, [{ status: 'committed' }, { status: 'insufficient-funds', balance: 20 }]);
  });

  test('a balance read answers the current balance and is not recorded as a session', () => {
    const s = newState();
    s.applySlot(1, [transfer('c1', 1, 1, 2, 30), read('c2', 1, 1)]);
    const [r] = s.applySlot(2, [read('c2', 2, 2)]);
    assert.deepEqual(r?.outcome, { status: 'ok', balance: 130 });
    assert.equal(s.sessionOf('c2'), undefined);
  });
});

describe('LedgerState: exactly-once sessions', () => {
  test('a retried (clientId, seq) returns the first outcome without applying again', () => {
    const s = newState();
    s.applySlot(1, [transfer('c1', 1, 1, 2, 30)]);
    s.takeWrites();
    const [r] = s.applySlot(2, [transfer('c1', 1, 1, 2, 30)]);
    assert.deepEqual(r?.outcome, { status: 'committed' });
    assert.deepEqual(balances(s), [70, 130, 100]);
    const writes = s.takeWrites();
    assert.deepEqual(writes.balances, []);
    assert.deepEqual(writes.sessions, []);
    assert.equal(s.sessionOf('c1')?.slot, 1, 'the session still points at the first execution');
  });

  test('a retry gets the first outcome even when it would now succeed', () => {
    const s = newState();
    s.applySlot(1, [transfer('c1', 1, 1, 2, 150)]);
    s.applySlot(2, [transfer('c2', 1, 3, 1, 100)]);
    const [r] = s.applySlot(3, [transfer('c1', 1, 1, 2, 150)]);
    assert.deepEqual(r?.outcome, { status: 'insufficient-funds', balance: 100 });
    assert.deepEqual(balances(s), [200, 100, 0]);
  });

  test("a lower seq than the client's last is rejected as stale-sequence and moves nothing", () => {
    const s = newState();
    s.applySlot(1, [transfer('c1', 2, 1, 2, 10)]);
    const [r] = s.applySlot(2, [transfer('c1', 1, 1, 2, 10)]);
    assert.deepEqual(r?.outcome, { status: 'rejected', reason: 'stale-sequence' });
    assert.deepEqual(balances(s), [90, 110, 100]);
    assert.equal(s.sessionOf('c1')?.seq, 2);
  });

  test('a higher seq is a new command: it applies and replaces the session', () => {
    const s = newState();
    s.applySlot(1, [transfer('c1', 1, 1, 2, 10)]);
    s.applySlot(2, [transfer('c1', 2, 1, 2, 10)]);
    assert.deepEqual(balances(s), [80, 120, 100]);
    assert.deepEqual(s.sessionOf('c1'), {
      clientId: 'c1',
      seq: 2,
      outcome: { status: 'committed' },
      slot: 2,
      accounts: [1, 2],
    });
  });

  test('sessions are bounded: beyond sessionsMax the least recently used one is evicted, not the first one created', () => {
    const s = newState({ sessionsMax: 2 });
    s.applySlot(1, [transfer('a', 1, 1, 2, 1)]);
    s.applySlot(2, [transfer('b', 1, 1, 2, 1)]);
    s.applySlot(3, [transfer('a', 2, 1, 2, 1)]); // a is used again: b is now the least recent
    s.takeWrites();
    s.applySlot(4, [transfer('c', 1, 1, 2, 1)]);
    assert.equal(s.sessionOf('b'), undefined);
    assert.ok(s.sessionOf('a'));
    assert.ok(s.sessionOf('c'));
    assert.deepEqual(s.takeWrites().evictedSessions, ['b']);
  });

  test('sessions restored at start are ordered by slot for eviction', () => {
    const sessions: Session[] = [
      { clientId: 'late', seq: 1, outcome: { status: 'committed' }, slot: 5 },
      { clientId: 'early', seq: 1, outcome: { status: 'committed' }, slot: 3 },
    ];
    const s = newState({ sessionsMax: 2, sessions, appliedIndex: 5 });
    s.applySlot(6, [transfer('new', 1, 1, 2, 1)]);
    assert.equal(s.sessionOf('early'), undefined);
    assert.ok(s.sessionOf('late'));
  });
});

describe('LedgerState: writes and ordering', () => {
  test('takeWrites reports exactly the balances and sessions that changed, then forgets them', () => {
    const s = newState({ accounts: 4 });
    s.applySlot(1, [transfer('c1', 1, 1, 2, 30), transfer('c2', 1, 3, 4, 500)]);
    const w = s.takeWrites();
    assert.equal(w.appliedIndex, 1);
    assert.deepEqual(
      new Map(w.balances),
      new Map([
        [1, 70],
        [2, 130],
      ]),
      'account 3 had insufficient funds: nothing to write',
    );
    assert.deepEqual(w.sessions.map((x) => x.clientId).sort(), ['c1', 'c2']);
    assert.deepEqual(w.evictedSessions, []);
    s.applySlot(2, []);
    assert.deepEqual(s.takeWrites(), {
      appliedIndex: 2,
      balances: [],
      sessions: [],
      evictedSessions: [],
      coordinatorRecords: [],
      participantRecords: [],
    });
  });

  test('a session recorded and evicted within one batch is reported as evicted only', () => {
    const s = newState({ sessionsMax: 1 });
    s.applySlot(1, [transfer('a', 1, 1, 2, 1), transfer('b', 1, 1, 2, 1)]);
    const w = s.takeWrites();
    assert.deepEqual(
      w.sessions.map((x) => x.clientId),
      ['b'],
    );
    assert.deepEqual(w.evictedSessions, ['a']);
  });

  test('a session evicted and then recorded again within one batch is written, not deleted', () => {
    const s = newState({ sessionsMax: 1 });
    s.applySlot(1, [transfer('a', 1, 1, 2, 1), transfer('b', 1, 1, 2, 1), transfer('a', 2, 1, 2, 1)]);
    const w = s.takeWrites();
    assert.deepEqual(
      w.sessions.map((x) => [x.clientId, x.seq]),
      [['a', 2]],
    );
    assert.deepEqual(w.evictedSessions, ['b']);
  });

  test('slots must be applied in order, each exactly once (assertion)', () => {
    const s = newState();
    assert.throws(() => s.applySlot(2, []), AssertionError);
    s.applySlot(1, [transfer('c1', 1, 1, 2, 10)]);
    assert.throws(() => s.applySlot(1, [transfer('c1', 1, 1, 2, 10)]), AssertionError);
    assert.deepEqual(balances(s), [90, 110, 100]);
  });

  test('two replicas applying the same slots reach the same balances and outcomes', () => {
    const slots: Command[][] = [
      [transfer('a', 1, 1, 2, 60), transfer('b', 1, 2, 3, 150)],
      [transfer('a', 1, 1, 2, 60), transfer('c', 1, 1, 3, 50)],
      [transfer('b', 2, 3, 1, 10)],
    ];
    const x = newState();
    const y = newState();
    const ox = slots.map((cmds, i) => x.applySlot(i + 1, cmds).map((r) => r.outcome));
    const oy = slots.map((cmds, i) => y.applySlot(i + 1, cmds).map((r) => r.outcome));
    assert.deepEqual(ox, oy);
    assert.deepEqual(balances(x), balances(y));
    assert.equal(x.total(), 300);
  });
});
