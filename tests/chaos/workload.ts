import { SeededRandom } from '../../src/core/random.js';
import type { Topology } from '../../src/ledger/topology.js';
import type { HistoryOp, ReadConsistency } from './history.js';

/** The bank workload's shape (issue 12: 64 clients, 40 % cross-shard transfers). */
export interface WorkloadShape {
  clients: number;
  /** Clients per account group: they contend for the group's accounts. */
  clientsPerGroup: number;
  /** Share of transfers whose accounts are in two clusters. */
  crossShardShare: number;
  /** Share of operations that are single-account reads (the rest are transfers). */
  readShare: number;
  amountMax: number;
}

export const defaultShape: WorkloadShape = {
  clients: 64,
  clientsPerGroup: 2,
  crossShardShare: 0.4,
  readShare: 0.25,
  amountMax: 5,
};

const readLevels: readonly ReadConsistency[] = ['linearizable', 'linearizable', 'leader', 'any'];

/**
 * The account groups: four accounts each, two in one cluster and two in the next, so a group
 * has both intra-shard and cross-shard pairs. Transfers stay inside a group, which lets the
 * linearizability checker judge each group on its own (a bank model of four accounts).
 */
export function accountGroups(topology: Topology, groups: number): number[][] {
  const perCluster = Math.floor(topology.accounts / topology.clusters);
  const result: number[][] = [];
  for (let g = 0; g < groups; g++) {
    const a = g % topology.clusters;
    const b = (g + 1) % topology.clusters;
    // Each group takes its own slot of two accounts in each of its clusters.
    const slot = 2 * g;
    const first = (cluster: number) => cluster * perCluster + 1 + slot;
    result.push([first(a), first(a) + 1, first(b), first(b) + 1]);
  }
  return result;
}

/** One client's stream of operations over its group, from its own seed. */
export class OperationSource {
  private readonly random: SeededRandom;

  constructor(
    seed: number,
    private readonly group: readonly number[],
    private readonly shape: WorkloadShape,
  ) {
    this.random = new SeededRandom(seed);
  }

  next(): HistoryOp {
    const r = this.random;
    if (r.next() < this.shape.readShare)
      return { kind: 'read', account: r.pick(this.group), consistency: r.pick(readLevels) };
    // Accounts 0,1 of a group share a cluster, as do 2,3.
    const half = r.int(0, 1) * 2;
    let from: number;
    let to: number;
    if (r.next() < this.shape.crossShardShare) {
      from = this.group[half + r.int(0, 1)] as number;
      to = this.group[2 - half + r.int(0, 1)] as number;
    } else {
      const first = r.int(0, 1);
      from = this.group[half + first] as number;
      to = this.group[half + 1 - first] as number;
    }
    return { kind: 'transfer', from, to, amount: r.int(1, this.shape.amountMax) };
  }
}
