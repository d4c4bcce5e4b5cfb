import { assert } from '../core/assert.js';
import type { ClusterId } from '../protocol/ids.js';

/**
 * Up to this many clusters the labelling tries every assignment (8! = 40,320 of them, each summed
 * over 8 parts: a few milliseconds); beyond it, k! grows too fast and a greedy takes over.
 */
export const labelsExactClustersMax = 8;

/**
 * Which cluster each METIS part becomes (index p → cluster), so that as few accounts as possible
 * change cluster. METIS numbers its parts arbitrarily: part 0 need not be cluster 1. The weight
 * of (part p, cluster c) is the number of accounts now in c that METIS put in p (`overlap[p][c-1]`,
 * a heavy vertex counting all its accounts); the chosen assignment keeps the most weight.
 *
 * Exact up to `labelsExactClustersMax` clusters: every permutation, in lexicographic order, and
 * the first best wins, so on a tie the identity (or the assignment closest to it in that order)
 * is kept. Beyond: greedy, the largest overlap first (ties: the smaller part, then the smaller
 * cluster), which is not always optimal but keeps each part's largest block of accounts home.
 */
export function labelParts(overlap: ReadonlyArray<ReadonlyArray<number>>): ClusterId[] {
  const k = overlap.length;
  assert(
    overlap.every((row) => row.length === k),
    'the overlap is square: as many parts as clusters',
  );
  const chosen = k <= labelsExactClustersMax ? bestPermutation(overlap) : greedyAssignment(overlap);
  return chosen.map((c) => c + 1);
}

/** The overlap matrix of a partition: `partition[v]` is vertex v's part, `owners[v]` its cluster. */
export function overlapOf(
  partition: readonly number[],
  owners: readonly ClusterId[],
  accountCounts: readonly number[],
  clusters: number,
): number[][] {
  const overlap = Array.from({ length: clusters }, () => new Array<number>(clusters).fill(0));
  partition.forEach((p, v) => {
    overlap[p]![owners[v]! - 1]! += accountCounts[v]!;
  });
  return overlap;
}

function bestPermutation(overlap: ReadonlyArray<ReadonlyArray<number>>): number[] {
  const k = overlap.length;
  let best: number[] = [];
  let bestKept = -1;
  const current: number[] = [];
  const used = new Array<boolean>(k).fill(false);
  const visit = (p: number, kept: number): void => {
    if (p === k) {
      if (kept > bestKept) [best, bestKept] = [[...current], kept];
      return;
    }
    for (let c = 0; c < k; c++) {
      if (used[c]) continue;
      used[c] = true;
      current.push(c);
      visit(p + 1, kept + overlap[p]![c]!);
      current.pop();
      used[c] = false;
    }
  };
  visit(0, 0);
  return best;
}

function greedyAssignment(overlap: ReadonlyArray<ReadonlyArray<number>>): number[] {
  const k = overlap.length;
  const pairs = overlap.flatMap((row, p) => row.map((weight, c) => ({ p, c, weight })));
  pairs.sort((x, y) => y.weight - x.weight || x.p - y.p || x.c - y.c);
  const assignment = new Array<number>(k).fill(-1);
  const taken = new Array<boolean>(k).fill(false);
  for (const { p, c } of pairs) {
    if (assignment[p] !== -1 || taken[c]) continue;
    assignment[p] = c;
    taken[c] = true;
  }
  return assignment;
}
