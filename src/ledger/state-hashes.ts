import type { Slot } from '../protocol/ids.js';

/** State hashes remembered, one per applied slot: enough for a consistency check to find a
 *  slot that every replica of a busy cluster has applied. */
const stateHashHistoryMax = 4_096;

/** The state hash after each recently applied slot, oldest first (consistency checks compare
 *  replicas at a slot they all applied). */
export class StateHashHistory {
  private readonly hashes: Array<[Slot, number]> = [];

  record(slot: Slot, hash: number): void {
    this.hashes.push([slot, hash]);
    if (this.hashes.length > stateHashHistoryMax) this.hashes.shift();
  }

  /** A snapshot replaced the state: the hashes before it no longer describe a slot we applied. */
  clear(): void {
    this.hashes.length = 0;
  }

  list(): Array<[Slot, number]> {
    return [...this.hashes];
  }
}
