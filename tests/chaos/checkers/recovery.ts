/**
 * How the system came back, cluster by cluster (where each account and node lives comes from the
 * replicas' final state): the time from the last heal until every cluster has answered a transfer
 * committed again (more than recoveryLimitMs in any cluster is a violation: the system must
 * commit again within 10 s of the last heal), and for each fault the longest gap between
 * consecutive commits of a cluster it hit that overlaps the fault's window and began after the
 * previous fault was healed, with the start of the history and the end of the load as the outer
 * ends. Per fault kind the longest of those. Measured per cluster, a leader's outage is not hidden
 * by the other clusters committing on.
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

/** Where each account and node lives, from the replicas' final state (one cluster for
 *  everything when there is none: the figures are then the whole system's). */
function clustersOf(final: RunRecord['final']): {
  ofAccount: (a: number) => number;
  ofNode: (n: number) => number[];
  all: number[];
} {
  const all = [...new Set(final.map((r) => r.cluster))].sort((a, b) => a - b);
  if (all.length === 0) return { ofAccount: () => 0, ofNode: () => [0], all: [0] };
  return {
    ofAccount: (a) => final.find((r) => a >= r.firstAccount && a <= r.lastAccount)?.cluster ?? -1,
    ofNode: (n) => {
      const r = final.find((x) => x.node === n);
      return r === undefined ? all : [r.cluster];
    },
    all,
  };
}

export function checkRecovery(
  record: Pick<RunRecord, 'faults' | 'lastHealMs' | 'loadEndMs' | 'events'> & Partial<Pick<RunRecord, 'final'>>,
  operations: readonly Operation[],
): RecoveryFigures {
  const where = clustersOf(record.final ?? []);
  // A committed transfer is a commit of each cluster it touched (both, when it crossed shards).
  const commitsOf = new Map<number, number[]>(where.all.map((c) => [c, []]));
  for (const o of operations) {
    if (o.op.kind !== 'transfer' || o.outcome !== 'ok' || o.result?.kind !== 'committed') continue;
    for (const c of new Set([where.ofAccount(o.op.from), where.ofAccount(o.op.to)])) commitsOf.get(c)?.push(o.returnMs);
  }
  for (const times of commitsOf.values()) times.sort((a, b) => a - b);
  const violations: string[] = [];
  // Every cluster must commit again: the time is the slowest one's.
  let recoveryMs: number | null = 0;
  for (const [cluster, times] of commitsOf) {
    const after = times.find((t) => t >= record.lastHealMs);
    const name = where.all.length > 1 || cluster !== 0 ? `cluster ${cluster}: ` : '';
    if (after === undefined) {
      violations.push(
        `${name}no transfer committed after the last heal at ${record.lastHealMs} (load ended at ${record.loadEndMs})`,
      );
      recoveryMs = null;
    } else {
      const ms = after - record.lastHealMs;
      if (ms > recoveryLimitMs)
        violations.push(
          `${name}the first commit after the last heal came ${ms} ms after it, more than ${recoveryLimitMs} ms`,
        );
      if (recoveryMs !== null) recoveryMs = Math.max(recoveryMs, ms);
    }
  }
  const startMs = record.events.reduce((m, e) => Math.min(m, e.timeMs), Number.POSITIVE_INFINITY);
  const pointsOf = new Map(
    [...commitsOf].map(([c, times]) => [c, [Number.isFinite(startMs) ? startMs : 0, ...times, record.loadEndMs]]),
  );
  // A gap that began before the previous fault was healed is that fault's doing (a kill-all's
  // outage often outlasts its heal and the quiet time after it): it is not counted again.
  const byStart = [...record.faults].sort((x, y) => x.startMs - y.startMs);
  const faults = byStart.map((f, index) => {
    const previousHealedMs = index === 0 ? Number.NEGATIVE_INFINITY : (byStart[index - 1]?.healedMs as number);
    // The clusters the fault hit: its nodes' (the broker's restart hits every one).
    const hit = f.nodes.length === 0 ? where.all : [...new Set(f.nodes.flatMap((n) => where.ofNode(n)))];
    let longestGapMs = 0;
    for (const cluster of hit) {
      const points = pointsOf.get(cluster) ?? [];
      for (let i = 0; i + 1 < points.length; i++) {
        const [a, b] = [points[i] as number, points[i + 1] as number];
        if (a <= f.healedMs && b >= f.startMs && a >= previousHealedMs) longestGapMs = Math.max(longestGapMs, b - a);
      }
    }
    return { kind: f.kind, nodes: f.nodes, startMs: f.startMs, healedMs: f.healedMs, longestGapMs };
  });
  const longestGapByKind: Record<string, number> = {};
  for (const f of faults) longestGapByKind[f.kind] = Math.max(longestGapByKind[f.kind] ?? 0, f.longestGapMs);
  return { recoveryMs, faults, longestGapByKind, violations };
}
