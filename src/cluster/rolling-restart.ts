import type { NodeStatus } from '../protocol/admin.js';
import { performance } from 'node:perf_hooks';
import type { LedgerClient, NodeStatusRow } from '../client/ledger-client.js';
import { LedgerError } from '../core/errors.js';
import { roundMs } from '../core/round-ms.js';
import type { ClusterId, NodeId, Slot } from '../protocol/ids.js';
import { nodesOfCluster, type Topology } from '../ledger/topology.js';
import { moveLead } from './lead.js';
import { restartNode, stopNode } from './local-cluster.js';

/**
 * `ledger cluster restart --rolling`: every node stopped cleanly and started again, one at a
 * time, while the ledger serves. In each cluster the followers go first and the leader last;
 * before the leader goes down the lead moves to its most caught-up follower (`node lead`), so
 * no cluster ever waits for an election timeout. Each node must be back and caught up before
 * the next goes down: a cluster of 3 loses no majority, and a slow node stops the roll with its
 * name instead of taking a second node down with it.
 *
 * What it does to processes and how it asks the nodes are ports, so the order and the waits
 * are tested without processes (tests/unit/rolling-restart.test.ts) and a multi-host
 * supervisor could plug in its own stop and start.
 */
export interface RollingRestartPorts {
  /** Every node's status; a node that does not answer is `down`. */
  status(): Promise<NodeStatusRow[]>;
  /** Moves the lead of the node's cluster to it; resolves once it leads a majority. */
  lead(node: NodeId, timeoutMs: number): Promise<void>;
  /** A clean stop (SIGTERM, then SIGKILL after a grace): resolves once the process is gone,
   *  with its PID (null when it did not run). */
  stop(node: NodeId): Promise<number | null>;
  /** Starts the node again from its data: its new PID. */
  start(node: NodeId): Promise<number>;
  /** Milliseconds, monotonic. */
  now(): number;
  sleep(ms: number): Promise<void>;
}

export interface RollingRestartOptions {
  /** The most one node's step may take (lead transfer, stop, start, catch-up). */
  stepTimeoutMs: number;
  /** How often the status is asked while waiting. */
  pollMs?: number;
  onProgress?: (progress: RollingProgress) => void;
}

/** What the roll is doing now, for a progress line. */
export interface RollingProgress {
  /** Nodes done so far, of `total`. */
  done: number;
  total: number;
  node: NodeId;
  cluster: ClusterId;
  phase: 'moving the lead' | 'stopping' | 'starting' | 'catching up' | 'done';
  /** One line for a person. */
  text: string;
}

/** One node's restart, with the time each part took. */
export interface RestartStep {
  node: NodeId;
  cluster: ClusterId;
  /** Its role when its turn came: a leader hands the lead over first. */
  role: 'follower' | 'leader';
  /** The follower the lead moved to before this leader stopped (null for a follower, and for a
   *  cluster of one, which has nobody to hand over to). */
  leadMovedTo: NodeId | null;
  pidBefore: number | null;
  pidAfter: number;
  /** The slot it had to apply to count as caught up: its leader's applied slot when it came
   *  back. */
  caughtUpAtSlot: Slot;
  ms: { leadTransfer: number; stop: number; start: number; catchUp: number; total: number };
}

export interface RollingRestartResult {
  steps: RestartStep[];
  /** Leader of each cluster before and after, by cluster. */
  leadersBefore: Record<ClusterId, NodeId>;
  leadersAfter: Record<ClusterId, NodeId>;
  totalMs: number;
}

const pollMsDefault = 100;

