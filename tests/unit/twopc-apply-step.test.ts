import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Command } from '../../src/protocol/commands.js';
import type { AccountBook } from '../../src/twopc/account-book.js';
import { applyTwoPcStep } from '../../src/twopc/apply-step.js';
import { isTwoPcStep, startsTransaction } from '../../src/twopc/steps.js';
import { TwoPcState } from '../../src/twopc/twopc-state.js';

/** src/twopc applies every step of Two-Phase Commit on its own, over a bare AccountBook: the
 *  coordinator's PREPARE included (its refusals and its lock check), with no ledger around it. */

function book(
  entries: Array<[number, number]>,
): AccountBook & { balances: Map<number, number>; epochs: Map<number, number> } {
  const balances = new Map(entries);
  const epochs = new Map<number, number>();
  return {
    balances,
    epochs,
    balanceOf: (a) => balances.get(a),
    epochOf: (a) => epochs.get(a) ?? 0,
    credit: (a, n) => void balances.set(a, (balances.get(a) as number) + n),
    debit: (a, n) => void balances.set(a, (balances.get(a) as number) - n),
  };
}

function prepareC(clientId: string, from: number, amount: number, abort?: string): Command {
  const op = { kind: 'x-prepare-coordinator' as const, from, to: 9, amount, participant: 2 };
  return { clientId, seq: 1, op: abort === undefined ? op : { ...op, abort } };
}

describe('applyTwoPcStep: the coordinator PREPARE', () => {
  test('prepared: the sender is debited and locked, and the client waits for the decision', () => {
    const twoPc = new TwoPcState(10);
    const b = book([[1, 100]]);
    assert.equal(applyTwoPcStep(twoPc, b, 1, prepareC('a', 1, 30)), undefined);
    assert.equal(b.balances.get(1), 70);
    assert.equal(twoPc.lockHolder(1), 'a#1');
    assert.equal(twoPc.coordinatorRecord('a#1')?.state, 'prepared');
  });

  test('refused by the leader (abort): aborted with its reason, nothing debited or recorded', () => {
    const twoPc = new TwoPcState(10);
    const b = book([[1, 100]]);
    assert.deepEqual(applyTwoPcStep(twoPc, b, 1, prepareC('a', 1, 30, 'locked')), {
      status: 'aborted',
      reason: 'locked',
    });
    assert.deepEqual([b.balances.get(1), twoPc.coordinatorRecords(), twoPc.lockHolder(1)], [100, [], undefined]);
  });

  test('the sender held by another prepared transaction: aborted: locked, before the funds are looked at', () => {
    const twoPc = new TwoPcState(10);
    const b = book([[1, 100]]);
    applyTwoPcStep(twoPc, b, 1, prepareC('a', 1, 30));
    assert.deepEqual(applyTwoPcStep(twoPc, b, 2, prepareC('b', 1, 500)), { status: 'aborted', reason: 'locked' });
    assert.deepEqual([b.balances.get(1), twoPc.lockHolder(1), twoPc.coordinatorRecord('b#1')], [70, 'a#1', undefined]);
  });

  test('refused on its own terms: unknown sender, bad amount, insufficient funds', () => {
    const twoPc = new TwoPcState(10);
    const b = book([[1, 100]]);
    assert.deepEqual(applyTwoPcStep(twoPc, b, 1, prepareC('a', 5, 1)), {
      status: 'rejected',
      reason: 'account 5 is not in this shard',
    });
    assert.deepEqual(applyTwoPcStep(twoPc, b, 2, prepareC('b', 1, 0)), {
      status: 'rejected',
      reason: 'amount must be a positive integer',
    });
    assert.deepEqual(applyTwoPcStep(twoPc, b, 3, prepareC('c', 1, 101)), {
      status: 'insufficient-funds',
      balance: 100,
    });
    assert.deepEqual([b.balances.get(1), twoPc.coordinatorRecords()], [100, []]);
  });
});

describe('applyTwoPcStep: a presumed abort at the coordinator', () => {
  function presumed(fromEpoch?: number): Command {
    const op = {
      kind: 'x-decide' as const,
      role: 'coordinator' as const,
      decision: 'abort' as const,
      reason: 'timeout',
      peer: 2,
      presumed: true as const,
      from: 1,
    };
    return { clientId: 'a', seq: 1, op: fromEpoch === undefined ? op : { ...op, fromEpoch } };
  }

  test("with no record, where the sender's account still is since the participant's PREPARE was sent, it is the tombstone (the client's answer)", () => {
    const b = book([[1, 100]]);
    b.epochs.set(1, 3);
    for (const command of [presumed(3), presumed(undefined)])
      assert.deepEqual(applyTwoPcStep(new TwoPcState(10), b, 1, command), { status: 'aborted', reason: 'timeout' });
  });

  test('an account moved away, or here again since a later move (its epoch past the one the PREPARE named), gets no tombstone: the transfer may have run at its other home', () => {
    const back = book([[1, 100]]);
    back.epochs.set(1, 4);
    assert.equal(applyTwoPcStep(new TwoPcState(10), back, 1, presumed(2)), undefined);
    assert.equal(applyTwoPcStep(new TwoPcState(10), book([[5, 100]]), 1, presumed(0)), undefined);
  });
});

describe('which operations are steps of Two-Phase Commit', () => {
  test("the x- operations are steps of Two-Phase Commit; transfers and reads are the ledger's own", () => {
    assert.equal(isTwoPcStep({ kind: 'x-prepare-coordinator', from: 1, to: 9, amount: 1, participant: 2 }), true);
    assert.equal(isTwoPcStep({ kind: 'x-prepare-participant', to: 9, amount: 1, coordinator: 1 }), true);
    assert.equal(isTwoPcStep({ kind: 'x-decide', role: 'participant', decision: 'abort' }), true);
    assert.equal(isTwoPcStep({ kind: 'x-end' }), true);
    assert.equal(isTwoPcStep({ kind: 'transfer', from: 1, to: 2, amount: 1 }), false);
    assert.equal(isTwoPcStep({ kind: 'balance', account: 1 }), false);
  });

  test("only a coordinator's PREPARE starts a transaction (what an audit's hold keeps waiting)", () => {
    assert.equal(startsTransaction({ kind: 'x-prepare-coordinator', from: 1, to: 9, amount: 1, participant: 2 }), true);
    assert.equal(startsTransaction({ kind: 'x-prepare-participant', to: 9, amount: 1, coordinator: 1 }), false);
    assert.equal(startsTransaction({ kind: 'x-decide', role: 'coordinator', decision: 'commit' }), false);
    assert.equal(startsTransaction({ kind: 'transfer', from: 1, to: 2, amount: 1 }), false);
  });
});
