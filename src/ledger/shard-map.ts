import type { AccountId, ClusterId } from '../protocol/ids.js';
import type { MapEntry, ShardMapImage } from '../protocol/shard-map.js';
import { mix } from '../core/mix-hash.js';

/**
 * A copy of the shard map (src/protocol/shard-map.ts): the entries of the accounts that moved,
 * on top of an initial owner (the topology's ranges) that the holder supplies. Two copies merge
 * entry by entry, the higher epoch winning, so copies that learn the same moves in any order
 * end equal. Pure; the replicated copy lives in LedgerState, a client's in LedgerClient.
 */
export class ShardMap {
  private readonly entries = new Map<AccountId, MapEntry>();
  private epochMax = 0;
  /** Sum of the entries' hashes (part of the replicated state's hash). */
  private hashSum = 0;
  private readonly dirty = new Set<AccountId>();

  constructor(entries: Iterable<MapEntry> = []) {
    this.load(entries);
  }

  load(entries: Iterable<MapEntry>): void {
    this.entries.clear();
    this.dirty.clear();
    this.epochMax = 0;
    this.hashSum = 0;
    for (const e of entries) this.merge(e);
    this.dirty.clear();
  }

  /** The highest epoch of any entry (0: the initial map). */
  get epoch(): number {
    return this.epochMax;
  }

  get hash(): number {
    return this.hashSum;
  }

  get size(): number {
    return this.entries.size;
  }

  entryOf(account: AccountId): MapEntry | undefined {
    return this.entries.get(account);
  }

  /** The epoch of the account's last move (0: it never moved). */
  epochOf(account: AccountId): number {
    return this.entries.get(account)?.epoch ?? 0;
  }

  /** Where the account is: its entry's cluster, else the initial owner. */
  ownerOf(account: AccountId, initialOwner: (account: AccountId) => ClusterId | undefined): ClusterId | undefined {
    return this.entries.get(account)?.cluster ?? initialOwner(account);
  }

  /** Takes the entry if it is newer than the one held; true when it changed the map. */
  merge(entry: MapEntry): boolean {
    const held = this.entries.get(entry.account);
    if (held !== undefined && held.epoch >= entry.epoch) return false;
    if (held !== undefined) this.hashSum = (this.hashSum - entryHash(held)) | 0;
    const copy = { account: entry.account, cluster: entry.cluster, epoch: entry.epoch };
    this.entries.set(entry.account, copy);
    this.hashSum = (this.hashSum + entryHash(copy)) | 0;
    if (entry.epoch > this.epochMax) this.epochMax = entry.epoch;
    this.dirty.add(entry.account);
    return true;
  }

  image(): ShardMapImage {
    return { epoch: this.epochMax, entries: [...this.entries.values()].sort((a, b) => a.account - b.account) };
  }

  /** Entries changed since the last takeDirty (for the store). */
  pendingEntries(): MapEntry[] {
    return [...this.dirty].map((a) => this.entries.get(a) as MapEntry);
  }

  clearDirty(): void {
    this.dirty.clear();
  }
}

function entryHash(e: MapEntry): number {
  return mix(mix(e.account ^ 0x2545f491) ^ mix(e.cluster) ^ mix(e.epoch ^ 0x68e31da4));
}
