/**
 * How the system came back: the time from the last heal to the first transfer answered
 * committed after it (more than recoveryLimitMs is a violation: the system must commit again
 * within 10 s of the last heal), and for each fault the longest gap between consecutive
 * committed-transfer completions that overlaps the fault's window and began after the previous
 * fault was healed, with the start of the history and the end of the load as the outer ends.
 * Per fault kind the longest of those.
 */
import type { RunRecord } from '../history.js';
import type { Operation } from './operations.js';

export const recoveryLimitMs = 10_000;

export interface FaultGap {
  kind: string;
  nodes: number[];
  startMs: number;
  healedMs: number;
  longestGapMs: number;
}

export interface RecoveryFigures {
  /** From the last heal to the first committed answer after it; null when none came. */
  recoveryMs: number | null;
  faults: FaultGap[];
  /** Fault kind -> the longest gap in commits overlapping one of its faults. */
  longestGapByKind: Record<string, number>;
  violations: string[];
}

export function checkRecovery(
  record: Pick<RunRecord, 'faults' | 'lastHealMs' | 'loadEndMs' | 'events'>,
  operations: readonly Operation[],
): RecoveryFigures {
  const commits = operations
    .filter((o) => o.op.kind === 'transfer' && o.outcome === 'ok' && o.result?.kind === 'committed')
    .map((o) => o.returnMs)
    .sort((a, b) => a - b);
  const violations: string[] = [];
  const after = commits.find((t) => t >= record.lastHealMs);
  const recoveryMs = after === undefined ? null : after - record.lastHealMs;
  if (recoveryMs === null)
    violations.push(
      `no transfer committed after the last heal at ${record.lastHealMs} (load ended at ${record.loadEndMs})`,
    );
  else if (recoveryMs > recoveryLimitMs)
    violations.push(
      `the first commit after the last heal came ${recoveryMs} ms after it, more than ${recoveryLimitMs} ms`,
    );
  const startMs = record.events.reduce((m, e) => Math.min(m, e.timeMs), Number.POSITIVE_INFINITY);
  const points = [Number.isFinite(startMs) ? startMs : 0, ...commits, record.loadEndMs].sort((a, b) => a - b);
  // A gap that began before the previous fault was healed is that fault's doing (a kill-all's
  // outage often outlasts its heal and the quiet time after it): it is not counted again.
  const byStart = [...record.faults].sort((x, y) => x.startMs - y.startMs);
  const faults = byStart.map((f, index) => {
    const previousHealedMs = index === 0 ? Number.NEGATIVE_INFINITY : (byStart[index - 1]?.healedMs as number);
    let longestGapMs = 0;
    for (let i = 0; i + 1 < points.length; i++) {
      const [a, b] = [points[i] as number, points[i + 1] as number];
      if (a <= f.healedMs && b >= f.startMs && a >= previousHealedMs) longestGapMs = Math.max(longestGapMs, b - a);
    }
    return { kind: f.kind, nodes: f.nodes, startMs: f.startMs, healedMs: f.healedMs, longestGapMs };
  });
  const longestGapByKind: Record<string, number> = {};
  for (const f of faults) longestGapByKind[f.kind] = Math.max(longestGapByKind[f.kind] ?? 0, f.longestGapMs);
  return { recoveryMs, faults, longestGapByKind, violations };
}
