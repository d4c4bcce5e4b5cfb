import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { WorkloadGenerator, type BenchRequest, type WorkloadShape } from '../../src/load/workload.js';
import { LedgerError } from '../../src/core/errors.js';
import { clusterOfAccount, defaultTopology, type Topology } from '../../src/ledger/topology.js';

const shape: WorkloadShape = { readRatio: 0.2, crossShardRatio: 0.2, skew: 0, amount: 1 };
const take = (g: WorkloadGenerator, n: number): BenchRequest[] => Array.from({ length: n }, () => g.next());

describe('workload generator', () => {
  test('the same seed gives the same request sequence; another seed another one', () => {
    const a = take(new WorkloadGenerator(defaultTopology, { ...shape, skew: 1 }, 42), 2000);
    const b = take(new WorkloadGenerator(defaultTopology, { ...shape, skew: 1 }, 42), 2000);
    const c = take(new WorkloadGenerator(defaultTopology, { ...shape, skew: 1 }, 43), 2000);
    assert.deepEqual(a, b);
    assert.notDeepEqual(a, c);
  });

  test('shares of reads and of cross-shard transfers match the parameters', () => {
    const requests = take(
      new WorkloadGenerator(defaultTopology, { readRatio: 0.3, crossShardRatio: 0.25, skew: 0.5, amount: 2 }, 7),
      40_000,
    );
    const reads = requests.filter((r) => r.type === 'read').length;
    const transfers = requests.length - reads;
    const cross = requests.filter((r) => r.type === 'cross').length;
    assert.ok(Math.abs(reads / requests.length - 0.3) < 0.01, `reads ${reads}`);
    assert.ok(Math.abs(cross / transfers - 0.25) < 0.01, `cross ${cross} of ${transfers}`);
  });

  test('intra-shard transfers stay in one shard, cross-shard ones span two, never to self', () => {
    const topology: Topology = { clusters: 5, nodesPerCluster: 5, accounts: 9000, initialBalance: 10 };
    for (const r of take(
      new WorkloadGenerator(topology, { readRatio: 0.1, crossShardRatio: 0.5, skew: 1, amount: 1 }, 9),
      20_000,
    )) {
      if (r.type === 'read') {
        assert.ok(r.account >= 1 && r.account <= topology.accounts);
        continue;
      }
      assert.notEqual(r.from, r.to);
      assert.equal(r.amount, 1);
      const same = clusterOfAccount(topology, r.from) === clusterOfAccount(topology, r.to);
      assert.equal(same, r.type === 'intra', JSON.stringify(r));
    }
  });

  test('skew 1 makes the top-ranked account hot; skew 0 spreads the load', () => {
    const hot = new WorkloadGenerator(defaultTopology, { readRatio: 1, crossShardRatio: 0, skew: 1, amount: 1 }, 5);
    const top = hot.accountOfRank(1);
    const hits = take(hot, 20_000).filter((r) => r.type === 'read' && r.account === top).length;
    assert.ok(hits > 1500 && hits < 2500, `top account drawn ${hits} times of 20000 (expected about 10 %)`);
    const flat = new WorkloadGenerator(defaultTopology, { readRatio: 1, crossShardRatio: 0, skew: 0, amount: 1 }, 5);
    const most = Math.max(
      ...[
        ...take(flat, 20_000)
          .reduce(
            (m, r) => (r.type === 'read' ? m.set(r.account, (m.get(r.account) ?? 0) + 1) : m),
            new Map<number, number>(),
          )
          .values(),
      ],
    );
    assert.ok(most < 20, `most drawn account under uniform: ${most}`);
  });

  test('the hot accounts are spread over the shards, not all in cluster 1', () => {
    const g = new WorkloadGenerator(defaultTopology, shape, 11);
    const clusters = new Set(
      Array.from({ length: 30 }, (_, i) => clusterOfAccount(defaultTopology, g.accountOfRank(i + 1))),
    );
    assert.equal(clusters.size, defaultTopology.clusters);
  });

  test('cross-shard transfers on a single cluster are bad input; reads only are fine', () => {
    const one: Topology = { clusters: 1, nodesPerCluster: 3, accounts: 100, initialBalance: 10 };
    assert.throws(
      () => new WorkloadGenerator(one, shape, 1),
      (e: unknown) => e instanceof LedgerError && e.code === 'bad-input' && /2 clusters/.test(e.message),
    );
    assert.doesNotThrow(() => take(new WorkloadGenerator(one, { ...shape, crossShardRatio: 0 }, 1), 100));
    assert.doesNotThrow(() => take(new WorkloadGenerator(one, { ...shape, readRatio: 1 }, 1), 100));
  });
});
