import assert from 'node:assert/strict';
import { test } from 'node:test';
import { faultNoop } from '../../src/cli/fault-noop.js';

const live = { node: 9, failed: false, isolated: false };
const failed = { node: 9, failed: true, isolated: false };
const isolated = { node: 9, failed: false, isolated: true };

test('fail on a failed node and recover on a live one say so (nothing to do)', () => {
  assert.match(faultNoop('fail', failed) ?? '', /^n9 is already failed: nothing to do.*ledger node recover 9/);
  assert.match(faultNoop('recover', live) ?? '', /^n9 is not failed: nothing to recover/);
  assert.match(faultNoop('isolate', isolated) ?? '', /^n9 is already isolated/);
  assert.match(faultNoop('heal', live) ?? '', /^n9 is not isolated/);
});

test('a fault command with work to do goes ahead', () => {
  assert.equal(faultNoop('fail', live), undefined);
  assert.equal(faultNoop('recover', failed), undefined);
  assert.equal(faultNoop('isolate', live), undefined);
  assert.equal(faultNoop('heal', isolated), undefined);
});
