import type { AccountId } from '../protocol/ids.js';
import { heldByOther, type InFlightLocks } from './locks.js';

/**
 * The leader's account locks: a command holds the locks of every account it touches from the
 * moment it is proposed until it is applied, so no two in-flight commands touch one account.
 * No-wait: a command that cannot take all its locks takes none and waits in the leader's queue,
 * so there is no hold-and-wait and hence no deadlock.
 */
export class LockTable implements InFlightLocks {
  private readonly holders = new Map<AccountId, string>();

  /** Takes every lock for `owner`, or none of them. */
  tryAcquireAll(owner: string, accounts: readonly AccountId[]): boolean {
    if (heldByOther(accounts, owner, [this.holderOf])) return false;
    for (const a of accounts) this.holders.set(a, owner);
    return true;
  }

  /** Releases the locks that `owner` holds among `accounts` (others' locks stay). */
  releaseAll(owner: string, accounts: readonly AccountId[]): void {
    for (const a of accounts) if (this.holders.get(a) === owner) this.holders.delete(a);
  }

  /** An arrow, so it can be passed as a holder to the lock rule (see locks.ts). */
  readonly holderOf = (account: AccountId): string | undefined => this.holders.get(account);

  get size(): number {
    return this.holders.size;
  }

  clear(): void {
    this.holders.clear();
  }
}
