import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ReshardPlan } from '../../src/reshard/plan.js';
import { formatMove, planJson, renderPlan } from '../../src/reshard/render.js';

const peerPlan: ReshardPlan = {
  seed: 1,
  balanceTolerance: 0.05,
  historyTransfers: 10,
  moves: [{ account: 4001, from: 2, to: 1 }],
  crossShareBefore: 0.4,
  crossShareAfter: 0,
  accountsPerClusterBefore: [3000, 3000, 3000],
  accountsPerClusterAfter: [3001, 2999, 3000],
  withinTolerance: true,
};

describe('reshard render: PrintReshard triplets, text and --json', () => {
  test("a move is PrintReshard's triplet", () => {
    assert.equal(formatMove({ account: 4001, from: 2, to: 1 }), '(4001, c2, c1)');
    assert.equal(formatMove({ account: 2007, from: 1, to: 2 }), '(2007, c1, c2)');
  });

  test('the text: triplets one per line, then the cross-shard share before → after, then accounts per cluster', () => {
    assert.deepEqual(renderPlan(peerPlan), [
      '(4001, c2, c1)',
      'cross-shard share of 10 transfers: 40.0 % → 0.0 %',
      'accounts per cluster after: c1 3001, c2 2999, c3 3000 (within ±5.0 %)',
    ]);
  });

  test('a plan without moves says so, and a balance off the tolerance is spelled out', () => {
    const lines = renderPlan({ ...peerPlan, moves: [], crossShareAfter: 0.4, withinTolerance: false });
    assert.equal(lines[0], 'no account moves');
    assert.match(lines[2]!, /NOT within ±5\.0 %/);
  });

  test('--json: clusters by number, counts before and after per cluster', () => {
    assert.deepEqual(planJson(peerPlan), {
      seed: 1,
      balanceTolerance: 0.05,
      historyTransfers: 10,
      moves: [{ account: 4001, from: 2, to: 1 }],
      crossShareBefore: 0.4,
      crossShareAfter: 0,
      clusters: [
        { cluster: 1, accountsBefore: 3000, accountsAfter: 3001 },
        { cluster: 2, accountsBefore: 3000, accountsAfter: 2999 },
        { cluster: 3, accountsBefore: 3000, accountsAfter: 3000 },
      ],
      withinTolerance: true,
    });
  });
});
