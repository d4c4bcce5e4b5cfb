/**
 * checkRun: every checker over one RunRecord, and the figures the report shows. The checkers
 * import only ../history.ts, each other and node builtins (the import rule
 * chaos-checkers-independent): they share no code and no assumption with the system they judge.
 */
import type { RunRecord } from '../history.js';
import { checkAudits } from './audits.js';
import { checkBankReplay, type BankReplayOptions } from './bank-replay.js';
import { checkLinearizability, type GroupVerdict, type LinearizabilityOptions } from './linearizability.js';
import { operationsOf, type Operation } from './operations.js';
import { checkRecovery, type FaultGap } from './recovery.js';
import { checkReplicaAgreement } from './replica-agreement.js';
import { checkRetryOutcomes } from './retry-outcomes.js';

export const checkerNames = [
  'operations',
  'retry-outcomes',
  'linearizability',
  'bank-replay',
  'replica-agreement',
  'audits',
  'recovery',
] as const;
export type CheckerName = (typeof checkerNames)[number];

export interface CheckOptions {
  /** Messages kept per checker (the counts stay exact). */
  messagesPerChecker?: number;
  linearizability?: LinearizabilityOptions;
  bankReplay?: BankReplayOptions;
}

export const defaultMessagesPerChecker = 20;

export interface OperationCounts {
  total: number;
  committed: number;
  insufficientFunds: number;
  aborted: number;
  readOk: number;
  readFailed: number;
  unknown: number;
}

export interface CheckReport {
  /** No violation and nothing undecided. */
  ok: boolean;
  /** The first messagesPerChecker messages of each checker. */
  violations: Array<{ checker: CheckerName; message: string }>;
  /** Exact counts, messages kept or not. */
  violationsByChecker: Record<CheckerName, number>;
  operations: OperationCounts;
  recovery: { recoveryMs: number | null; longestGapByKind: Record<string, number>; faults: FaultGap[] };
  linearizability: { groupsChecked: number; passed: number; failed: number; undecided: number; groups: GroupVerdict[] };
  bankReplay: { groups: number; explained: number; undecided: number };
}

function countsOf(operations: readonly Operation[]): OperationCounts {
  const counts: OperationCounts = {
    total: operations.length,
    committed: 0,
    insufficientFunds: 0,
    aborted: 0,
    readOk: 0,
    readFailed: 0,
    unknown: 0,
  };
  for (const o of operations) {
    const kind = o.outcome === 'unknown' ? 'unknown' : o.result?.kind;
    if (kind === 'unknown') counts.unknown++;
    else if (kind === 'committed') counts.committed++;
    else if (kind === 'insufficient-funds') counts.insufficientFunds++;
    else if (kind === 'aborted') counts.aborted++;
    else if (kind === 'balance') counts.readOk++;
    else if (kind === 'read-failed') counts.readFailed++;
  }
  return counts;
}

export function checkRun(record: RunRecord, options: CheckOptions = {}): CheckReport {
  const keep = options.messagesPerChecker ?? defaultMessagesPerChecker;
  const { operations, violations: malformed } = operationsOf(record.events);
  const linearizability = checkLinearizability(record, operations, options.linearizability);
  const bank = checkBankReplay(record, operations, options.bankReplay);
  const recovery = checkRecovery(record, operations);
  const failedGroups = linearizability.groups.filter((g) => g.verdict === 'fail');
  const found: Record<CheckerName, string[]> = {
    operations: malformed,
    'retry-outcomes': checkRetryOutcomes(operations),
    linearizability: [
      ...failedGroups.map((g) => `group ${g.group} (accounts ${g.accounts.join(', ')}): ${g.explanation}`),
      ...linearizability.violations,
    ],
    'bank-replay': bank.violations,
    'replica-agreement': checkReplicaAgreement(record),
    audits: checkAudits(record),
    recovery: recovery.violations,
  };
  const violations = checkerNames.flatMap((checker) =>
    found[checker].slice(0, keep).map((message) => ({ checker, message })),
  );
  const violationsByChecker = Object.fromEntries(checkerNames.map((c) => [c, found[c].length])) as Record<
    CheckerName,
    number
  >;
  const undecided = linearizability.groups.filter((g) => g.verdict === 'undecided').length;
  return {
    ok: checkerNames.every((c) => found[c].length === 0) && undecided === 0 && bank.undecided === 0,
    violations,
    violationsByChecker,
    operations: countsOf(operations),
    recovery: { recoveryMs: recovery.recoveryMs, longestGapByKind: recovery.longestGapByKind, faults: recovery.faults },
    linearizability: {
      groupsChecked: linearizability.groups.length,
      passed: linearizability.groups.filter((g) => g.verdict === 'pass').length,
      failed: failedGroups.length,
      undecided,
      groups: linearizability.groups,
    },
    bankReplay: { groups: bank.groups, explained: bank.explained, undecided: bank.undecided },
  };
}
