import { replicaRoles } from '../core/roles.js';

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
