import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { AuditRecord } from '../chaos/history.js';
import { checkAudits } from '../chaos/checkers/audits.js';

const good: AuditRecord = { timeMs: 5, ok: true, expectedMoney: 300, actualMoney: 300, lowestBalance: 0, problems: [] };
const run = (audits: AuditRecord[]) => checkAudits({ accounts: 3, initialBalance: 100, audits });

test('audits that found all the money and no negative balance pass', () => {
  assert.deepEqual(run([good, { ...good, timeMs: 9, lowestBalance: 40 }]), []);
});

test('a failed audit, money missing or miscounted, or a negative balance is reported', () => {
  const cases: Array<[AuditRecord, RegExp]> = [
    [{ ...good, ok: false, problems: ['shard 2 unreachable'] }, /audit at 5 failed: shard 2 unreachable/],
    [{ ...good, actualMoney: 290 }, /audit at 5 counted 290 in total, not 300/],
    [{ ...good, expectedMoney: 310, actualMoney: 300 }, /expected 310 in total, but 3 accounts x 100 is 300/],
    [{ ...good, lowestBalance: -1 }, /audit at 5 saw a negative balance: -1/],
  ];
  for (const [audit, message] of cases) {
    const violations = run([good, audit]);
    assert.equal(violations.length, 1, violations.join('\n'));
    assert.match(violations[0] as string, message);
  }
});
