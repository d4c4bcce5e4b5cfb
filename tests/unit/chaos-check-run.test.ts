import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { HistoryEvent } from '../chaos/history.js';
import { checkRun } from '../chaos/checkers/index.js';
import {
  aborted,
  attempt,
  balance,
  committed,
  insufficient,
  read,
  readFailed,
  replica,
  runRecord,
  transfer,
} from './chaos-fixtures.js';

const events: HistoryEvent[] = [
  ...attempt(0, 1, transfer(1, 2, 30), 10, 20, 'ok', committed),
  ...attempt(1, 1, transfer(2, 3, 500), 10, 20, 'fail', insufficient),
  ...attempt(2, 1, transfer(3, 1, 5), 10, 20, 'fail', aborted),
  ...attempt(3, 1, transfer(1, 3, 7), 10, 20, 'unknown'),
  ...attempt(4, 1, read(1), 30, 40, 'ok', balance(70)),
  ...attempt(5, 1, read(2, 'any'), 30, 40, 'fail', readFailed),
  ...attempt(6, 1, read(3, 'leader'), 30, 40, 'unknown'),
];
const finals = { 1: 70, 2: 130 };
const good = () =>
  runRecord(events, finals, {
    final: [replica(1, [1, 2, 3], finals), replica(2, [1, 2, 3], finals)],
    audits: [{ timeMs: 15, ok: true, expectedMoney: 300, actualMoney: 300, lowestBalance: 70, problems: [] }],
    faults: [{ kind: 'kill', nodes: [2], startMs: 5, healedMs: 15 }],
    lastHealMs: 15,
    loadEndMs: 60,
  });

test('checkRun: a good run passes every checker and gives its figures', () => {
  const report = checkRun(good());
  assert.deepEqual(report.violations, []);
  assert.equal(report.ok, true);
  assert.deepEqual(Object.values(report.violationsByChecker), [0, 0, 0, 0, 0, 0, 0]);
  assert.deepEqual(report.operations, {
    total: 7,
    committed: 1,
    insufficientFunds: 1,
    aborted: 1,
    readOk: 1,
    readFailed: 1,
    unknown: 2,
  });
  assert.deepEqual([report.linearizability.groupsChecked, report.linearizability.passed], [1, 1]);
  assert.deepEqual(report.bankReplay, { groups: 1, explained: 1, undecided: 0 });
  // The heal at 15, the commit at 20; before it, no commit since the start of the history at 10.
  assert.equal(report.recovery.recoveryMs, 5);
  assert.deepEqual(report.recovery.longestGapByKind, { kill: 10 });
});

test('checkRun: each checker reports under its name; messages are capped, counts exact', () => {
  const record = good();
  record.lastHealMs = 30;
  record.final = [replica(1, [1, 2, 3], { 1: 100, 2: 100 }), { ...replica(2, [1, 2, 3], finals), stateHash: 8 }];
  record.audits = Array.from({ length: 5 }, (_, i) => ({
    timeMs: i,
    ok: true,
    expectedMoney: 300,
    actualMoney: 299,
    lowestBalance: 0,
    problems: [],
  }));
  record.events = [...record.events, ...attempt(0, 1, transfer(1, 2, 30), 50, 55, 'fail', aborted)];
  const report = checkRun(record, { messagesPerChecker: 2 });
  assert.equal(report.ok, false);
  assert.deepEqual(report.violationsByChecker, {
    operations: 0,
    'retry-outcomes': 1,
    linearizability: 1,
    'bank-replay': 1,
    'replica-agreement': 3,
    audits: 5,
    recovery: 1,
  });
  const kept = (checker: string) => report.violations.filter((v) => v.checker === checker).length;
  assert.deepEqual([kept('audits'), kept('replica-agreement'), kept('bank-replay')], [2, 2, 1]);
  assert.match(
    report.violations.find((v) => v.checker === 'linearizability')?.message ?? '',
    /group 0 \(accounts 1, 2, 3\): longest linearizable prefix/,
  );
  assert.equal(report.recovery.recoveryMs, null);
});

test('checkRun: a group the linearizability search cannot finish makes the run not ok, with no violation', () => {
  const report = checkRun(good(), { linearizability: { stepsBudget: 2 } });
  assert.deepEqual(report.violations, []);
  assert.equal(report.linearizability.undecided, 1);
  assert.equal(report.ok, false);
});
