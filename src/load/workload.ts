import { badInput } from '../core/errors.js';
import { SeededRandom } from '../core/random.js';
import { accountRange, type Topology } from '../ledger/topology.js';
import { ZipfSampler, zipfExponentOfSkew } from './zipf.js';

/** The three kinds of transaction the benchmark reports on separately. */
export type TxType = 'read' | 'intra' | 'cross';
export const txTypes: readonly TxType[] = ['read', 'intra', 'cross'];

export type BenchRequest =
  { type: 'read'; account: number } | { type: 'intra' | 'cross'; from: number; to: number; amount: number };

/** What a request sequence is made of; `ledger bench`'s parameters carry these four. */
export interface WorkloadShape {
  /** Share of requests that are read-only balance queries, 0..1. */
  readRatio: number;
  /** Share of transfers whose receiver is in another shard, 0..1. */
  crossShardRatio: number;
  /** 0 uniform .. 1 highly skewed (the Zipf exponent, see zipf.ts). */
  skew: number;
  /** Units each transfer moves. */
  amount: number;
}

/**
 * The request sequence of a run: a pure function of (topology, shape, seed), whatever the
 * timing, so two runs with one seed send the same requests in the same order.
 *
 * Which accounts are hot: a seeded permutation gives every account a popularity rank, so the
 * hot accounts are spread over the shards instead of all sitting in cluster 1. A sender (and a
 * read's account) is drawn by rank from Zipf over all accounts; the receiver is drawn the same
 * way among the accounts of its shard (the sender's, or another shard picked uniformly for a
 * cross-shard transfer), so hot accounts are hot on both sides of a transfer.
 */
export class WorkloadGenerator {
  private readonly random: SeededRandom;
  private readonly byRank: Int32Array;
  /** Per cluster (index c-1): its accounts, most popular first. */
  private readonly shardByRank: Int32Array[];
  private readonly global: ZipfSampler;
  private readonly perShard: ZipfSampler[];
  private readonly clusterOf: Uint16Array;

  constructor(
    private readonly topology: Topology,
    private readonly shape: WorkloadShape,
    seed: number,
  ) {
    checkShape(topology, shape);
    this.random = new SeededRandom(seed);
    // A separate stream for the permutation, so the request stream does not depend on the
    // number of accounts shuffled.
    const shuffle = new SeededRandom((seed ^ 0x5bd1e995) >>> 0);
    this.byRank = new Int32Array(topology.accounts);
    for (let i = 0; i < topology.accounts; i++) this.byRank[i] = i + 1;
    for (let i = topology.accounts - 1; i > 0; i--) {
      const j = shuffle.int(0, i);
      const t = this.byRank[i] as number;
      this.byRank[i] = this.byRank[j] as number;
      this.byRank[j] = t;
    }
    this.clusterOf = new Uint16Array(topology.accounts + 1);
    const exponent = zipfExponentOfSkew(shape.skew);
    const samplers = new Map<number, ZipfSampler>();
    const shardLists: number[][] = [];
    for (let c = 1; c <= topology.clusters; c++) {
      const { first, last } = accountRange(topology, c);
      for (let a = first; a <= last; a++) this.clusterOf[a] = c;
      shardLists.push([]);
    }
    for (const account of this.byRank) shardLists[(this.clusterOf[account] as number) - 1]?.push(account);
    this.shardByRank = shardLists.map((list) => Int32Array.from(list));
    this.perShard = this.shardByRank.map((list) => {
      // Shards of equal size share one table.
      let s = samplers.get(list.length);
      if (s === undefined) samplers.set(list.length, (s = new ZipfSampler(list.length, exponent)));
      return s;
    });
    this.global = new ZipfSampler(topology.accounts, exponent);
  }

  next(): BenchRequest {
    const r = this.random;
    if (r.chance(this.shape.readRatio)) return { type: 'read', account: this.hot() };
    const from = this.hot();
    const home = this.clusterOf[from] as number;
    if (r.chance(this.shape.crossShardRatio)) {
      // Another cluster, uniformly: 1..clusters without `home`.
      const offset = r.int(1, this.topology.clusters - 1);
      const other = ((home - 1 + offset) % this.topology.clusters) + 1;
      return { type: 'cross', from, to: this.inShard(other), amount: this.shape.amount };
    }
    let to = this.inShard(home);
    // Terminates quickly: a shard has 2 or more accounts (checked in checkShape), so with an
    // exponent of at most 1 each draw misses `from` with probability at least 1/3.
    while (to === from) to = this.inShard(home);
    return { type: 'intra', from, to, amount: this.shape.amount };
  }

  /** The account with popularity rank k (1-based), for tests. */
  accountOfRank(k: number): number {
    return this.byRank[k - 1] as number;
  }

  private hot(): number {
    return this.byRank[this.global.sample(this.random) - 1] as number;
  }

  private inShard(cluster: number): number {
    const list = this.shardByRank[cluster - 1] as Int32Array;
    return list[(this.perShard[cluster - 1] as ZipfSampler).sample(this.random) - 1] as number;
  }
}

function checkShape(topology: Topology, shape: WorkloadShape): void {
  const transfers = shape.readRatio < 1;
  if (transfers && shape.crossShardRatio > 0 && topology.clusters < 2) {
    throw badInput(
      `--cross-shard ${shape.crossShardRatio} needs at least 2 clusters; this cluster has ${topology.clusters}`,
      'use --cross-shard 0',
    );
  }
  if (transfers && shape.crossShardRatio < 1) {
    for (let c = 1; c <= topology.clusters; c++) {
      const { first, last } = accountRange(topology, c);
      if (last - first < 1)
        throw badInput(
          `cluster ${c} holds a single account, so no intra-shard transfer is possible there`,
          'use --cross-shard 1, or more accounts',
        );
    }
  }
}