export async function rollingRestart(
  topology: Topology,
  ports: RollingRestartPorts,
  options: RollingRestartOptions,
): Promise<RollingRestartResult> {
  const pollMs = options.pollMs ?? pollMsDefault;
  const startedMs = ports.now();
  const before = await ports.status();
  refuseUnhealthy(before);
  const leadersBefore = leadersOf(topology, before);
  const total = before.length;
  const steps: RestartStep[] = [];
  const say = (node: NodeId, cluster: ClusterId, phase: RollingProgress['phase'], text: string) =>
    options.onProgress?.({ done: steps.length, total, node, cluster, phase, text });

  for (let cluster = 1; cluster <= topology.clusters; cluster++) {
    const left = new Set(nodesOfCluster(topology, cluster));
    while (left.size > 0) {
      // Asked again at each step: the lead may have moved since (a transfer, or an election).
      const stepStartMs = ports.now();
      const deadlineMs = stepStartMs + options.stepTimeoutMs;
      const leader = await waitForLeader(ports, cluster, deadlineMs, pollMs, [...left][0] as NodeId);
      const follower = [...left].find((n) => n !== leader);
      const node = follower ?? leader;
      let leadMovedTo: NodeId | null = null;
      if (follower === undefined) {
        const heir = heirOf(await ports.status(), cluster, leader);
        if (heir !== undefined) {
          say(node, cluster, 'moving the lead', `n${leader} hands the lead of cluster ${cluster} to n${heir}`);
          await ports.lead(heir, Math.max(1, deadlineMs - ports.now()));
          leadMovedTo = heir;
        }
      }
      const leadDoneMs = ports.now();
      say(
        node,
        cluster,
        'stopping',
        `stopping n${node} (cluster ${cluster}, ${follower === undefined ? 'leader' : 'follower'})`,
      );
      const pidBefore = await ports.stop(node);
      const stoppedMs = ports.now();
      say(node, cluster, 'starting', `starting n${node}`);
      const pidAfter = await ports.start(node);
      const target = await waitUntilBack(ports, node, pidAfter, deadlineMs, pollMs, options.stepTimeoutMs);
      const backMs = ports.now();
      say(node, cluster, 'catching up', `n${node} is back; catching up to slot ${target}`);
      await waitUntilCaughtUp(ports, node, target, deadlineMs, pollMs, options.stepTimeoutMs);
      const doneMs = ports.now();
      left.delete(node);
      steps.push({
        node,
        cluster,
        role: follower === undefined ? 'leader' : 'follower',
        leadMovedTo,
        pidBefore,
        pidAfter,
        caughtUpAtSlot: target,
        ms: {
          leadTransfer: roundMs(leadDoneMs - stepStartMs),
          stop: roundMs(stoppedMs - leadDoneMs),
          start: roundMs(backMs - stoppedMs),
          catchUp: roundMs(doneMs - backMs),
          total: roundMs(doneMs - stepStartMs),
        },
      });
      say(
        node,
        cluster,
        'done',
        `n${node} restarted (pid ${pidBefore ?? '-'} -> ${pidAfter}) and caught up at slot ${target}`,
      );
    }
  }
  const leadersAfter = leadersOf(topology, await ports.status());
  return { steps, leadersBefore, leadersAfter, totalMs: roundMs(ports.now() - startedMs) };
}

/** Every node must answer and serve before the roll starts: taking one down while another is
 *  already down may leave a cluster of 3 without a majority. */
function refuseUnhealthy(statuses: NodeStatusRow[]): void {
  const out = statuses.filter((s) => s.role === 'down' || s.failed || s.isolated);
  if (out.length > 0)
    throw new LedgerError(
      'unavailable',
      `a rolling restart needs every node up and serving: ${out.map((s) => `n${s.node} is ${s.role === 'down' ? 'down' : s.failed ? 'failed' : 'isolated'}`).join(', ')}`,
      {
        hint: 'bring it back first (`ledger node restart N`, `node recover N`, `node heal N`), then see `ledger cluster status`',
      },
    );
}

/** The node a majority of the cluster follows and that says it leads, if any. */
function leaderIn(statuses: NodeStatusRow[], cluster: ClusterId): NodeId | undefined {
  const members = statuses.filter((s): s is NodeStatus => s.cluster === cluster && s.role !== 'down' && !s.failed);
  const size = statuses.filter((s) => s.cluster === cluster).length;
  const leader = members.find((s) => s.role === 'leader');
  if (leader === undefined) return undefined;
  return 2 * members.filter((s) => s.leader === leader.node).length > size ? leader.node : undefined;
}

function leadersOf(topology: Topology, statuses: NodeStatusRow[]): Record<ClusterId, NodeId> {
  const leaders: Record<ClusterId, NodeId> = {};
  for (let cluster = 1; cluster <= topology.clusters; cluster++) {
    const leader = leaderIn(statuses, cluster);
    if (leader !== undefined) leaders[cluster] = leader;
  }
  return leaders;
}

