import type { AccountId } from '../protocol/ids.js';

/**
 * What Two-Phase Commit needs from the shard's balances, and nothing more: a prepare debits
 * (coordinator) or credits (participant) tentatively, a decision keeps or undoes that. The
 * ledger state implements it, so every balance change still goes through one place (its hash
 * and its dirty set for the next checkpoint).
 */
export interface AccountBook {
  /** The balance as applied (tentative effects included), or undefined: not in this shard. */
  balanceOf(account: AccountId): number | undefined;
  /** Adds `amount` to an account of this shard. */
  credit(account: AccountId, amount: number): void;
  /** Takes `amount` from an account of this shard (the caller checked the funds). */
  debit(account: AccountId, amount: number): void;
  /** The map epoch of the account's last move (0: it never moved). */
  epochOf(account: AccountId): number;
}
