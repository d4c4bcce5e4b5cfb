import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { buildAccountGraph } from '../../src/reshard/graph.js';
import { balanceBounds, keepMovesThatHelp } from '../../src/reshard/trim.js';

/** Three clusters of ten accounts: c1 = 1..10, c2 = 11..20, c3 = 21..30. */
const small = { ownerOf: (a: number) => Math.ceil(a / 10), clusters: 3, accounts: 30 };
const loose = { lower: 0, upper: 30 };

/** A placement (per vertex: the heavy vertices, then the history accounts) from account → cluster. */
function place(graph: ReturnType<typeof buildAccountGraph>, moves: Record<number, number>): number[] {
  return graph.owners.map((c, v) =>
    v < graph.clusters ? c : (moves[graph.historyAccounts[v - graph.clusters]!] ?? c),
  );
}

describe('reshard trim: only the moves that help', () => {
  test('a move that lowers the cut is kept', () => {
    const graph = buildAccountGraph({
      ...small,
      history: [
        [11, 1],
        [11, 2],
      ],
    });
    const kept = keepMovesThatHelp(graph, place(graph, { 11: 1 }), loose);
    assert.deepEqual(kept, place(graph, { 11: 1 }));
  });

  test('an account with equal pull stays home', () => {
    // 11 transacts once with 1 (c1) and once with 12 (its own c2): moving it to c1 saves nothing.
    const graph = buildAccountGraph({
      ...small,
      history: [
        [11, 1],
        [11, 12],
      ],
    });
    assert.deepEqual(keepMovesThatHelp(graph, place(graph, { 11: 1 }), loose), graph.owners);
  });

  test('an account pulled only towards a third cluster does not move to another', () => {
    const graph = buildAccountGraph({
      ...small,
      history: [
        [11, 21],
        [11, 22],
      ],
    });
    assert.deepEqual(keepMovesThatHelp(graph, place(graph, { 11: 1 }), loose), graph.owners);
  });

  test("dropping one move can make its neighbour's useless: both go", () => {
    // 11 and 12 (c2) proposed for c1. With both there, 11 gains 1 (to 1) + 2 (to 12) - 1 (to 13)
    // = 2, but 12 gains 2 (to 11) - 2 (to 13) = 0, so 12 stays; then 11 gains 1 - 2 - 1 < 0.
    const graph = buildAccountGraph({
      ...small,
      history: [
        [11, 1],
        [11, 12],
        [11, 12],
        [12, 13],
        [12, 13],
        [11, 13],
      ],
    });
    assert.deepEqual(keepMovesThatHelp(graph, place(graph, { 11: 1, 12: 1 }), loose), graph.owners);
  });

  test('moves into an over-full cluster are undone, the least useful first, until the balance holds', () => {
    // Five accounts of c2 each pulled to c1 by one transfer, 11 by three: moving all five puts 15
    // in c1 and 5 in c2; with ±20 % (8..12) three moves must go back: 15, 14, 13 (least gain,
    // then the highest account), never 11.
    const history: Array<[number, number]> = [
      [11, 1],
      [11, 2],
      [11, 3],
      [12, 1],
      [13, 1],
      [14, 1],
      [15, 1],
    ];
    const graph = buildAccountGraph({ ...small, history });
    const bounds = balanceBounds(30, 3, 0.2);
    assert.deepEqual(bounds, { lower: 8, upper: 12 });
    const all = { 11: 1, 12: 1, 13: 1, 14: 1, 15: 1 };
    assert.deepEqual(keepMovesThatHelp(graph, place(graph, all), bounds), place(graph, { 11: 1, 12: 1 }));
  });

  test('balance bounds round inwards around accounts/clusters', () => {
    assert.deepEqual(balanceBounds(9000, 3, 0.05), { lower: 2850, upper: 3150 });
    assert.deepEqual(balanceBounds(10, 3, 0.1), { lower: 3, upper: 3 });
  });
});
