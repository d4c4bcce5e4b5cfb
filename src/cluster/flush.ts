import { randomInt } from 'node:crypto';
import type { NodeStatus } from '../protocol/admin.js';
import type { LedgerClient } from '../client/ledger-client.js';
import { LedgerError } from '../core/errors.js';
import type { ClusterId, NodeId } from '../protocol/ids.js';
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
 * The first live member of each cluster leads (docs/test-files.md). A cluster with no live member gets
 * its first member, which starts failed and so leads nobody until it is recovered.
 */
export function firstLiveLeaders(
  topology: Topology,
  live: ReadonlySet<NodeId>,
  preferred: ReadonlyMap<ClusterId, NodeId> = new Map(),
): Map<ClusterId, NodeId> {
  const leaders = new Map<ClusterId, NodeId>();
  for (let cluster = 1; cluster <= topology.clusters; cluster++) {
    const members = nodesOfCluster(topology, cluster);
    const wanted = preferred.get(cluster);
    leaders.set(
      cluster,
      wanted !== undefined && members.includes(wanted)
        ? wanted
        : (members.find((n) => live.has(n)) ?? (members[0] as NodeId)),
    );
  }
  return leaders;
}

/** The clusters that `live` leaves without a majority: they cannot commit until enough of their
 *  nodes are recovered. */
export function clustersWithoutMajority(
  topology: Topology,
  live: ReadonlySet<NodeId>,
): Array<{ cluster: ClusterId; live: number; members: number }> {
  const lost: Array<{ cluster: ClusterId; live: number; members: number }> = [];
  for (let cluster = 1; cluster <= topology.clusters; cluster++) {
    const members = nodesOfCluster(topology, cluster);
    const up = members.filter((n) => live.has(n)).length;
    if (2 * up <= members.length) lost.push({ cluster, live: up, members: members.length });
  }
  return lost;
}

/**
 * Flushes every node to the initial state (`ledger cluster flush`, the test-file runner): all
 * balances, logs, locks, sessions and views. Each node gets the same new generation, so no
 * message from before the flush reaches the fresh instance, and the same leader for its cluster,
 * which stands at once, without a pre-vote, and serves after one Phase 1 round in ballot
 * (1, itself) (not a view change: no NEW-VIEW). Every node must answer: a flush that reached
 * only some nodes would leave the others in the old generation.
 */
export async function flushCluster(
  client: LedgerClient,
  topology: Topology,
  plan: FlushPlan,
  answerTimeoutMs = 15_000,
): Promise<NodeStatus[]> {
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
    throw new LedgerError(
      'unavailable',
      `cannot flush: ${down.join(', ')} ${down.length === 1 ? 'does' : 'do'} not answer`,
      {
        hint: 'restart it with `ledger node restart N` (a failed node is fine: it answers admin requests)',
      },
    );
  }
  // Above every generation seen, with random low bits: two flushes at once (two CLIs) almost
  // surely get different generations, so their messages never mix even if each reaches only
  // part of the nodes; a node refuses a generation not above its own.
  const generation =
    Math.max(0, ...before.map((s) => ('generation' in s ? s.generation : 0))) + 1 + randomInt(generationSpread);
  let statuses = await Promise.all(
    allNodes(topology).map((node) => {
      const leader = plan.leaders.get(clusterOfNode(topology, node));
      if (leader === undefined) throw new LedgerError('bad-input', `no leader chosen for the cluster of n${node}`);
      return client.flushNode(node, { generation, leader, failed: !plan.live.has(node) });
    }),
  );
  // Each agreed leader still runs Phase 1 in ballot (1, itself) (two racing flushes may have
  // named two leaders, see ReplicaInit.initialLeader): wait until those with a live majority
  // lead, so that the first request of a set finds them serving. Bounded: a cluster that cannot
  // elect is the set's own business.
  const expected = [...plan.leaders.entries()].filter(([cluster, leader]) => {
    const members = nodesOfCluster(topology, cluster);
    return plan.live.has(leader) && 2 * members.filter((m) => plan.live.has(m)).length > members.length;
  });
  const leads = (all: typeof statuses) =>
    expected.every(([, leader]) =>
      all.some((s) => s.node === leader && s.role === 'leader' && s.generation === generation),
    );
  while (!leads(statuses) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    const now = await client.status(2_000);
    if (now.every((s) => s.role !== 'down')) statuses = now as NodeStatus[];
  }
  return statuses;
}
