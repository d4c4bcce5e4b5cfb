import type { ClusterId } from '../protocol/ids.js';
import type { AccountGraph } from './graph.js';

/** The account counts every cluster must end within: inclusive, from the balance tolerance. */
export interface BalanceBounds {
  lower: number;
  upper: number;
}

/** ±tolerance around accounts/clusters, rounded inwards (the epsilon absorbs 3000 * 0.95 = 2850.0000000000005). */
export function balanceBounds(accounts: number, clusters: number, tolerance: number): BalanceBounds {
  const average = accounts / clusters;
  return {
    lower: Math.ceil(average * (1 - tolerance) - 1e-9),
    upper: Math.floor(average * (1 + tolerance) + 1e-9),
  };
}

export function isWithin(bounds: BalanceBounds, sizes: readonly number[]): boolean {
  return sizes.every((n) => n >= bounds.lower && n <= bounds.upper);
}

/**
 * Takes back the moves of a proposed placement (each vertex's cluster after METIS and the
 * labels) that do not pay, and returns the placement kept. Only ever undoes moves, so it cannot
 * move an account METIS left home, and it ends (each round undoes at least one move or stops).
 *
 * - A move that does not lower the cut: the account's transfers to accounts placed in its new
 *   cluster do not outnumber those to accounts placed in its old one (an account with equal
 *   pull, or pulled towards a third cluster only). METIS weighs balance against cut, and the
 *   inertia edge of weight 1 is a nudge, not a rule; moving such an account costs a transfer of
 *   its record and gains nothing.
 * - A move that breaks the balance: while a cluster holds more accounts than the bounds allow,
 *   a move into it is undone (fewer than allowed: a move out of it), the one with the least gain
 *   first (ties: the higher account). METIS's imbalance factor is a target it misses on small
 *   graphs. When the current map is within the bounds this always ends within them: a cluster
 *   with no move into it holds at most what it holds today.
 */
export function keepMovesThatHelp(
  graph: AccountGraph,
  proposed: readonly ClusterId[],
  bounds: BalanceBounds,
): ClusterId[] {
  const placement = [...proposed];
  const sizes = [...graph.clusterSizes];
  placement.forEach((c, v) => {
    sizes[graph.owners[v]! - 1]! -= graph.accountCounts[v]!;
    sizes[c - 1]! += graph.accountCounts[v]!;
  });
  const undo = (v: number) => {
    sizes[placement[v]! - 1]! -= graph.accountCounts[v]!;
    sizes[graph.owners[v]! - 1]! += graph.accountCounts[v]!;
    placement[v] = graph.owners[v]!;
  };
  const gain = (v: number) => {
    let pull = 0;
    for (const [u, transfers] of graph.transfers[v]!) {
      if (placement[u] === placement[v]) pull += transfers;
      else if (placement[u] === graph.owners[v]) pull -= transfers;
    }
    return pull;
  };
  const moved = () => placement.flatMap((c, v) => (c !== graph.owners[v] ? [v] : []));

  for (let changed = true; changed;) {
    changed = false;
    for (let dropped = true; dropped;) {
      dropped = false;
      for (const v of moved()) {
        if (gain(v) > 0) continue;
        undo(v);
        dropped = changed = true;
      }
    }
    for (const v of movesBreakingBalance(graph, placement, sizes, bounds, moved(), gain)) {
      undo(v);
      changed = true;
    }
  }
  return placement;
}

/**
 * The moves to undo so that every cluster that a move can bring back within the bounds is: for
 * each cluster out of them in turn, its culprits by least gain (ties: the higher account), as
 * many as it takes. Gains are taken once per cluster, not after each undo: a pass of the loop
 * above re-checks every move anyway, and this keeps a large plan to a few passes.
 */
function movesBreakingBalance(
  graph: AccountGraph,
  placement: readonly ClusterId[],
  sizes: readonly number[],
  bounds: BalanceBounds,
  moved: readonly number[],
  gain: (v: number) => number,
): number[] {
  const after = [...sizes];
  const undone = new Set<number>();
  for (let c = 1; c <= after.length; c++) {
    const over = after[c - 1]! > bounds.upper;
    const under = after[c - 1]! < bounds.lower;
    if (!over && !under) continue;
    const culprits = moved.filter((v) => (over ? placement[v] === c : graph.owners[v] === c) && !undone.has(v));
    const gains = new Map(culprits.map((v) => [v, gain(v)]));
    // Vertices ascend with their accounts, so "the higher account" is the higher vertex.
    culprits.sort((x, y) => gains.get(x)! - gains.get(y)! || y - x);
    for (const v of culprits) {
      if (after[c - 1]! <= bounds.upper && after[c - 1]! >= bounds.lower) break;
      after[placement[v]! - 1]! -= graph.accountCounts[v]!;
      after[graph.owners[v]! - 1]! += graph.accountCounts[v]!;
      undone.add(v);
    }
  }
  return [...undone];
}
