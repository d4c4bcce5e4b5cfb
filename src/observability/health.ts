import type { ClusterView } from './cluster-view.js';

/**
 * `ledger check health`: thresholds over one round of snapshots, for alerting. A cluster that
 * cannot commit is critical; anything that only erodes the margin (a node down, a slow or
 * lagging replica) is a warning. Pure, so each case is a unit test.
 */

export type Severity = 'ok' | 'warning' | 'critical';

export interface HealthThresholds {
  /** A replica this many slots behind its leader's commit is a warning. */
  lagSlotsMax: number;
  /** A node whose server-side p99 over the last interval exceeds this is a warning. */
  latencyMsP99Max: number;
}

/**
 * Defaults: a healthy follower trails by at most the pipeline (16 slots in flight) and a few
 * heartbeats, so 100 slots means it is really falling behind or catching up. 500 ms is the
 * client's attempt timeout: above it, clients start retrying elsewhere.
 */
export const defaultThresholds: HealthThresholds = { lagSlotsMax: 100, latencyMsP99Max: 500 };

export interface Finding {
  severity: Severity;
  /** `cluster 2` or `n5`. */
  subject: string;
  check: 'leader' | 'quorum' | 'node' | 'lag' | 'latency';
  message: string;
}

export interface HealthReport {
  status: Severity;
  exitCode: 0 | 1 | 2;
  thresholds: HealthThresholds;
  findings: Finding[];
}

const exitCodes: Record<Severity, 0 | 1 | 2> = { ok: 0, warning: 1, critical: 2 };
const rank: Record<Severity, number> = { ok: 0, warning: 1, critical: 2 };

export function evaluateHealth(view: ClusterView, thresholds: HealthThresholds = defaultThresholds): HealthReport {
  const findings: Finding[] = [];
  for (const c of view.clusters) {
    const subject = `cluster ${c.cluster}`;
    const majority = Math.floor(c.members.length / 2) + 1;
    if (!c.quorum) {
      findings.push({
        severity: 'critical',
        subject,
        check: 'quorum',
        message: `only ${c.liveMembers} of ${c.members.length} members live, ${majority} needed: it cannot commit`,
      });
    }
    if (c.leaders.length === 0) {
      findings.push({
        severity: 'critical',
        subject,
        check: 'leader',
        message: 'no live node leads: requests to this shard wait or fail',
      });
    } else if (c.leaders.length > 1) {
      findings.push({
        severity: 'warning',
        subject,
        check: 'leader',
        message: `${c.leaders.map((n) => `n${n}`).join(', ')} all say they lead (a view change in progress?)`,
      });
    } else if (c.quorum) {
      findings.push({
        severity: 'ok',
        subject,
        check: 'leader',
        message: `led by n${c.leaders[0]}, ${c.liveMembers} of ${c.members.length} members live`,
      });
    }
  }
  for (const n of view.nodes) {
    const subject = `n${n.node}`;
    if (n.state === 'silent') {
      const since =
        n.lastSeenMsAgo === undefined ? 'never reported' : `silent for ${(n.lastSeenMsAgo / 1000).toFixed(1)} s`;
      findings.push({
        severity: 'warning',
        subject,
        check: 'node',
        message: `${since}: down, killed or cut off from NATS`,
      });
      continue;
    }
    if (n.state === 'failed')
      findings.push({
        severity: 'warning',
        subject,
        check: 'node',
        message: 'failed (fault injection): drops every message',
      });
    if (n.isolated)
      findings.push({
        severity: 'warning',
        subject,
        check: 'node',
        message: 'isolated from its peers (fault injection)',
      });
    if (n.lagSlots !== undefined && n.lagSlots > thresholds.lagSlotsMax) {
      findings.push({
        severity: 'warning',
        subject,
        check: 'lag',
        message: `${n.lagSlots} slots behind its leader (threshold ${thresholds.lagSlotsMax})`,
      });
    }
    if (n.latencyMsP99 > thresholds.latencyMsP99Max) {
      findings.push({
        severity: 'warning',
        subject,
        check: 'latency',
        message: `p99 ${n.latencyMsP99.toFixed(1)} ms over the last interval (threshold ${thresholds.latencyMsP99Max} ms)`,
      });
    }
  }
  const status = findings.reduce<Severity>((worst, f) => (rank[f.severity] > rank[worst] ? f.severity : worst), 'ok');
  return { status, exitCode: exitCodes[status], thresholds, findings };
}
