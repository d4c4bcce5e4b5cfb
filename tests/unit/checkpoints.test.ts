import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Checkpoints } from '../../src/ledger/checkpoints.js';

describe('Checkpoints', () => {
  test('every intervalSlots applied slots a checkpoint is due, and the log is compacted below it minus the tail', () => {
    const c = new Checkpoints({ intervalSlots: 10, logTailSlots: 3 }, 0);
    assert.equal(c.afterApply(9, 0), undefined, 'not yet');
    assert.equal(c.writesDue, false);
    assert.equal(c.afterApply(10, 0), 7, 'compact through 10 - 3');
    assert.equal(c.writesDue, true);
    c.written();
    assert.equal(c.writesDue, false);
    assert.equal(c.afterApply(15, 7), undefined, 'the next interval counts from slot 10');
    assert.equal(c.afterApply(20, 7), 17);
  });

  test('no compaction when it would not move the floor up, but the state is still written', () => {
    const c = new Checkpoints({ intervalSlots: 5, logTailSlots: 100 }, 0);
    assert.equal(c.afterApply(5, 0), undefined);
    assert.equal(c.writesDue, true);
  });

  test('after a snapshot the next interval counts from the snapshot', () => {
    const c = new Checkpoints({ intervalSlots: 10, logTailSlots: 0 }, 0);
    c.restartAt(100);
    assert.equal(c.afterApply(105, 0), undefined);
    assert.equal(c.afterApply(110, 0), 110);
  });

  test('settings must be positive', () => {
    assert.throws(() => new Checkpoints({ intervalSlots: 0, logTailSlots: 0 }, 0), /checkpoint settings/);
  });
});
