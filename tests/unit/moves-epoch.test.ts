import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LedgerState } from '../../src/ledger/state.js';

/** Cluster 1 holding accounts 1..3 with 10 each. */
function source(): LedgerState {
  return new LedgerState({
    balances: new Map([
      [1, 10],
      [2, 10],
      [3, 10],
    ]),
    appliedIndex: 0,
    cluster: 1,
  });
}

function inTransit(state: LedgerState): number {
  return state.outboundList().reduce((sum, m) => sum + m.balances.reduce((s, [, b]) => s + b, 0), 0);
}

test('a second move-out at an epoch the source already used is refused: the first move and its money stay whole', () => {
  const state = source();
  const [first, second] = state.applySlot(1, [
    { clientId: 'reshard', seq: 1, op: { kind: 'move-out', accounts: [1], to: 2, epoch: 5 } },
    // A re-run of the driver while the first was still on its way in: the same epoch, other accounts.
    { clientId: 'reshard', seq: 2, op: { kind: 'move-out', accounts: [2], to: 3, epoch: 5 } },
  ]);
  assert.equal(first?.outcome?.status, 'committed');
  assert.equal(second?.outcome?.status, 'rejected');
  assert.equal(state.total() + inTransit(state), 30, 'no money lost');
  assert.deepEqual(
    state.outboundList().map((m) => [m.epoch, m.to, m.balances]),
    [[5, 2, [[1, 10]]]],
  );
});

test('a move-out below the epoch the source knows is refused; a repeat of a chosen one still gets its answer', () => {
  const state = source();
  state.applySlot(1, [{ clientId: 'reshard', seq: 1, op: { kind: 'move-out', accounts: [1], to: 2, epoch: 5 } }]);
  const [older, repeat, next] = state.applySlot(2, [
    { clientId: 'reshard', seq: 2, op: { kind: 'move-out', accounts: [3], to: 2, epoch: 4 } },
    { clientId: 'reshard', seq: 1, op: { kind: 'move-out', accounts: [1], to: 2, epoch: 5 } },
    { clientId: 'reshard', seq: 3, op: { kind: 'move-out', accounts: [2], to: 3, epoch: 6 } },
  ]);
  assert.equal(older?.outcome?.status, 'rejected');
  assert.equal(repeat?.outcome?.status, 'committed');
  assert.equal(next?.outcome?.status, 'committed');
  assert.equal(state.total() + inTransit(state), 30);
  assert.equal(state.outboundList().length, 2);
});
