import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { labelParts, labelsExactClustersMax, overlapOf } from '../../src/reshard/labels.js';

/** Accounts kept home by an assignment (part p → cluster), summed here without the module's code. */
function kept(overlap: number[][], labels: number[]): number {
  return labels.reduce((sum, c, p) => sum + overlap[p]![c - 1]!, 0);
}

describe('reshard labels: METIS parts to clusters, fewest accounts moved', () => {
  test('a partition that already matches the clusters keeps the identity', () => {
    const overlap = [
      [2990, 5, 0],
      [10, 2995, 3],
      [0, 0, 2997],
    ];
    assert.deepEqual(labelParts(overlap), [1, 2, 3]);
  });

  test('on a tie (here: nothing known) the identity wins', () => {
    assert.deepEqual(
      labelParts([
        [0, 0, 0],
        [0, 0, 0],
        [0, 0, 0],
      ]),
      [1, 2, 3],
    );
    assert.deepEqual(
      labelParts([
        [5, 5],
        [5, 5],
      ]),
      [1, 2],
    );
  });

  test('parts numbered in another order are relabelled to their clusters', () => {
    const overlap = [
      [0, 0, 2999],
      [3000, 1, 0],
      [0, 2998, 2],
    ];
    assert.deepEqual(labelParts(overlap), [3, 1, 2]);
  });

  test('up to 8 clusters the labelling is exact where the greedy is not', () => {
    // The greedy takes (part 1, c1) = 10 first, then must give part 2 c2 = 0: 10 kept. The best
    // keeps 9 + 9 = 18 with part 1 → c2 and part 2 → c1.
    const overlap = [
      [10, 9],
      [9, 0],
    ];
    assert.deepEqual(labelParts(overlap), [2, 1]);
    assert.equal(kept(overlap, labelParts(overlap)), 18);
    // The same trap inside an 8 x 8 matrix (the rest diagonal).
    const eight = Array.from({ length: 8 }, (_, p) =>
      Array.from({ length: 8 }, (_, c): number => (p === c && p >= 2 ? 100 : 0)),
    );
    eight[0]![0] = 10;
    eight[0]![1] = 9;
    eight[1]![0] = 9;
    assert.equal(labelsExactClustersMax, 8);
    assert.deepEqual(labelParts(eight), [2, 1, 3, 4, 5, 6, 7, 8]);
  });

  test('beyond 8 clusters a greedy by largest overlap gives a permutation keeping each largest block', () => {
    const k = 10;
    // Part p holds mostly cluster ((p + 3) mod k) + 1.
    const overlap = Array.from({ length: k }, (_, p) =>
      Array.from({ length: k }, (_, c) => (c === (p + 3) % k ? 50 + p : 1)),
    );
    const labels = labelParts(overlap);
    assert.deepEqual(
      labels,
      Array.from({ length: k }, (_, p) => ((p + 3) % k) + 1),
    );
    assert.equal(new Set(labels).size, k);
  });

  test('the overlap counts each vertex (a heavy one with all its accounts) under its part and cluster', () => {
    // Vertices: heavy c1 (2990 accounts), heavy c2 (2995), then two accounts of c1 and one of c2.
    const overlap = overlapOf([1, 0, 0, 1, 0], [1, 2, 1, 1, 2], [2990, 2995, 1, 1, 1], 2);
    assert.deepEqual(overlap, [
      [1, 2996],
      [2991, 0],
    ]);
    assert.deepEqual(labelParts(overlap), [2, 1]);
  });
});
