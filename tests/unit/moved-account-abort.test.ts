import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isWrongShard } from '../../src/protocol/commands.js';
import { LedgerState } from '../../src/ledger/state.js';

/**
 * A write the leader admitted and then marked aborted (its lock wait ran out behind a move-out)
 * is applied after the move-out took its account: nothing runs here, and nothing is recorded in
 * the client's session, so its retry at the new owner runs it once (the simulator's seed
 * 546860501 ran such a command in two clusters: aborted here, then run at the owner).
 */
for (const op of [
  { kind: 'transfer' as const, from: 1, to: 2, amount: 3, abort: 'locked' },
  { kind: 'x-prepare-coordinator' as const, from: 1, to: 9, amount: 3, participant: 2, abort: 'locked' },
]) {
  test(`a ${op.kind} marked aborted whose account moved away is a wrong shard, not recorded`, () => {
    const state = new LedgerState({
      balances: new Map([
        [1, 10],
        [2, 10],
      ]),
      appliedIndex: 0,
      cluster: 1,
    });
    state.applySlot(1, [{ clientId: 'reshard', seq: 1, op: { kind: 'move-out', accounts: [1], to: 2, epoch: 1 } }]);
    const [applied] = state.applySlot(2, [{ clientId: 'c', seq: 7, op }]);
    assert.ok(applied?.outcome !== undefined && isWrongShard(applied.outcome), JSON.stringify(applied?.outcome));
    assert.equal(state.sessionOf('c'), undefined);
  });
}
