import { replicaRoles } from '../core/roles.js';
import { arr, bool, fail, int, obj, oneOf, optional, str } from './validate.js';

/**
 * What each node publishes on `ledger.events` every second (kind `metrics`), read by
 * `ledger top` and `ledger check health`. Counters are totals since the node started; the
 * `…Interval`/rate/percentile fields cover the last interval only, so a reader needs no state.
 */

/** `failed`: fault injection (`ledger node fail`) made the node deaf and mute; it still reports. */
export const snapshotRoles = [...replicaRoles, 'failed'] as const;
export type SnapshotRole = (typeof snapshotRoles)[number];

/** Distinct abort reasons a snapshot may carry; more are folded into `other` by the node. */
export const abortReasonsMax = 32;

export interface MetricsSnapshot {
  node: number;
  cluster: number;
  role: SnapshotRole;
  /** The node is partitioned from its peers (`ledger node isolate`). */
  isolated: boolean;
  leader: number | undefined;
  ballot: string;
  commitIndex: number;
  appliedIndex: number;
  /** Slots the node is behind the highest commit index its leader announced to it. */
  lagSlots: number;
  commitsTotal: number;
  abortsTotal: Array<{ reason: string; count: number }>;
  viewChangesTotal: number;
  /** Length of the interval the rates and percentiles below cover. */
  intervalMs: number;
  /** Final answers (committed, aborted, insufficient funds, reads) per second. */
  repliesPerSec: number;
  commitsPerSec: number;
  /** Server side: from the request's arrival at this node to its reply. */
  latencyMsP50: number;
  latencyMsP99: number;
  /** Client requests waiting for an answer at this node. */
  pendingRequests: number;
  /** Commands the leader holds waiting for locks or room in the pipeline. */
  pendingCommands: number;
  /** Commands per newly proposed slot (leader only). */
  batchCommandsMean: number;
  batchCommandsMax: number;
  /** Paxos messages this node sent per transfer it committed (leader only; 0 without commits). */
  paxosMessagesPerCommit: number;
  /** Time to persist one Ready in SQLite (one transaction, fsync included). */
  persistMsP99: number;
  /** The node's Prometheus endpoint, when it serves one. */
  metricsPort: number | undefined;
  pid: number;
  uptimeMs: number;
  /** The node's wall clock when it sent this (readers judge freshness by their own clock). */
  sentAtMs: number;
}

/** Non-negative finite numbers (rates and means are fractional). */
function num(value: unknown, path: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) fail(path, 'a non-negative number');
  return value;
}

export function decodeMetricsSnapshot(value: unknown, path = 'snapshot'): MetricsSnapshot {
  const o = obj(value, path);
  const p = (field: string) => `${path}.${field}`;
  return {
    node: int(o.node, p('node'), 1),
    cluster: int(o.cluster, p('cluster'), 1),
    role: oneOf(o.role, p('role'), snapshotRoles),
    isolated: bool(o.isolated, p('isolated')),
    leader: optional(o.leader, p('leader'), (v, q) => int(v, q, 1)),
    ballot: str(o.ballot, p('ballot'), 64),
    commitIndex: int(o.commitIndex, p('commitIndex')),
    appliedIndex: int(o.appliedIndex, p('appliedIndex')),
    lagSlots: int(o.lagSlots, p('lagSlots')),
    commitsTotal: int(o.commitsTotal, p('commitsTotal')),
    abortsTotal: arr(o.abortsTotal, p('abortsTotal'), abortReasonsMax + 1, (v, q) => {
      const a = obj(v, q);
      return { reason: str(a.reason, `${q}.reason`, 64), count: int(a.count, `${q}.count`) };
    }),
    viewChangesTotal: int(o.viewChangesTotal, p('viewChangesTotal')),
    intervalMs: int(o.intervalMs, p('intervalMs')),
    repliesPerSec: num(o.repliesPerSec, p('repliesPerSec')),
    commitsPerSec: num(o.commitsPerSec, p('commitsPerSec')),
    latencyMsP50: num(o.latencyMsP50, p('latencyMsP50')),
    latencyMsP99: num(o.latencyMsP99, p('latencyMsP99')),
    pendingRequests: int(o.pendingRequests, p('pendingRequests')),
    pendingCommands: int(o.pendingCommands, p('pendingCommands')),
    batchCommandsMean: num(o.batchCommandsMean, p('batchCommandsMean')),
    batchCommandsMax: int(o.batchCommandsMax, p('batchCommandsMax')),
    paxosMessagesPerCommit: num(o.paxosMessagesPerCommit, p('paxosMessagesPerCommit')),
    persistMsP99: num(o.persistMsP99, p('persistMsP99')),
    metricsPort: optional(o.metricsPort, p('metricsPort'), (v, q) => int(v, q, 1)),
    pid: int(o.pid, p('pid'), 1),
    uptimeMs: int(o.uptimeMs, p('uptimeMs')),
    sentAtMs: int(o.sentAtMs, p('sentAtMs')),
  };
}
