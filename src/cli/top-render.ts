import type { ClusterView, NodeRow } from '../observability/cluster-view.js';
import type { HealthReport } from '../observability/health.js';
import { table, type Column, type Layout } from './render.js';

/** `ledger top`: one row per node; a blank cell is a value the node did not report. `note`
 *  (the connection to NATS is lost) goes on the head line. */
export function renderTop(view: ClusterView, note?: string, layout?: Layout): string {
  const led = view.clusters.filter((c) => c.leaders.length === 1 && c.quorum).length;
  const ops = view.nodes.reduce((sum, n) => sum + n.repliesPerSec, 0);
  const head = `${view.nodes.length} nodes, ${led} of ${view.clusters.length} clusters led with a quorum, ${Math.round(ops)} answers/s${note === undefined ? '' : `  (${note})`}`;
  const rows = view.nodes.map((n) => [
    `n${n.node}`,
    n.cluster,
    roleText(n),
    n.leader === undefined ? '' : `n${n.leader}`,
    n.ballot ?? '',
    n.commitIndex ?? '',
    n.lagSlots ?? '',
    rate(n.repliesPerSec),
    rate(n.commitsPerSec),
    msText(n.latencyMsP50),
    msText(n.latencyMsP99),
    `${n.pendingRequests}/${n.pendingCommands}`,
    n.batchCommandsMean === 0 ? '' : n.batchCommandsMean.toFixed(1),
    n.commitsTotal,
    lastSeen(n),
  ]);
  return `${head}\n${table(topColumns, rows, layout)}`;
}

/** One line a node, so 25 nodes still fit a terminal; at 80 columns the figures a reader acts
 *  on stay (role, leader, lag, answers/s, latency, queues) and the totals go first (--wide
 *  shows every column). */
const topColumns: Column[] = [
  { head: 'node' },
  { head: 'cl', right: true },
  { head: 'role', shrinkTo: 8 },
  { head: 'leader' },
  { head: 'ballot', drop: 5 },
  { head: 'commit', right: true, drop: 4 },
  { head: 'lag', right: true },
  { head: 'ops/s', right: true },
  { head: 'commits/s', right: true, drop: 6 },
  { head: 'p50 ms', right: true },
  { head: 'p99 ms', right: true },
  { head: 'queue', right: true, drop: 3 },
  { head: 'batch', right: true, drop: 7 },
  { head: 'commits', right: true, drop: 8 },
  { head: 'seen', drop: 2 },
];

function roleText(n: NodeRow): string {
  if (n.state === 'silent') return n.role === undefined ? 'silent' : `silent (was ${n.role})`;
  return n.isolated ? `${n.role ?? '?'} (isolated)` : (n.role ?? '?');
}

function rate(perSec: number): string {
  return perSec === 0 ? '0' : perSec < 10 ? perSec.toFixed(1) : String(Math.round(perSec));
}

function msText(ms: number): string {
  return ms === 0 ? '' : ms < 10 ? ms.toFixed(2) : ms.toFixed(1);
}

function lastSeen(n: NodeRow): string {
  return n.lastSeenMsAgo === undefined ? 'never' : `${(n.lastSeenMsAgo / 1000).toFixed(1)} s ago`;
}

/** `ledger check health`: every finding, worst first, and the verdict. */
export function renderHealth(report: HealthReport): string {
  const order = { critical: 0, warning: 1, ok: 2 } as const;
  const findings = [...report.findings].sort((a, b) => order[a.severity] - order[b.severity]);
  const rows = findings.map((f) => [f.severity.toUpperCase(), f.subject, f.check, f.message]);
  return `${table(['severity', 'where', 'check', 'finding'], rows)}\nhealth: ${report.status.toUpperCase()} (exit ${report.exitCode})`;
}
