import { assert } from '../core/assert.js';
import { badInput } from '../core/errors.js';
import type { AccountId, ClusterId, NodeId } from '../protocol/ids.js';

/**
 * The shape of a deployment: how many clusters, nodes per cluster and accounts, and what every
 * account starts with. Cluster c holds a contiguous range of accounts and is replicated on
 * nodes (c-1)*nodesPerCluster+1 .. c*nodesPerCluster. This one description is shared by nodes,
 * the CLI, tests and the benchmark; no other code hard-codes 3 or 3000.
 */
export interface Topology {
  clusters: number;
  nodesPerCluster: number;
  accounts: number;
  initialBalance: number;
}

export const defaultTopology: Topology = { clusters: 3, nodesPerCluster: 3, accounts: 9000, initialBalance: 10 };

export function validateTopology(t: Topology): Topology {
  const ok = (n: unknown) => typeof n === 'number' && Number.isSafeInteger(n) && n > 0;
  if (!ok(t.clusters)) throw badInput(`clusters must be a positive integer, got ${String(t.clusters)}`);
  if (!ok(t.nodesPerCluster) || t.nodesPerCluster % 2 === 0) {
    throw badInput(`nodes per cluster must be odd (3, 5 or 7), got ${String(t.nodesPerCluster)}`);
  }
  if (!ok(t.accounts) || t.accounts < t.clusters) {
    throw badInput(`accounts must be an integer of at least the number of clusters, got ${String(t.accounts)}`);
  }
  if (!(Number.isSafeInteger(t.initialBalance) && t.initialBalance >= 0)) {
    throw badInput(`initial balance must be a non-negative integer, got ${String(t.initialBalance)}`);
  }
  return t;
}

export function nodeCount(t: Topology): number {
  return t.clusters * t.nodesPerCluster;
}

export function allNodes(t: Topology): NodeId[] {
  return Array.from({ length: nodeCount(t) }, (_, i) => i + 1);
}

export function clusterOfNode(t: Topology, node: NodeId): ClusterId {
  assert(Number.isInteger(node) && node >= 1 && node <= nodeCount(t), `node ${node} is not in the topology`);
  return Math.floor((node - 1) / t.nodesPerCluster) + 1;
}

export function nodesOfCluster(t: Topology, cluster: ClusterId): NodeId[] {
  assert(cluster >= 1 && cluster <= t.clusters, `cluster ${cluster} is not in the topology`);
  const first = (cluster - 1) * t.nodesPerCluster + 1;
  return Array.from({ length: t.nodesPerCluster }, (_, i) => first + i);
}

/** Accounts per cluster; the last cluster takes the remainder when it does not divide evenly. */
function accountsPerCluster(t: Topology): number {
  return Math.floor(t.accounts / t.clusters);
}

export function isAccount(t: Topology, account: unknown): account is AccountId {
  return typeof account === 'number' && Number.isSafeInteger(account) && account >= 1 && account <= t.accounts;
}

export function clusterOfAccount(t: Topology, account: AccountId): ClusterId {
  assert(isAccount(t, account), `account ${account} is not in the topology`);
  return Math.min(t.clusters, Math.floor((account - 1) / accountsPerCluster(t)) + 1);
}

/** First and last account (inclusive) of a cluster's shard. */
export function accountRange(t: Topology, cluster: ClusterId): { first: AccountId; last: AccountId } {
  assert(cluster >= 1 && cluster <= t.clusters, `cluster ${cluster} is not in the topology`);
  const per = accountsPerCluster(t);
  const first = (cluster - 1) * per + 1;
  const last = cluster === t.clusters ? t.accounts : cluster * per;
  return { first, last };
}

export function totalMoney(t: Topology): number {
  return t.accounts * t.initialBalance;
}
