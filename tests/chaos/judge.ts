import { checkRun } from './checkers/index.js';
import type { RunReport } from './report.js';
import type { RunOutput } from './run.js';

/** Judges one run: every checker over its record, plus what the harness itself saw. */
export function judge(run: number, seconds: number, tookMs: number, output: RunOutput): RunReport {
  const { record } = output;
  const check = checkRun(record);
  const faultsByKind: Record<string, number> = {};
  for (const f of record.faults) faultsByKind[f.kind] = (faultsByKind[f.kind] ?? 0) + 1;
  const o = check.operations;
  const violations: Record<string, number> = { ...check.violationsByChecker, harness: output.harnessProblems.length };
  const violationMessages = [
    ...check.violations,
    ...output.harnessProblems.map((message) => ({ checker: 'harness', message })),
  ];
  const undecided = check.linearizability.undecided + check.bankReplay.undecided;
  if (undecided > 0)
    violationMessages.push({
      checker: 'undecided',
      message: `${check.linearizability.undecided} linearizability groups and ${check.bankReplay.undecided} replay groups exceeded the search budget`,
    });
  return {
    run,
    seed: record.seed,
    seconds,
    tookMs,
    ok: check.ok && output.harnessProblems.length === 0,
    faultsByKind,
    operations: {
      committed: o.committed,
      'insufficient-funds': o.insufficientFunds,
      aborted: o.aborted,
      read: o.readOk,
      'read-failed': o.readFailed,
      unknown: o.unknown,
    },
    violations,
    violationMessages,
    recoveryMs: check.recovery.recoveryMs === null ? null : Math.round(check.recovery.recoveryMs),
    longestCommitGapMsByKind: Object.fromEntries(
      Object.entries(check.recovery.longestGapByKind).map(([k, v]) => [k, Math.round(v)]),
    ),
    linearizability: {
      groups: check.linearizability.groupsChecked,
      passed: check.linearizability.passed,
      undecided: check.linearizability.undecided,
    },
    audits: { counted: record.audits.length, incomplete: output.auditsIncomplete },
  };
}
