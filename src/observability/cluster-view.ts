import type { MetricsSnapshot, SnapshotRole } from '../protocol/metrics.js';
import { allNodes, clusterOfNode, nodesOfCluster, type Topology } from '../ledger/topology.js';

/**
 * What `ledger top` and `ledger check health` see: one row per node of the topology, built
 * from the latest snapshot each node published on `ledger.events`. Pure: the caller passes the
 * snapshots with the time it received them, and the time now, both on its own clock.
 */

/** A node without a snapshot for this long is silent: 3 publishing intervals of 1 s. */
export const silentAfterMsDefault = 3_000;

/** `live` reports and takes part; `failed` reports but is cut off by fault injection; `silent` does not report. */
export type NodeState = 'live' | 'failed' | 'silent';

export interface Received {
  snapshot: MetricsSnapshot;
  receivedAtMs: number;
}

/** The figures a row shows as the node reported them (zero when it never did). */
type ReportedFigures = Pick<
  MetricsSnapshot,
  | 'commitsTotal'
  | 'repliesPerSec'
  | 'commitsPerSec'
  | 'latencyMsP50'
  | 'latencyMsP99'
  | 'pendingRequests'
  | 'pendingCommands'
  | 'batchCommandsMean'
  | 'paxosMessagesPerCommit'
  | 'persistMsP99'
  | 'viewChangesTotal'
  | 'abortsTotal'
>;

export interface NodeRow extends ReportedFigures {
  node: number;
  cluster: number;
  state: NodeState;
  /** Undefined when the node never reported. */
  role: SnapshotRole | undefined;
  isolated: boolean;
  leader: number | undefined;
  ballot: string | undefined;
  commitIndex: number | undefined;
  appliedIndex: number | undefined;
  /** Slots behind the leader's commit (see `lagOf`). */
  lagSlots: number | undefined;
  /** Since the last snapshot arrived; undefined when none did. */
  lastSeenMsAgo: number | undefined;
}

export interface ClusterSummary {
  cluster: number;
  members: number[];
  /** Live members that say they lead (more than one: a view change in progress, or a stale leader). */
  leaders: number[];
  liveMembers: number;
  /** A majority of the members is live (reporting, not failed, not isolated). */
  quorum: boolean;
}

export interface ClusterView {
  nodes: NodeRow[];
  clusters: ClusterSummary[];
}

export function buildClusterView(
  topology: Topology,
  latest: ReadonlyMap<number, Received>,
  nowMs: number,
  silentAfterMs = silentAfterMsDefault,
): ClusterView {
  const rows = allNodes(topology).map((node) =>
    rowOf(node, clusterOfNode(topology, node), latest.get(node), nowMs, silentAfterMs),
  );
  const clusters = Array.from({ length: topology.clusters }, (_, i) =>
    summarize(i + 1, nodesOfCluster(topology, i + 1), rows),
  );
  for (const row of rows) row.lagSlots = lagOf(row, clusters[row.cluster - 1] as ClusterSummary, rows);
  return { nodes: rows, clusters };
}

function rowOf(
  node: number,
  cluster: number,
  received: Received | undefined,
  nowMs: number,
  silentAfterMs: number,
): NodeRow {
  const s = received?.snapshot;
  const ago = received === undefined ? undefined : Math.max(0, nowMs - received.receivedAtMs);
  const state: NodeState =
    s === undefined || (ago as number) > silentAfterMs ? 'silent' : s.role === 'failed' ? 'failed' : 'live';
  // A silent node's rates are unknown, not zero: show them as zero but never as current work.
  const current = state === 'live';
  return {
    node,
    cluster,
    state,
    role: s?.role,
    isolated: s?.isolated ?? false,
    leader: s?.leader,
    ballot: s?.ballot,
    commitIndex: s?.commitIndex,
    appliedIndex: s?.appliedIndex,
    lagSlots: s?.lagSlots,
    commitsTotal: s?.commitsTotal ?? 0,
    repliesPerSec: current ? (s?.repliesPerSec ?? 0) : 0,
    commitsPerSec: current ? (s?.commitsPerSec ?? 0) : 0,
    latencyMsP50: current ? (s?.latencyMsP50 ?? 0) : 0,
    latencyMsP99: current ? (s?.latencyMsP99 ?? 0) : 0,
    pendingRequests: s?.pendingRequests ?? 0,
    pendingCommands: s?.pendingCommands ?? 0,
    batchCommandsMean: current ? (s?.batchCommandsMean ?? 0) : 0,
    paxosMessagesPerCommit: current ? (s?.paxosMessagesPerCommit ?? 0) : 0,
    persistMsP99: current ? (s?.persistMsP99 ?? 0) : 0,
    viewChangesTotal: s?.viewChangesTotal ?? 0,
    abortsTotal: s?.abortsTotal ?? [],
    lastSeenMsAgo: ago,
  };
}

function isLive(row: NodeRow): boolean {
  return row.state === 'live' && !row.isolated;
}

function summarize(cluster: number, members: number[], rows: NodeRow[]): ClusterSummary {
  const mine = rows.filter((r) => r.cluster === cluster);
  const live = mine.filter(isLive);
  return {
    cluster,
    members,
    leaders: live.filter((r) => r.role === 'leader').map((r) => r.node),
    liveMembers: live.length,
    quorum: live.length > members.length / 2,
  };
}

/**
 * A live node knows its own lag: the leader's commit index reaches it on every accept and
 * heartbeat. A failed, isolated or silent one hears nothing, so its lag is measured against
 * the commit index its cluster's leader reports now (snapshots up to an interval apart).
 */
function lagOf(row: NodeRow, cluster: ClusterSummary, rows: NodeRow[]): number | undefined {
  if (row.appliedIndex === undefined) return undefined;
  if (isLive(row)) return row.lagSlots;
  const leaderCommit = Math.max(0, ...cluster.leaders.map((n) => rows[n - 1]?.commitIndex ?? 0));
  return Math.max(row.lagSlots ?? 0, leaderCommit - row.appliedIndex);
}
