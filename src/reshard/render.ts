import type { AccountId, ClusterId } from '../protocol/ids.js';
import type { ReshardMove, ReshardPlan } from './plan.js';

/** PrintReshard's triplet: `(4001, c2, c1)` is account 4001 moving from cluster 2 to cluster 1. */
export function formatMove(m: ReshardMove): string {
  return `(${m.account}, c${m.from}, c${m.to})`;
}

/** A share of transfers as a percentage with one decimal: 0.4 → "40.0 %". */
function percent(share: number): string {
  return `${(share * 100).toFixed(1)} %`;
}

/**
 * A plan as text: the triplets one per line (PrintReshard), then the cross-shard share of the
 * history before → after, then the accounts per cluster after the moves.
 */
export function renderPlan(plan: ReshardPlan): string[] {
  const counts = plan.accountsPerClusterAfter.map((n, i) => `c${i + 1} ${n}`).join(', ');
  const balance = plan.withinTolerance
    ? `within ±${percent(plan.balanceTolerance)}`
    : `NOT within ±${percent(plan.balanceTolerance)}`;
  return [
    ...(plan.moves.length === 0 ? ['no account moves'] : plan.moves.map(formatMove)),
    `cross-shard share of ${plan.historyTransfers} transfers: ${percent(plan.crossShareBefore)} → ${percent(plan.crossShareAfter)}`,
    `accounts per cluster after: ${counts} (${balance})`,
  ];
}

/** A plan in `--json`: clusters by number (as every --json has nodes), counts per cluster in one list. */
export interface ReshardPlanJson {
  seed: number;
  balanceTolerance: number;
  historyTransfers: number;
  moves: Array<{ account: AccountId; from: ClusterId; to: ClusterId }>;
  crossShareBefore: number;
  crossShareAfter: number;
  clusters: Array<{ cluster: ClusterId; accountsBefore: number; accountsAfter: number }>;
  withinTolerance: boolean;
}

export function planJson(plan: ReshardPlan): ReshardPlanJson {
  return {
    seed: plan.seed,
    balanceTolerance: plan.balanceTolerance,
    historyTransfers: plan.historyTransfers,
    moves: plan.moves.map(({ account, from, to }) => ({ account, from, to })),
    crossShareBefore: plan.crossShareBefore,
    crossShareAfter: plan.crossShareAfter,
    clusters: plan.accountsPerClusterBefore.map((accountsBefore, i) => ({
      cluster: i + 1,
      accountsBefore,
      accountsAfter: plan.accountsPerClusterAfter[i]!,
    })),
    withinTolerance: plan.withinTolerance,
  };
}
