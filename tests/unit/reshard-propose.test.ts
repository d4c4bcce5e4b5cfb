import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { buildAccountGraph } from '../../src/reshard/graph.js';
import { proposePlacement } from '../../src/reshard/propose.js';
import { peerSet9Transfers } from '../helpers/peer-files.js';

/** Three clusters of 3000 accounts, as in the default topology. */
const map = { ownerOf: (a: number) => Math.ceil(a / 3000), clusters: 3, accounts: 9000 };

/** The accounts METIS's proposal (before any trim) would move. */
async function proposedMoves(history: ReadonlyArray<readonly [number, number]>, seed: number): Promise<number[]> {
  const graph = buildAccountGraph({ ...map, history });
  const placement = await proposePlacement(graph, { seed, balanceTolerance: 0.05, accounts: 9000 });
  return graph.historyAccounts.filter((_, i) => placement[graph.clusters + i] !== graph.owners[graph.clusters + i]);
}

describe("reshard propose: METIS's own proposal, labelled", () => {
  test('pairs that transact inside their cluster stay home (the inertia edges hold them)', async () => {
    // 100 pairs per cluster, none across: nothing pulls any account away. Without the inertia
    // edges these pairs are components of their own that METIS spreads for balance (418 moves).
    const history: Array<[number, number]> = [];
    for (const c of [0, 1, 2]) for (let i = 0; i < 100; i++) history.push([c * 3000 + 2 * i + 1, c * 3000 + 2 * i + 2]);
    for (const seed of [1, 2, 3]) assert.deepEqual(await proposedMoves(history, seed), [], `seed ${seed}`);
  });

  test('the peer set: METIS alone already proposes only 4001', async () => {
    const history = peerSet9Transfers;
    for (const seed of [1, 2, 3]) assert.deepEqual(await proposedMoves(history, seed), [4001], `seed ${seed}`);
  });
});
