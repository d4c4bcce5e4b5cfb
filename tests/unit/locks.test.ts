import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Operation } from '../../src/protocol/commands.js';
import { LockTable } from '../../src/twopc/lock-table.js';
import {
  accountsOf,
  admit,
  heldAtApply,
  heldByOther,
  lockWaitOver,
  lockWaitRefusal,
  readServable,
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

  test('a write whose lock wait is over is marked refused with locked; a read or a decision never is', () => {
    assert.deepEqual(lockWaitRefusal({ clientId: 'c', seq: 2, op: transfer }), {
      clientId: 'c',
      seq: 2,
      op: { ...transfer, abort: 'locked' },
    });
    const prepare: Operation = { kind: 'x-prepare-participant', to: 9, amount: 5, coordinator: 1 };
    assert.deepEqual(lockWaitRefusal({ clientId: 'c', seq: 3, op: prepare }).op, { ...prepare, abort: 'locked' });
    assert.throws(() => lockWaitRefusal({ clientId: 'c', seq: 4, op: read }), /only lock-taking commands/);
    assert.throws(() => lockWaitRefusal({ clientId: 'c', seq: 5, op: { kind: 'x-end' } }), /only lock-taking commands/);
  });
});
