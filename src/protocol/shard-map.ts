import type { AccountId, ClusterId } from './ids.js';

/**
 * The shard map: which cluster holds each account. At epoch 0 it is the topology's ranges
 * (src/ledger/topology.ts); every committed move of accounts gives them a new owner at a higher
 * epoch. A map is therefore the ranges plus one entry per account that ever moved, and two
 * copies merge entry by entry, the higher epoch winning (src/ledger/shard-map.ts). Every cluster
 * replicates its copy in its log; clients keep one and correct it from the nodes' answers.
 */
export interface MapEntry {
  account: AccountId;
  cluster: ClusterId;
  /** The epoch of the move that put the account there (at least 1). */
  epoch: number;
}

/** A whole map as it travels (admin `shard-map`, snapshots): its epoch and its entries. */
export interface ShardMapImage {
  /** The highest epoch of any entry (0: the initial map). */
  epoch: number;
  entries: MapEntry[];
}
