import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Operation } from '../../src/protocol/commands.js';
import { LockTable } from '../../src/twopc/lock-table.js';
import {
  accountsOf,
  admit,
  heldAtApply,
  heldByOther,
  lockWaitEnd,
  lockWaitOver,
  lockWaitRefusal,
  outranks,
  readServable,
  waitDies,
  waitDieTicks,
  type HolderOf,
} from '../../src/twopc/locks.js';

/** The lock rule (src/twopc/locks.ts), on its own: the one function admission and apply call. */

const holders = (entries: Array<[number, string]>): HolderOf => {
  const map = new Map(entries);
  return (account) => map.get(account);
};

const transfer: Operation = { kind: 'transfer', from: 1, to: 2, amount: 5 };
const read: Operation = { kind: 'balance', account: 1 };

describe('the lock rule', () => {
  test('an account is held by another key, by any of the holders; the owner itself never blocks', () => {
    const prepared = holders([[1, 'a#1']]);
    const inFlight = holders([[2, 'b#1']]);
    assert.equal(heldByOther([1], 'a#1', [prepared, inFlight]), false, 'its own lock');
    assert.equal(heldByOther([1], 'c#1', [prepared, inFlight]), true, 'a prepared transaction holds it');
    assert.equal(heldByOther([2], 'c#1', [prepared, inFlight]), true, 'a command in flight holds it');
    assert.equal(heldByOther([3], 'c#1', [prepared, inFlight]), false, 'free');
    assert.equal(heldByOther([1], undefined, [prepared]), true, 'with no owner, any holder counts');
  });

  test('the accounts a command holds: both sides of a transfer, one side of each prepare, none for a decision', () => {
    assert.deepEqual(accountsOf(transfer), [1, 2]);
    assert.deepEqual(accountsOf(read), [1]);
    assert.deepEqual(accountsOf({ kind: 'x-prepare-coordinator', from: 1, to: 9, amount: 5, participant: 2 }), [1]);
    assert.deepEqual(accountsOf({ kind: 'x-prepare-participant', to: 9, amount: 5, coordinator: 1 }), [9]);
    assert.deepEqual(accountsOf({ kind: 'x-decide', role: 'coordinator', decision: 'commit' }), []);
    assert.deepEqual(accountsOf({ kind: 'x-end' }), []);
  });

  test('admission: a write takes its in-flight locks only when no other key holds any of its accounts', () => {
    const inFlight = new LockTable();
    assert.equal(
      admit('t#1', transfer, holders([[2, 'x#1']]), inFlight),
      false,
      'a prepared transaction holds account 2',
    );
    assert.equal(inFlight.size, 0, 'a refused write takes no lock');
    assert.equal(admit('t#1', transfer, holders([[2, 't#1']]), inFlight), true, 'held by its own transaction');
    assert.equal(inFlight.holderOf(1), 't#1');
    assert.equal(
      admit('u#1', { kind: 'transfer', from: 2, to: 3, amount: 1 }, holders([]), inFlight),
      false,
      'account 2 is in flight for t#1',
    );
  });

  test('admission: a read takes no lock and waits while anything holds its account, even in flight', () => {
    const inFlight = new LockTable();
    assert.equal(admit('r#1', read, holders([]), inFlight), true);
    assert.equal(inFlight.size, 0, 'a read takes no lock');
    inFlight.tryAcquireAll('t#1', [1]);
    assert.equal(admit('r#1', read, holders([]), inFlight), false, 'a write in flight holds it');
    assert.equal(admit('r#1', read, holders([[1, 'x#1']]), new LockTable()), false, 'a prepared transaction holds it');
  });

  test('at apply: any prepared transaction holding an account of the command counts', () => {
    assert.equal(heldAtApply(transfer, holders([[2, 'x#1']])), true);
    assert.equal(heldAtApply(transfer, holders([[3, 'x#1']])), false);
    assert.equal(heldAtApply({ kind: 'x-end' }, holders([[1, 'x#1']])), false, 'a step that holds no account');
  });

  test('a leader read is served without a log round only while no prepared transaction holds its account', () => {
    assert.equal(readServable(1, holders([])), true);
    assert.equal(readServable(1, holders([[2, 'x#1']])), true, 'another account is held');
    assert.equal(
      readServable(1, holders([[1, 'x#1']])),
      false,
      'a prepared transaction holds it: the read goes through the log',
    );
  });

  test('the lock wait: a write stops waiting after lockWaitTicks, a read only after four times as long', () => {
    assert.equal(lockWaitOver(transfer, 9, 10), false);
    assert.equal(lockWaitOver(transfer, 10, 10), true, 'a write: at lockWaitTicks');
    assert.equal(
      lockWaitOver({ kind: 'x-prepare-participant', to: 9, amount: 5, coordinator: 1 }, 10, 10),
      true,
      'a PREPARE waits as a write does',
    );
    assert.equal(lockWaitOver(read, 10, 10), false, 'a read waits on');
    assert.equal(lockWaitOver(read, 40, 10), false);
    assert.equal(lockWaitOver(read, 41, 10), true, 'a read: past four lock waits');
  });

  test("the hot-account policy: what a client sent is given back to it to retry (nothing chosen); only a participant's PREPARE is refused", () => {
    const prepare: Operation = { kind: 'x-prepare-participant', to: 9, amount: 5, coordinator: 1 };
    const coordinator: Operation = { kind: 'x-prepare-coordinator', from: 1, to: 9, amount: 5, participant: 2 };
    const moveOut: Operation = { kind: 'move-out', accounts: [1], to: 2, epoch: 1 };
    assert.deepEqual(
      [transfer, coordinator, read, moveOut].map(lockWaitEnd),
      ['retry', 'retry', 'retry', 'retry'],
      'a client waits for these at no one: it retries the same (client, seq)',
    );
    assert.equal(
      lockWaitEnd(prepare),
      'refuse',
      'its coordinator holds a lock while it waits: a no vote breaks cycles',
    );
  });

  test("only a participant's PREPARE is marked refused with locked; a client's write, a read or a decision never is", () => {
    const prepare: Operation = { kind: 'x-prepare-participant', to: 9, amount: 5, coordinator: 1 };
    assert.deepEqual(lockWaitRefusal({ clientId: 'c', seq: 3, op: prepare }), {
      clientId: 'c',
      seq: 3,
      op: { ...prepare, abort: 'locked' },
    });
    assert.throws(() => lockWaitRefusal({ clientId: 'c', seq: 2, op: transfer }), /only a participant's PREPARE/);
    assert.throws(() => lockWaitRefusal({ clientId: 'c', seq: 4, op: read }), /only a participant's PREPARE/);
    assert.throws(
      () => lockWaitRefusal({ clientId: 'c', seq: 5, op: { kind: 'x-end' } }),
      /only a participant's PREPARE/,
    );
  });
  test('wait-die ends only a PREPARE, only after waitDieTicks, only against a coordinator-prepared holder that outranks it', () => {
    const prepare: Operation = { kind: 'x-prepare-participant', to: 9, amount: 5, coordinator: 1 };
    const [low, high] = outranks('a#1', 'b#1') ? ['b#1', 'a#1'] : ['a#1', 'b#1'];
    const heldBy = (key: string) => holders([[9, key]]);
    const short = waitDieTicks(10);
    assert.ok(short >= 1 && short < 10, 'a short wait, within the lock wait');
    assert.equal(waitDies(low, prepare, short, 10, heldBy(high)), true, 'outranked: it dies');
    assert.equal(waitDies(low, prepare, short - 1, 10, heldBy(high)), false, 'not before the short wait');
    assert.equal(waitDies(high, prepare, 9, 10, heldBy(low)), false, 'it outranks the holder: it waits on');
    assert.equal(waitDies(low, prepare, short, 10, holders([])), false, 'no coordinator-prepared holder');
    assert.equal(waitDies(low, prepare, short, 10, heldBy(low)), false, 'its own transaction');
    const coordinator: Operation = { kind: 'x-prepare-coordinator', from: 9, to: 1, amount: 5, participant: 2 };
    assert.equal(
      waitDies(low, coordinator, short, 10, heldBy(high)),
      false,
      "a client's command holds nothing: it never dies",
    );
    assert.equal(waitDies(low, { kind: 'transfer', from: 9, to: 1, amount: 5 }, short, 10, heldBy(high)), false);
  });

  test('the rank is a total order on transaction ids: every cycle of prepared transactions waiting on each other has a victim', () => {
    const ids = Array.from({ length: 40 }, (_, i) => `${(i * 7919) % 997}-c#${1 + (i % 5)}`);
    for (const a of ids)
      for (const b of ids) {
        if (a === b) assert.equal(outranks(a, b), false, 'irreflexive');
        else assert.notEqual(outranks(a, b), outranks(b, a), `exactly one of ${a}, ${b} outranks the other`);
        for (const c of ids.slice(0, 10))
          if (outranks(a, b) && outranks(b, c)) assert.ok(outranks(a, c), `transitive: ${a} ${b} ${c}`);
      }
    // Rings of k transactions: T_i holds account i (prepared as coordinator) and its participant's
    // PREPARE waits for account i+1. Some PREPARE in the ring must die.
    for (let k = 2; k <= 6; k++)
      for (let start = 0; start + k <= ids.length; start += k) {
        const ring = ids.slice(start, start + k);
        const victims = ring.filter((waiter, i) => {
          const next = (i + 1) % k;
          const prepare: Operation = { kind: 'x-prepare-participant', to: next, amount: 1, coordinator: 1 };
          return waitDies(waiter, prepare, waitDieTicks(10), 10, holders([[next, ring[next] as string]]));
        });
        assert.ok(victims.length >= 1 && victims.length < k, `ring ${ring.join(' ')}: ${victims.length} victims`);
      }
  });
});
