import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { LedgerError } from '../../src/core/errors.js';
import { SeededRandom } from '../../src/core/random.js';
import { clusterOfAccount, type Topology } from '../../src/ledger/topology.js';
import { planReshard, reshardBalanceToleranceDefault, type ReshardPlan } from '../../src/reshard/plan.js';
import { peerSet9Transfers } from '../helpers/peer-files.js';

const topology: Topology = { clusters: 3, nodesPerCluster: 3, accounts: 9000, initialBalance: 10 };
const initialMap = (a: number) => clusterOfAccount(topology, a);

/** Set 9 of the peer test file: 1001..1005 (c1) and 4001 (c2), four of ten transfers cross. */
const peerHistory = peerSet9Transfers;

/**
 * A skewed workload of three communities, each split evenly over the three clusters: 60
 * accounts per community, 20 from each cluster, transacting only inside their community, the
 * lower accounts of a community (Zipf-like) far more often than the rest.
 */
function communities(seed: number, transfers: number): Array<[number, number]> {
  const members = [0, 1, 2].map((g) =>
    [0, 1, 2].flatMap((c) => Array.from({ length: 20 }, (_, i) => c * 3000 + g * 100 + i + 1)),
  );
  const random = new SeededRandom(seed);
  const pick = (group: number[]) => group[Math.floor(group.length * random.next() ** 2)]!;
  const history: Array<[number, number]> = [];
  while (history.length < transfers) {
    const group = members[Math.floor(random.next() * 3)]!;
    const [from, to] = [pick(group), pick(group)];
    if (from !== to) history.push([from, to]);
  }
  return history;
}

/** The share of transfers between clusters under a map, counted here, not by the planner. */
function crossShareUnder(history: ReadonlyArray<readonly [number, number]>, plan: ReshardPlan | undefined): number {
  const moved = new Map((plan?.moves ?? []).map((m) => [m.account, m.to]));
  const owner = (a: number) => moved.get(a) ?? initialMap(a);
  return history.filter(([a, b]) => owner(a) !== owner(b)).length / history.length;
}

const plan = (
  history: ReadonlyArray<readonly [number, number]>,
  seed = 1,
  balanceTolerance = reshardBalanceToleranceDefault,
) => planReshard({ topology, ownerOf: initialMap, history, seed, balanceTolerance });

describe('reshard plan: METIS over the history, the fewest useful moves', () => {
  test('the peer set: exactly one move, (4001, c2, c1), and no transfer crosses after', async () => {
    const result = await plan(peerHistory);
    assert.deepEqual(result.moves, [{ account: 4001, from: 2, to: 1 }]);
    assert.equal(result.crossShareBefore, 0.4);
    assert.equal(result.crossShareAfter, 0);
    assert.equal(result.historyTransfers, 10);
    assert.deepEqual(result.accountsPerClusterBefore, [3000, 3000, 3000]);
    assert.deepEqual(result.accountsPerClusterAfter, [3001, 2999, 3000]);
    assert.equal(result.withinTolerance, true);
  });

  test('a skewed workload of communities split over the clusters: the cross share falls by at least half', async () => {
    const history = communities(7, 3000);
    const result = await plan(history);
    const before = crossShareUnder(history, undefined);
    const after = crossShareUnder(history, result);
    assert.ok(before > 0.5, `before ${before}`);
    assert.equal(result.crossShareBefore, before);
    assert.equal(result.crossShareAfter, after);
    assert.ok(after <= before / 2, `after ${after}, before ${before}`);
    assert.equal(result.withinTolerance, true);
    for (const n of result.accountsPerClusterAfter)
      assert.ok(n >= 2850 && n <= 3150, `${result.accountsPerClusterAfter}`);
    assert.equal(
      result.accountsPerClusterAfter.reduce((s, n) => s + n, 0),
      9000,
    );
  });

  test('accounts outside the history never move; every move leaves its current cluster', async () => {
    const history = communities(11, 2000);
    const inHistory = new Set(history.flat());
    const result = await plan(history);
    assert.ok(result.moves.length > 0);
    for (const m of result.moves) {
      assert.ok(inHistory.has(m.account), `${m.account} moved without being in the history`);
      assert.equal(m.from, initialMap(m.account));
      assert.notEqual(m.to, m.from);
    }
    assert.deepEqual(
      result.moves.map((m) => m.account),
      [...result.moves.map((m) => m.account)].sort((x, y) => x - y),
      'sorted by account',
    );
  });

  test('the same input and seed give the same plan', async () => {
    const history = communities(3, 2000);
    assert.deepEqual(await plan(history, 42), await plan(history, 42));
    assert.deepEqual(await plan(peerHistory, 5), await plan(peerHistory, 5));
  });

  test('an empty history plans nothing; one cluster plans nothing (no METIS needed)', async () => {
    const empty = await plan([]);
    assert.deepEqual(empty.moves, []);
    assert.equal(empty.crossShareBefore, 0);
    assert.equal(empty.crossShareAfter, 0);
    assert.deepEqual(empty.accountsPerClusterAfter, [3000, 3000, 3000]);
    assert.equal(empty.withinTolerance, true);
    const one = { ...topology, clusters: 1 };
    const single = await planReshard({
      topology: one,
      ownerOf: () => 1,
      history: peerHistory,
      seed: 1,
      balanceTolerance: 0.05,
      gpmetis: '/nonexistent/gpmetis',
    });
    assert.deepEqual(single.moves, []);
    assert.equal(single.crossShareAfter, 0);
  });

  test('follows the current map, not the initial one', async () => {
    // After the peer reshard 4001 lives in c1: planning again moves nothing.
    const ownerOf = (a: number) => (a === 4001 ? 1 : initialMap(a));
    const again = await planReshard({ topology, ownerOf, history: peerHistory, seed: 1, balanceTolerance: 0.05 });
    assert.deepEqual(again.moves, []);
    assert.equal(again.crossShareBefore, 0);
    assert.deepEqual(again.accountsPerClusterBefore, [3001, 2999, 3000]);
  });

  test('refuses a bad seed, tolerance or topology', async () => {
    const badInput = (e: unknown) => e instanceof LedgerError && e.code === 'bad-input';
    await assert.rejects(plan(peerHistory, -1), badInput);
    await assert.rejects(plan(peerHistory, 1.5), badInput);
    await assert.rejects(plan(peerHistory, 1, 1), badInput);
    await assert.rejects(plan(peerHistory, 1, Number.NaN), badInput);
    const fractional = { ...topology, accounts: 9000.5 };
    await assert.rejects(
      planReshard({ topology: fractional, ownerOf: initialMap, history: [], seed: 1, balanceTolerance: 0.05 }),
      badInput,
    );
  });
});
