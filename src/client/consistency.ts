import type { StateHashes } from '../protocol/admin.js';
import type { ClusterId, NodeId, Slot } from '../protocol/ids.js';
import { nodesOfCluster, type Topology } from '../ledger/topology.js';
import type { LedgerClient } from './ledger-client.js';

export interface ClusterConsistency {
  cluster: ClusterId;
  ok: boolean;
  /** The slot at which the live replicas' state hashes were compared. */
  comparedAtSlot: Slot | null;
  replicas: Array<{
    node: NodeId;
    live: boolean;
    appliedIndex?: number;
    hash?: number;
    total?: number;
    inFlight?: number;
    reason?: string;
  }>;
  problems: string[];
}

export interface ConsistencyReport {
  ok: boolean;
  clusters: ClusterConsistency[];
  /** `inFlight`: cross-shard transactions not yet finished when the money was counted. */
  money: { expected: number; actual: number; inFlight: number };
}

/**
 * `ledger check consistency`: in each cluster, the live replicas (answering and not failed)
 * must have equal state hashes at a slot they have all applied, and the money of all shards
 * together must be what was created at start. Replicas of a busy cluster are rarely at the same
 * slot at the same moment, so each node keeps its hashes for its last few thousand slots and we
 * compare at the highest slot they share; a replica too far behind gets `waitMs` to catch up.
 * Money is counted at a moment when no cross-shard transaction is in flight: if some are, the
 * leaders are asked to start no new one for a moment (intra-shard transfers go on, new
 * cross-shard ones wait), the ones in flight finish, and the shards are counted then.
 */
export async function checkConsistency(
  client: LedgerClient,
  topology: Topology,
  waitMs = 10_000,
): Promise<ConsistencyReport> {
  const deadline = Date.now() + waitMs;
  let holding = false;
  try {
    for (;;) {
      const clusters: ClusterConsistency[] = [];
      for (let c = 1; c <= topology.clusters; c++) {
        let result = await checkCluster(client, topology, c);
        while (!result.ok && result.comparedAtSlot === null && Date.now() < deadline) {
          await new Promise((resolve) => setTimeout(resolve, 200));
          result = await checkCluster(client, topology, c);
        }
        clusters.push(result);
      }
      let actual = 0;
      let inFlight = 0;
      for (const c of clusters) {
        const r = c.replicas.find((x) => x.live && x.total !== undefined);
        actual += r?.total ?? 0;
        inFlight += r?.inFlight ?? 0;
      }
      const expected = topology.accounts * topology.initialBalance;
      const money = { expected, actual, inFlight };
      // With no cross-shard transaction in flight, each shard's total is exact whenever it is
      // read (intra-shard transfers keep it), so the totals add up to a consistent audit.
      const moneyOk = actual === expected && inFlight === 0;
      if (moneyOk || Date.now() >= deadline || !clusters.every((c) => c.ok)) {
        return { ok: clusters.every((c) => c.ok) && moneyOk, clusters, money };
      }
      // Money is between shards: let the transactions in flight finish while no new one starts.
      await client.holdCrossShard(holdMs);
      holding = true;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  } finally {
    if (holding) await client.holdCrossShard(0);
  }
}

/** How long each request to hold new cross-shard transfers lasts (renewed while auditing). */
const holdMs = 2_000;

async function checkCluster(client: LedgerClient, topology: Topology, cluster: ClusterId): Promise<ClusterConsistency> {
  const members = nodesOfCluster(topology, cluster);
  const replicas: ClusterConsistency['replicas'] = [];
  const live: StateHashes[] = [];
  const statuses = await client.status(1_000);
  for (const node of members) {
    const status = statuses.find((s) => s.node === node);
    if (status === undefined || status.role === 'down') {
      replicas.push({ node, live: false, reason: 'not answering' });
      continue;
    }
    if (status.failed) {
      replicas.push({ node, live: false, reason: 'failed (fault injection)' });
      continue;
    }
    try {
      live.push(await client.stateHashes(node));
    } catch (error) {
      replicas.push({ node, live: false, reason: (error as Error).message });
    }
  }
  const problems: string[] = [];
  let comparedAtSlot: Slot | null = null;
  if (live.length > 0) {
    const shared = live.map((r) => new Map(r.hashes)).reduce((a, b) => new Map([...a].filter(([slot]) => b.has(slot))));
    if (shared.size === 0) problems.push('the live replicas share no recent slot to compare at (one is far behind)');
    else {
      comparedAtSlot = Math.max(...shared.keys());
      const hashes = new Set(live.map((r) => new Map(r.hashes).get(comparedAtSlot as Slot)));
      if (hashes.size > 1) problems.push(`state hashes differ at slot ${comparedAtSlot}`);
    }
  } else {
    problems.push('no live replica');
  }
  for (const r of live) {
    const hash = comparedAtSlot === null ? undefined : new Map(r.hashes).get(comparedAtSlot);
    replicas.push({
      node: r.node,
      live: true,
      appliedIndex: r.appliedIndex,
      total: r.total,
      inFlight: r.inFlight,
      ...(hash === undefined ? {} : { hash }),
    });
  }
  replicas.sort((a, b) => a.node - b.node);
  return { cluster, ok: problems.length === 0, comparedAtSlot, replicas, problems };
}
