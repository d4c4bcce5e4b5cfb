import { randomInt } from 'node:crypto';
import type { NodeStatus } from '../codec/admin-bodies.js';
import type { LedgerClient } from '../client/ledger-client.js';
import { LedgerError } from '../core/errors.js';
import type { ClusterId, NodeId } from '../core/ids.js';
import { allNodes, clusterOfNode, nodesOfCluster, type Topology } from '../ledger/topology.js';

export interface FlushPlan {
  /** Nodes that stay up; every other node starts the new generation failed. */
  live: ReadonlySet<NodeId>;
  /** The leader agreed in advance for each cluster. */
  leaders: ReadonlyMap<ClusterId, NodeId>;
}

/** Random spread of a new generation above the highest seen (far below 2^53 after many flushes). */
const generationSpread = 1 << 20;

/**
 * The first live member of each cluster leads (DESIGN §11). A cluster with no live member gets
 * its first member, which starts failed and so leads nobody until it is recovered.
 */
export function firstLiveLeaders(topology: Topology, live: ReadonlySet<NodeId>, preferred: ReadonlyMap<ClusterId, NodeId> = new Map()): Map<ClusterId, NodeId> {
  const leaders = new Map<ClusterId, NodeId>();
  for (let cluster = 1; cluster <= topology.clusters; cluster++) {
    const members = nodesOfCluster(topology, cluster);
    const wanted = preferred.get(cluster);
    leaders.set(cluster, wanted !== undefined && members.includes(wanted) ? wanted : (members.find((n) => live.has(n)) ?? (members[0] as NodeId)));
  }
  return leaders;
}

/**
 * Flushes every node to the initial state (`ledger cluster flush`, the test-file runner): all
 * balances, logs, locks, sessions and views. Each node gets the same new generation, so no
 * message from before the flush reaches the fresh instance, and the same leader for its cluster,
 * so the cluster serves at once without an election. Every node must answer: a flush that
 * reached only some nodes would leave the others in the old generation.
 */
export async function flushCluster(client: LedgerClient, topology: Topology, plan: FlushPlan, answerTimeoutMs = 15_000): Promise<NodeStatus[]> {
  // A node still starting (or busy on a loaded machine) answers a little later: ask again
  // until every node has answered or the time is up.
  const deadline = Date.now() + answerTimeoutMs;
  let before = await client.status(2_000);
  while (before.some((s) => s.role === 'down') && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 200));
    before = await client.status(2_000);
  }
  const down = before.filter((s) => s.role === 'down').map((s) => `n${s.node}`);
  if (down.length > 0) {
    throw new LedgerError('unavailable', `cannot flush: ${down.join(', ')} ${down.length === 1 ? 'does' : 'do'} not answer`, {
      hint: 'restart it with `ledger node restart N` (a failed node is fine: it answers admin requests)',
    });
  }
  // Above every generation seen, with random low bits: two flushes at once (two CLIs) almost
  // surely get different generations, so their messages never mix even if each reaches only
  // part of the nodes; a node refuses a generation not above its own.
  const generation = Math.max(0, ...before.map((s) => ('generation' in s ? s.generation : 0))) + 1 + randomInt(generationSpread);
  return Promise.all(
    allNodes(topology).map((node) => {
      const leader = plan.leaders.get(clusterOfNode(topology, node));
      if (leader === undefined) throw new LedgerError('bad-input', `no leader chosen for the cluster of n${node}`);
      return client.flushNode(node, { generation, leader, failed: !plan.live.has(node) });
    }),
  );
}
