import { badInput } from '../core/errors.js';
import { validateTopology, type Topology } from '../ledger/topology.js';
import type { AccountId, ClusterId } from '../protocol/ids.js';
import { buildAccountGraph } from './graph.js';
import { proposePlacement } from './propose.js';
import { balanceBounds, isWithin, keepMovesThatHelp } from './trim.js';

/**
 * The default balance tolerance: every cluster within ±5 % of accounts/clusters (2,850..3,150
 * for the default 9,000 accounts in 3 clusters). Loose enough that a community of a few hundred
 * accounts can gather in one cluster, tight enough that no cluster carries much more than its
 * share of the records and the load; METIS's own k-way default (3 %) is of the same order.
 */
export const reshardBalanceToleranceDefault = 0.05;

export interface ReshardInput {
  topology: Topology;
  /** The current shard map. */
  ownerOf: (account: AccountId) => ClusterId;
  /** Committed transfers as account pairs, from every cluster. */
  history: ReadonlyArray<readonly [from: AccountId, to: AccountId]>;
  /** METIS's seed: the same input and seed give the same plan. */
  seed: number;
  /** Every cluster ends within ±balanceTolerance of accounts/clusters (0.05 = 5 %). */
  balanceTolerance: number;
  /** The gpmetis to run (tests); `gpmetis` from PATH by default. */
  gpmetis?: string;
}

export interface ReshardMove {
  account: AccountId;
  from: ClusterId;
  to: ClusterId;
}

export interface ReshardPlan {
  seed: number;
  balanceTolerance: number;
  historyTransfers: number;
  /** Sorted by account. */
  moves: ReshardMove[];
  /** Share of the history's transfers between two clusters, under the current map (0 if none). */
  crossShareBefore: number;
  /** The same share once the moves are applied. */
  crossShareAfter: number;
  /** Accounts per cluster, index c-1. */
  accountsPerClusterBefore: number[];
  accountsPerClusterAfter: number[];
  /** Every cluster's count after is within ±balanceTolerance of accounts/clusters. */
  withinTolerance: boolean;
}

/** METIS reads its seed as a C int. */
const seedMax = 2 ** 31 - 1;

/**
 * Plans a reshard: the account graph of the history (graph.ts) partitioned by METIS into one
 * part per cluster, the parts labelled so that the fewest accounts move (propose.ts), then only
 * the moves that lower the cut and keep the balance (trim.ts). Accounts in no history never move.
 */
export async function planReshard(input: ReshardInput): Promise<ReshardPlan> {
  const { topology, history, seed, balanceTolerance } = input;
  if (!(Number.isSafeInteger(seed) && seed >= 0 && seed <= seedMax))
    throw badInput(`the seed must be an integer in 0..${seedMax}, got ${seed}`);
  if (!(Number.isFinite(balanceTolerance) && balanceTolerance >= 0 && balanceTolerance < 1)) {
    throw badInput(`the balance tolerance must be a fraction in [0, 1), got ${balanceTolerance}`);
  }
  const { clusters, accounts } = validateTopology(topology);
  const graph = buildAccountGraph({ history, ownerOf: input.ownerOf, clusters, accounts });
  const bounds = balanceBounds(accounts, clusters, balanceTolerance);

  let placement = graph.owners;
  if (history.length > 0 && clusters > 1) {
    const proposed = await proposePlacement(graph, { seed, balanceTolerance, accounts, gpmetis: input.gpmetis });
    placement = keepMovesThatHelp(graph, proposed, bounds);
  }

  const moves: ReshardMove[] = [];
  const after = new Map<AccountId, ClusterId>();
  graph.historyAccounts.forEach((account, i) => {
    const [from, to] = [graph.owners[clusters + i]!, placement[clusters + i]!];
    after.set(account, to);
    if (from !== to) moves.push({ account, from, to });
  });
  const accountsPerClusterAfter = [...graph.clusterSizes];
  for (const m of moves) {
    accountsPerClusterAfter[m.from - 1]! -= 1;
    accountsPerClusterAfter[m.to - 1]! += 1;
  }
  return {
    seed,
    balanceTolerance,
    historyTransfers: history.length,
    moves,
    crossShareBefore: crossShare(history, input.ownerOf),
    crossShareAfter: crossShare(history, (a) => after.get(a)!),
    accountsPerClusterBefore: [...graph.clusterSizes],
    accountsPerClusterAfter,
    withinTolerance: isWithin(bounds, accountsPerClusterAfter),
  };
}

function crossShare(
  history: ReadonlyArray<readonly [AccountId, AccountId]>,
  ownerOf: (account: AccountId) => ClusterId,
): number {
  if (history.length === 0) return 0;
  return history.filter(([from, to]) => ownerOf(from) !== ownerOf(to)).length / history.length;
}