/** The follower to hand the lead to: up, serving, and the furthest applied (lowest id on a
 *  tie), so the new leader has the least to catch up before it serves. */
function heirOf(statuses: NodeStatusRow[], cluster: ClusterId, leader: NodeId): NodeId | undefined {
  const candidates = statuses.filter(
    (s): s is NodeStatus => s.cluster === cluster && s.node !== leader && s.role !== 'down' && !s.failed && !s.isolated,
  );
  candidates.sort((a, b) => b.appliedIndex - a.appliedIndex || a.node - b.node);
  return candidates[0]?.node;
}

async function waitForLeader(
  ports: RollingRestartPorts,
  cluster: ClusterId,
  deadlineMs: number,
  pollMs: number,
  next: NodeId,
): Promise<NodeId> {
  for (;;) {
    const leader = leaderIn(await ports.status(), cluster);
    if (leader !== undefined) return leader;
    if (ports.now() > deadlineMs)
      throw new LedgerError('timeout', `cluster ${cluster} has no leader: n${next} was not restarted`, {
        hint: 'see `ledger cluster status`; run the rolling restart again once the cluster leads',
      });
    await ports.sleep(pollMs);
  }
}

/** Until the new process answers its status; the slot it must then reach is its leader's
 *  applied slot at that moment. */
async function waitUntilBack(
  ports: RollingRestartPorts,
  node: NodeId,
  pid: number,
  deadlineMs: number,
  pollMs: number,
  stepTimeoutMs: number,
): Promise<Slot> {
  for (;;) {
    const statuses = await ports.status();
    const own = statuses.find((s) => s.node === node && s.role !== 'down' && s.pid === pid);
    if (own !== undefined) {
      const leader = leaderIn(statuses, own.cluster);
      const leaderStatus = statuses.find((s): s is NodeStatus => s.node === leader && s.role !== 'down');
      if (leaderStatus !== undefined) return leaderStatus.appliedIndex;
    }
    if (ports.now() > deadlineMs)
      throw new LedgerError(
        'timeout',
        own === undefined
          ? `n${node} did not come back within ${seconds(stepTimeoutMs)} (it does not answer its status)`
          : `n${node} came back, but its cluster had no leader within ${seconds(stepTimeoutMs)}`,
        {
          hint: `see logs/n${node}.log in the data dir and \`ledger cluster status\`; the nodes after it were not restarted`,
        },
      );
    await ports.sleep(pollMs);
  }
}

/** Until the node has applied `target` and follows a leader. */
async function waitUntilCaughtUp(
  ports: RollingRestartPorts,
  node: NodeId,
  target: Slot,
  deadlineMs: number,
  pollMs: number,
  stepTimeoutMs: number,
): Promise<void> {
  for (;;) {
    const statuses = await ports.status();
    const own = statuses.find((s): s is NodeStatus => s.node === node && s.role !== 'down');
    const leader = own === undefined ? undefined : leaderIn(statuses, own.cluster);
    if (own !== undefined && own.appliedIndex >= target && leader !== undefined && own.leader === leader) return;
    if (ports.now() > deadlineMs)
      throw new LedgerError(
        'timeout',
        own === undefined
          ? `n${node} did not stay up: it stopped answering while catching up`
          : `n${node} did not catch up within ${seconds(stepTimeoutMs)} (applied slot ${own.appliedIndex} of ${target}${own.leader === undefined ? ', no leader known' : ''})`,
        {
          hint: `see logs/n${node}.log in the data dir and \`ledger cluster status\`; the nodes after it were not restarted`,
        },
      );
    await ports.sleep(pollMs);
  }
}

function seconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(1))} s`;
}

/** The ports for a cluster that `ledger cluster start` runs on this machine (cluster.json). */
export function localRestartPorts(
  dataDir: string,
  client: LedgerClient,
  topology: Topology,
  graceMs: number,
): RollingRestartPorts {
  return {
    status: () => client.status(1_000),
    lead: async (node, timeoutMs) => {
      await moveLead(client, topology, node, timeoutMs);
    },
    stop: (node) => stopNode(dataDir, node, graceMs),
    start: async (node) => (await restartNode(dataDir, node)).pid,
    now: () => performance.now(),
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  };
}
