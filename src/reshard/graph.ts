import { badInput } from '../core/errors.js';
import type { AccountId, ClusterId } from '../protocol/ids.js';

/**
 * The longest history one plan reads: 100 clusters at the default of 10,000 transfers
 * each. Each transfer can add an edge, kept on both endpoints and written twice in the graph
 * file, so memory and time grow with it: at this bound (random transfers over 1 M accounts, 10
 * clusters) a plan took 29 s and 1 GB here, against 0.2 s for the default 3 x 10,000. Beyond it
 * the planner refuses rather than let a misconfigured history exhaust the machine.
 */
export const reshardHistoryTransfersMax = 1_000_000;
/**
 * The most accounts a plan counts: the planner walks `ownerOf` over every account to count each
 * cluster's (10 M calls is well under a second), and METIS 5.1 as Debian builds it sums vertex
 * weights in 32-bit integers, so the total weight (the accounts) must stay far below 2^31.
 */
export const reshardAccountsMax = 10_000_000;

/** What a graph is built from: the history and the current shard map. */
export interface GraphInput {
  /** Committed transfers as account pairs, from every cluster; repeats count. */
  history: ReadonlyArray<readonly [from: AccountId, to: AccountId]>;
  /** The current shard map. */
  ownerOf: (account: AccountId) => ClusterId;
  clusters: number;
  /** Accounts are 1..accounts. */
  accounts: number;
}

/**
 * The weighted account graph. Vertex v (0-based here, v+1 in METIS's file) is the heavy vertex of
 * cluster v+1 when v < clusters, else the history account `historyAccounts[v - clusters]`.
 */
export interface AccountGraph {
  clusters: number;
  /** The accounts that appear in the history, ascending. */
  historyAccounts: readonly AccountId[];
  /** Each vertex's current cluster. */
  owners: readonly ClusterId[];
  /** Each vertex's real account count: 1 for an account; a heavy vertex's may be 0. */
  accountCounts: readonly number[];
  /** Each vertex's transfer edges (neighbour vertex → transfers), without the inertia edges. */
  transfers: ReadonlyArray<ReadonlyMap<number, number>>;
  /** Accounts per cluster in the current map, index c-1. */
  clusterSizes: readonly number[];
}

/** Builds the graph; refuses (bad input) a history or a map that does not fit the topology. */
export function buildAccountGraph(input: GraphInput): AccountGraph {
  const { history, ownerOf, clusters, accounts } = input;
  if (accounts > reshardAccountsMax)
    throw badInput(`${accounts} accounts is too many to plan (at most ${reshardAccountsMax})`);
  if (history.length > reshardHistoryTransfersMax) {
    throw badInput(
      `a history of ${history.length} transfers is too long to plan (at most ${reshardHistoryTransfersMax})`,
    );
  }
  const ownerChecked = (account: AccountId): ClusterId => {
    const c = ownerOf(account);
    if (!(Number.isSafeInteger(c) && c >= 1 && c <= clusters)) {
      throw badInput(`the shard map puts account ${account} in cluster ${String(c)}, not one of 1..${clusters}`);
    }
    return c;
  };
  const clusterSizes = new Array<number>(clusters).fill(0);
  for (let a = 1; a <= accounts; a++) clusterSizes[ownerChecked(a) - 1]! += 1;

  const seen = new Set<AccountId>();
  for (const [from, to] of history) {
    for (const a of [from, to]) {
      if (!(Number.isSafeInteger(a) && a >= 1 && a <= accounts)) {
        throw badInput(`the history names account ${String(a)}, not one of 1..${accounts}`);
      }
      seen.add(a);
    }
    if (from === to) throw badInput(`the history holds a transfer from account ${from} to itself`);
  }
  const historyAccounts = [...seen].sort((x, y) => x - y);
  const vertexOf = new Map<AccountId, number>(historyAccounts.map((a, i) => [a, clusters + i]));

  const owners: ClusterId[] = Array.from({ length: clusters }, (_, i) => i + 1);
  const accountCounts: number[] = [...clusterSizes];
  for (const a of historyAccounts) {
    const c = ownerChecked(a);
    owners.push(c);
    accountCounts.push(1);
    accountCounts[c - 1]! -= 1;
  }

  const transfers = owners.map(() => new Map<number, number>());
  for (const [from, to] of history) {
    const u = vertexOf.get(from)!;
    const v = vertexOf.get(to)!;
    transfers[u]!.set(v, (transfers[u]!.get(v) ?? 0) + 1);
    transfers[v]!.set(u, (transfers[v]!.get(u) ?? 0) + 1);
  }
  return { clusters, historyAccounts, owners, accountCounts, transfers, clusterSizes };
}

/**
 * A heavy vertex's weight in METIS's file: its account count, but at least 1 when every account
 * of its cluster is in the history. METIS accepts a zero weight, but a weightless vertex costs
 * nothing to balance, so METIS could put it anywhere; with weight 1 it is still a vertex the
 * partition has to place. The planner allows for this padding (at most one per cluster) when it
 * derives METIS's imbalance factor.
 */
function metisVertexWeight(graph: AccountGraph, vertex: number): number {
  return Math.max(1, graph.accountCounts[vertex]!);
}

/** How much METIS's total vertex weight exceeds the real account count (the zero heavy vertices). */
export function metisWeightPadding(graph: AccountGraph): number {
  return graph.accountCounts.filter((n) => n === 0).length;
}

/**
 * The graph in METIS's graph-file format (manual of METIS 5.1, section 4.1.1): a header
 * `n m 011` (vertex weights and edge weights), then one line per vertex, 1-based:
 * `weight neighbour edgeWeight ...`, each undirected edge on both of its endpoints.
 *
 * Besides the transfer edges, each history account has an inertia edge of weight 1 to the heavy
 * vertex of its current cluster: cutting it costs one, so METIS moves an account only when its
 * transfers pull it elsewhere by more than that, and an account with equal pull (or none) stays
 * with its cluster instead of landing wherever the partitioner's balance happens to put it.
 */
export function formatMetisGraph(graph: AccountGraph): string {
  const { clusters, owners, transfers } = graph;
  const neighbours: Array<Map<number, number>> = transfers.map((t) => new Map(t));
  for (let v = clusters; v < owners.length; v++) {
    const heavy = owners[v]! - 1;
    neighbours[v]!.set(heavy, 1);
    neighbours[heavy]!.set(v, 1);
  }
  let halfEdges = 0;
  const lines = neighbours.map((adjacent, v) => {
    halfEdges += adjacent.size;
    const sorted = [...adjacent].sort(([x], [y]) => x - y);
    return [metisVertexWeight(graph, v), ...sorted.flatMap(([u, w]) => [u + 1, w])].join(' ');
  });
  return `${owners.length} ${halfEdges / 2} 011\n${lines.join('\n')}\n`;
}
