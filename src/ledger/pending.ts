import type { AccountId } from '../protocol/ids.js';
import type { LedgerState } from './state.js';

/**
 * A replica's own copy of a balance, with what undecided cross-shard transfers hold apart
 * (PrintBalance, PrintDB): `balance` is the balance without them (what a read returns),
 * `pending` what they would add (+, a credit into this shard) or take (-, a debit) if they
 * commit. Shown as `10 (+1 pending)`.
 */
export interface AccountBalance {
  account: AccountId;
  balance: number;
  pending: number;
}

export function accountBalance(state: LedgerState, account: AccountId): AccountBalance | undefined {
  const held = state.balanceOf(account);
  const balance = state.committedBalance(account);
  if (held === undefined || balance === undefined) return undefined;
  return { account, balance, pending: held - balance };
}

/** Accounts whose balance differs from `initial`, or that an undecided transfer holds. */
export function changedAccounts(state: LedgerState, initial: number): AccountBalance[] {
  const out: AccountBalance[] = [];
  for (const [account] of state.accounts()) {
    const a = accountBalance(state, account) as AccountBalance;
    if (a.balance !== initial || a.pending !== 0) out.push(a);
  }
  return out.sort((x, y) => x.account - y.account);
}

/** `10`, `10 (+1 pending)`, `10 (-3 pending)`. */
export function balanceText(balance: number, pending: number): string {
  return pending === 0 ? String(balance) : `${balance} (${pending > 0 ? '+' : ''}${pending} pending)`;
}
