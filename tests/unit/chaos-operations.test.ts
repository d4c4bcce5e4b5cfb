import assert from 'node:assert/strict';
import { test } from 'node:test';
import { operationsOf } from '../chaos/checkers/operations.js';
import { checkRetryOutcomes } from '../chaos/checkers/retry-outcomes.js';
import { aborted, attempt, balance, committed, insufficient, read, readFailed, transfer } from './chaos-fixtures.js';

test('the attempts of one (clientId, seq) are one operation: first invoke to first definite answer', () => {
  const { operations, violations } = operationsOf([
    ...attempt(0, 1, transfer(1, 2, 5), 10, 20, 'unknown'),
    ...attempt(0, 1, transfer(1, 2, 5), 30, 40, 'ok', committed),
    ...attempt(0, 1, transfer(1, 2, 5), 50, 60, 'ok', committed),
    ...attempt(1, 1, read(1), 15, 25, 'unknown'),
    ...attempt(2, 7, read(2), 15, 0, null),
  ]);
  assert.deepEqual(violations, []);
  const [t, r, open] = operations;
  assert.deepEqual(
    [t?.clientId, t?.seq, t?.invokeMs, t?.returnMs, t?.outcome, t?.result, t?.attempts],
    ['c0', 1, 10, 40, 'ok', committed, 3],
  );
  assert.deepEqual([r?.outcome, r?.returnMs, r?.result], ['unknown', Infinity, undefined]);
  // An attempt still open when the history ends is unknown too.
  assert.deepEqual([open?.outcome, open?.returnMs], ['unknown', Infinity]);
});

test('the completions are taken in time order, whatever order the events were recorded in', () => {
  const events = [...attempt(0, 1, transfer(1, 2, 5), 10, 20, 'ok', committed)].reverse();
  const { operations, violations } = operationsOf(events);
  assert.deepEqual(violations, []);
  assert.equal(operations[0]?.outcome, 'ok');
});

test('a malformed history is reported: a completion with no invoke, two open at once, a second op for one seq, a result that does not fit', () => {
  const cases: Array<[string, ReturnType<typeof attempt>, RegExp]> = [
    ['no invoke', attempt(0, 1, transfer(1, 2, 5), 10, 20, 'ok', committed).slice(1), /with no attempt of it open/],
    [
      'two open',
      [...attempt(0, 1, transfer(1, 2, 5), 10, 0, null), ...attempt(0, 2, transfer(1, 2, 5), 12, 20, 'ok', committed)],
      /invoked while its attempt of client c0 seq 1 is still open/,
    ],
    [
      'other op',
      [
        ...attempt(0, 1, transfer(1, 2, 5), 10, 20, 'unknown'),
        ...attempt(0, 1, transfer(1, 3, 5), 30, 40, 'ok', committed),
      ],
      /invoked again as transfer 1->3 of 5, first as transfer 1->2 of 5/,
    ],
    [
      'ok insufficient',
      attempt(0, 1, transfer(1, 2, 5), 10, 20, 'ok', insufficient),
      /a transfer answered ok insufficient-funds/,
    ],
    [
      'fail committed',
      attempt(0, 1, transfer(1, 2, 5), 10, 20, 'fail', committed),
      /a transfer answered fail committed/,
    ],
    ['read ok without balance', attempt(0, 1, read(1), 10, 20, 'ok', readFailed), /a read answered ok read-failed/],
    ['ok without result', attempt(0, 1, read(1), 10, 20, 'ok'), /an ok completion without a result/],
  ];
  for (const [name, events, message] of cases) {
    const { violations } = operationsOf(events);
    assert.equal(violations.length, 1, `${name}: ${violations.join('; ')}`);
    assert.match(violations[0] as string, message, name);
  }
});

test('retries that got the same answer, or unknown after it, pass; a read that failed then answered passes', () => {
  const { operations } = operationsOf([
    ...attempt(0, 1, transfer(1, 2, 5), 10, 20, 'ok', committed),
    ...attempt(0, 1, transfer(1, 2, 5), 30, 40, 'unknown'),
    ...attempt(0, 1, transfer(1, 2, 5), 50, 60, 'ok', committed),
    ...attempt(1, 1, transfer(2, 1, 500), 10, 20, 'fail', insufficient),
    ...attempt(1, 1, transfer(2, 1, 500), 30, 40, 'fail', insufficient),
    ...attempt(2, 1, read(1), 10, 20, 'fail', readFailed),
    ...attempt(2, 1, read(1), 30, 40, 'ok', balance(95)),
    ...attempt(2, 1, read(1), 50, 60, 'ok', balance(95)),
  ]);
  assert.deepEqual(checkRetryOutcomes(operations), []);
});

test('two different definite answers for one (clientId, seq) are flagged: committed then aborted, two balances', () => {
  const { operations } = operationsOf([
    ...attempt(0, 1, transfer(1, 2, 5), 10, 20, 'ok', committed),
    ...attempt(0, 1, transfer(1, 2, 5), 30, 40, 'unknown'),
    ...attempt(0, 1, transfer(1, 2, 5), 50, 60, 'fail', aborted),
    ...attempt(1, 4, read(1), 10, 20, 'ok', balance(95)),
    ...attempt(1, 4, read(1), 30, 40, 'ok', balance(100)),
    ...attempt(2, 4, transfer(2, 3, 5), 10, 20, 'fail', insufficient),
    ...attempt(2, 4, transfer(2, 3, 5), 30, 40, 'ok', committed),
  ]);
  const violations = checkRetryOutcomes(operations);
  assert.equal(violations.length, 3, violations.join('\n'));
  assert.match(violations[0] as string, /client c0 seq 1 .*answered committed at 20, then aborted at 60/);
  assert.match(violations[1] as string, /client c1 seq 4 .*answered balance 95 at 20, then balance 100 at 40/);
  assert.match(violations[2] as string, /client c2 seq 4 .*answered insufficient-funds at 20, then committed at 40/);
});
