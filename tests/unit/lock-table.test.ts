import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { LockTable } from '../../src/twopc/lock-table.js';

describe('LockTable', () => {
  test('acquisition is all-or-nothing: a conflict on one account takes none of the others', () => {
    const locks = new LockTable();
    assert.equal(locks.tryAcquireAll('t1', [1, 2]), true);
    assert.equal(locks.tryAcquireAll('t2', [3, 2]), false);
    assert.equal(locks.holderOf(3), undefined, 'no partial acquisition');
    assert.equal(locks.holderOf(2), 't1');
    assert.equal(locks.size, 2);
  });

  test('an owner may take its own locks again', () => {
    const locks = new LockTable();
    locks.tryAcquireAll('t1', [1, 2]);
    assert.equal(locks.tryAcquireAll('t1', [2, 3]), true);
    assert.equal(locks.holderOf(3), 't1');
  });

  test('the same account listed twice (a self-transfer) is one lock', () => {
    const locks = new LockTable();
    assert.equal(locks.tryAcquireAll('t1', [5, 5]), true);
    assert.equal(locks.size, 1);
    locks.releaseAll('t1', [5, 5]);
    assert.equal(locks.size, 0);
  });

  test('only the owner releases a lock; others are left in place', () => {
    const locks = new LockTable();
    locks.tryAcquireAll('t1', [1, 2]);
    locks.releaseAll('t2', [1, 2]);
    assert.equal(locks.holderOf(1), 't1');
    assert.equal(locks.holderOf(2), 't1');
    locks.releaseAll('t1', [1]);
    assert.equal(locks.holderOf(1), undefined);
    assert.equal(locks.holderOf(2), 't1', 'release touches only the listed accounts');
    assert.equal(locks.tryAcquireAll('t2', [1]), true);
    assert.equal(locks.tryAcquireAll('t2', [2]), false);
  });

  test('after release, a waiting transaction can take the locks', () => {
    const locks = new LockTable();
    locks.tryAcquireAll('t1', [1, 2]);
    assert.equal(locks.tryAcquireAll('t2', [2, 3]), false);
    locks.releaseAll('t1', [1, 2]);
    assert.equal(locks.tryAcquireAll('t2', [2, 3]), true);
  });

  test('clear drops every lock', () => {
    const locks = new LockTable();
    locks.tryAcquireAll('t1', [1, 2]);
    locks.tryAcquireAll('t2', [3]);
    locks.clear();
    assert.equal(locks.size, 0);
    assert.equal(locks.tryAcquireAll('t3', [1, 2, 3]), true);
  });
});
