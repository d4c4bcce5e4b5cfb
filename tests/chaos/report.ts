/** What one run's report says (the JSON document next to its readable summary). */
export interface RunReport {
  run: number;
  seed: number;
  seconds: number;
  tookMs: number;
  ok: boolean;
  faultsByKind: Record<string, number>;
  /** Logical operations by outcome (committed, insufficient-funds, aborted, read, read-failed, unknown). */
  operations: Record<string, number>;
  /** Violations by checker: every count must be 0. */
  violations: Record<string, number>;
  /** The first few messages of each checker's violations. */
  violationMessages: Array<{ checker: string; message: string }>;
  /** From the last heal to the first transfer committed after it; null when none was. */
  recoveryMs: number | null;
  /** The longest time without a committed transfer while a fault of the kind was on. */
  longestCommitGapMsByKind: Record<string, number>;
  linearizability: { groups: number; passed: number; undecided: number };
  audits: { counted: number; incomplete: number };
}

/** The figures of several runs together (issue 12's "Done when"). */
export interface SuiteSummary {
  runs: number;
  failedRuns: number[];
  faultsByKind: Record<string, number>;
  operations: Record<string, number>;
  violations: Record<string, number>;
  recoveryMs: { p50: number | null; max: number | null; runsWithout: number };
  longestCommitGapMsByKind: Record<string, number>;
  linearizability: { groups: number; passed: number; undecided: number };
  audits: { counted: number; incomplete: number };
}

export function summarize(reports: readonly RunReport[]): SuiteSummary {
  const add = (into: Record<string, number>, from: Record<string, number>) => {
    for (const [k, v] of Object.entries(from)) into[k] = (into[k] ?? 0) + v;
  };
  const max = (into: Record<string, number>, from: Record<string, number>) => {
    for (const [k, v] of Object.entries(from)) into[k] = Math.max(into[k] ?? 0, v);
  };
  const summary: SuiteSummary = {
    runs: reports.length,
    failedRuns: reports.filter((r) => !r.ok).map((r) => r.run),
    faultsByKind: {},
    operations: {},
    violations: {},
    recoveryMs: { p50: null, max: null, runsWithout: 0 },
    longestCommitGapMsByKind: {},
    linearizability: { groups: 0, passed: 0, undecided: 0 },
    audits: { counted: 0, incomplete: 0 },
  };
  const recoveries: number[] = [];
  for (const r of reports) {
    add(summary.faultsByKind, r.faultsByKind);
    add(summary.operations, r.operations);
    add(summary.violations, r.violations);
    max(summary.longestCommitGapMsByKind, r.longestCommitGapMsByKind);
    if (r.recoveryMs === null) summary.recoveryMs.runsWithout++;
    else recoveries.push(r.recoveryMs);
    summary.linearizability.groups += r.linearizability.groups;
    summary.linearizability.passed += r.linearizability.passed;
    summary.linearizability.undecided += r.linearizability.undecided;
    summary.audits.counted += r.audits.counted;
    summary.audits.incomplete += r.audits.incomplete;
  }
  recoveries.sort((a, b) => a - b);
  if (recoveries.length > 0) {
    summary.recoveryMs.p50 = recoveries[Math.floor((recoveries.length - 1) / 2)] as number;
    summary.recoveryMs.max = recoveries[recoveries.length - 1] as number;
  }
  return summary;
}

/** The readable summary: one line per figure. */
export function summaryText(s: SuiteSummary): string {
  const list = (r: Record<string, number>, unit = '') =>
    Object.entries(r)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([k, v]) => `${k} ${Math.round(v)}${unit}`)
      .join(', ') || 'none';
  const violations = Object.values(s.violations).reduce((a, b) => a + b, 0);
  return [
    `runs: ${s.runs} (${s.failedRuns.length === 0 ? 'all passed' : `failed: ${s.failedRuns.join(', ')}`})`,
    `faults injected: ${list(s.faultsByKind)}`,
    `operations: ${list(s.operations)}`,
    `violations: ${violations} (${list(s.violations)})`,
    `linearizability: ${s.linearizability.passed} of ${s.linearizability.groups} groups linearizable, ${s.linearizability.undecided} undecided`,
    `audits while running: ${s.audits.counted} counted, ${s.audits.incomplete} could not count`,
    `recovery after the last heal: p50 ${s.recoveryMs.p50 ?? '-'} ms, max ${s.recoveryMs.max ?? '-'} ms` +
      (s.recoveryMs.runsWithout > 0 ? ` (${s.recoveryMs.runsWithout} runs never committed again)` : ''),
    `longest gap in commits per fault kind: ${list(s.longestCommitGapMsByKind, ' ms')}`,
  ].join('\n');
}
