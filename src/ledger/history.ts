import { assert } from '../core/assert.js';
import { mix } from '../core/mix-hash.js';
import type { AccountId } from '../protocol/ids.js';

/**
 * A shard's transfer history: the last `capacity` committed transfers as account pairs, which
 * `ledger reshard` partitions (src/reshard). Replicated state like the balances: every replica
 * appends the same pairs in the same order (a transfer within the shard when applied, a
 * cross-shard one at its coordinator's commit), so it is rebuilt from the log after a restart,
 * carried by snapshots and cleared by a flush. Positions number the pairs from the first ever
 * appended; the store keeps the window (start, start + length).
 */
export class TransferHistory {
  private from: AccountId[] = [];
  private to: AccountId[] = [];
  /** Position of from[head]. */
  private start = 0;
  /** Index in the arrays of the oldest pair kept (the arrays are trimmed when it grows). */
  private head = 0;
  private hashSum = 0;
  /** Appended since the last pendingWrites was acknowledged. */
  private appended: Array<[number, AccountId, AccountId]> = [];

  constructor(
    readonly capacity: number,
    pairs: ReadonlyArray<readonly [AccountId, AccountId]> = [],
    start = 0,
  ) {
    assert(Number.isSafeInteger(capacity) && capacity >= 0, `history capacity ${capacity}`);
    this.load(pairs, start);
  }

  load(pairs: ReadonlyArray<readonly [AccountId, AccountId]>, start: number): void {
    this.from = [];
    this.to = [];
    this.head = 0;
    this.start = start;
    this.hashSum = 0;
    for (const [a, b] of pairs) this.append(a, b);
    this.appended = [];
  }

  get length(): number {
    return this.from.length - this.head;
  }

  /** Position of the oldest pair kept. */
  get first(): number {
    return this.start;
  }

  get hash(): number {
    return this.hashSum;
  }

  append(from: AccountId, to: AccountId): void {
    if (this.capacity === 0) return;
    const position = this.start + this.length;
    this.from.push(from);
    this.to.push(to);
    this.hashSum = (this.hashSum + pairHash(position, from, to)) | 0;
    this.appended.push([position, from, to]);
    // Between two checkpoints more may be appended than the history keeps: drop what it forgot.
    if (this.appended.length > 2 * this.capacity)
      this.appended = this.appended.filter(([p]) => p > position - this.capacity);
    if (this.length > this.capacity) {
      this.hashSum =
        (this.hashSum - pairHash(this.start, this.from[this.head] as number, this.to[this.head] as number)) | 0;
      this.head++;
      this.start++;
      // Trim now and then: amortised O(1) per append.
      if (this.head >= this.capacity) {
        this.from = this.from.slice(this.head);
        this.to = this.to.slice(this.head);
        this.head = 0;
      }
    }
  }

  pairs(): Array<[AccountId, AccountId]> {
    const out: Array<[AccountId, AccountId]> = [];
    for (let i = this.head; i < this.from.length; i++) out.push([this.from[i] as number, this.to[i] as number]);
    return out;
  }

  /** What the store must write: the pairs appended since (still kept), and the floor below
   *  which positions are forgotten. */
  pendingWrites(): { historyAppended: Array<[number, AccountId, AccountId]>; historyFloor: number } {
    return { historyAppended: this.appended.filter(([p]) => p >= this.start), historyFloor: this.start - 1 };
  }

  writesPersisted(): void {
    this.appended = [];
  }
}

function pairHash(position: number, from: AccountId, to: AccountId): number {
  return mix(mix(position ^ 0x3c6ef372) ^ mix(from) ^ mix(mix(to) ^ 0x1b873593));
}
