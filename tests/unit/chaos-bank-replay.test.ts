import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { HistoryEvent, RunRecord } from '../chaos/history.js';
import { checkBankReplay, type BankReplayOptions } from '../chaos/checkers/bank-replay.js';
import { operationsOf } from '../chaos/checkers/operations.js';
import { aborted, attempt, committed, insufficient, runRecord, transfer } from './chaos-fixtures.js';

function replay(
  events: HistoryEvent[],
  finals: Record<number, number>,
  more: Partial<RunRecord> = {},
  options: BankReplayOptions = {},
) {
  const record = runRecord(events, finals, more);
  return checkBankReplay(record, operationsOf(record.events).operations, options);
}

const history = [
  ...attempt(0, 1, transfer(1, 2, 30), 10, 20, 'ok', committed),
  ...attempt(1, 1, transfer(2, 3, 50), 10, 20, 'ok', committed),
  ...attempt(2, 1, transfer(3, 1, 500), 10, 20, 'fail', insufficient),
  ...attempt(3, 1, transfer(3, 1, 5), 10, 20, 'fail', aborted),
  ...attempt(4, 1, transfer(1, 3, 7), 10, 20, 'unknown'),
  ...attempt(5, 1, transfer(2, 1, 11), 10, 20, 'unknown'),
];
/** After the two committed transfers: 1=70 2=80 3=150. */

test('the committed transfers plus any subset of the unknown ones explain the final balances', () => {
  for (const finals of [
    { 1: 70, 2: 80, 3: 150 },
    { 1: 63, 2: 80, 3: 157 },
    { 1: 81, 2: 69, 3: 150 },
    { 1: 74, 2: 69, 3: 157 },
  ]) {
    const result = replay(history, finals);
    assert.deepEqual(result.violations, [], JSON.stringify(finals));
    assert.deepEqual([result.groups, result.explained, result.undecided], [1, 1, 0]);
  }
});

test('a committed transfer absent from the final state is reported lost, by name', () => {
  const result = replay(history, { 1: 100, 2: 50, 3: 150 });
  assert.equal(result.violations.length, 1, result.violations.join('\n'));
  assert.match(
    result.violations[0] as string,
    /accounts 1\.\.3: lost: client c0 seq 1 \(transfer 1->2 of 30, committed at 20\) is absent from the final state; account 1: replay 70, final 100 \(difference 30\); account 2: replay 80, final 50 \(difference -30\)/,
  );
});

test('a committed transfer applied twice is reported doubled; an unknown one applied twice is unexplained', () => {
  const doubled = replay(history, { 1: 70, 2: 30, 3: 200 });
  assert.match(doubled.violations[0] as string, /doubled: client c1 seq 1 \(transfer 2->3 of 50.*\) is applied twice/);
  const twice = replay(history, { 1: 56, 2: 80, 3: 164 });
  assert.match(
    twice.violations[0] as string,
    /unexplained: no subset of the 2 unknown transfers explains it; account 1: replay 70, final 56/,
  );
});

test('an aborted or insufficient-funds transfer must have no effect', () => {
  const result = replay(history, { 1: 75, 2: 80, 3: 145 });
  assert.equal(result.violations.length, 1);
  assert.match(result.violations[0] as string, /unexplained/);
});

test('accounts no transfer touched must keep the initial balance; an account no replica holds is reported', () => {
  const untouched = replay([], { 3: 101 });
  assert.match(untouched.violations[0] as string, /account 3: replay 100, final 101 \(difference 1\)/);
  const unheld = replay([], {}, { groups: [[1, 2, 3]], final: [] });
  assert.match(unheld.violations[0] as string, /account 1, 2, 3: no replica holds it/);
});

test('past the cap on the listed sums a depth-first search finds a subset; past its budget too the group is undecided', () => {
  // 12 unknown transfers of distinct amounts: 4096 subset sums.
  const many = Array.from({ length: 12 }, (_, i) => attempt(i, 1, transfer(1, 2, 2 ** i), 10, 20, 'unknown')).flat();
  const finals = { 1: 100 - 5, 2: 105 };
  assert.deepEqual([replay(many, finals).explained, replay(many, finals).violations], [1, []]);
  // The listing keeps only the partial sums from which the target is still reachable: with all
  // twelve applied, one path, well within a small cap; half of them leaves too many to list.
  const all = replay(many, { 1: 100 - 4095, 2: 4195 }, {}, { sumsCap: 100 });
  assert.deepEqual([all.explained, all.undecided, all.violations], [1, 0, []]);
  const half = { 1: 100 - 2730, 2: 2830 };
  assert.deepEqual(
    [replay(many, half, {}, { sumsCap: 20 }).explained, replay(many, half, {}, { sumsCap: 20 }).violations],
    [1, []],
  );
  // The search's budget is ten times the cap: 10 nodes cannot reach the twelfth transfer.
  const capped = replay(many, half, {}, { sumsCap: 1 });
  assert.deepEqual([capped.explained, capped.undecided, capped.violations], [0, 1, []]);
  // A difference no subset reaches (odd, from even amounts), proved by the search.
  const even = Array.from({ length: 6 }, (_, i) =>
    attempt(i, 1, transfer(1, 2, 2 ** (i + 1)), 10, 20, 'unknown'),
  ).flat();
  const odd = replay(even, { 1: 99, 2: 101 }, {}, { sumsCap: 20 });
  assert.deepEqual([odd.explained, odd.undecided], [0, 0]);
  assert.match(odd.violations[0] as string, /unexplained: no subset of the 6 unknown transfers explains it/);
});
