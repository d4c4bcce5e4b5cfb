/**
 * Every audit taken while clients ran (`ledger check consistency`) found all the money created,
 * accounts x initial balance, and no negative balance.
 */
import type { RunRecord } from '../history.js';

export function checkAudits(record: Pick<RunRecord, 'audits' | 'accounts' | 'initialBalance'>): string[] {
  const money = record.accounts * record.initialBalance;
  const violations: string[] = [];
  for (const audit of record.audits) {
    const at = `audit at ${audit.timeMs}`;
    if (!audit.ok) violations.push(`${at} failed: ${audit.problems.join('; ') || 'no problem given'}`);
    if (audit.expectedMoney !== money)
      violations.push(
        `${at} expected ${audit.expectedMoney} in total, but ${record.accounts} accounts x ${record.initialBalance} is ${money}`,
      );
    if (audit.actualMoney !== money) violations.push(`${at} counted ${audit.actualMoney} in total, not ${money}`);
    if (audit.lowestBalance < 0) violations.push(`${at} saw a negative balance: ${audit.lowestBalance}`);
  }
  return violations;
}
