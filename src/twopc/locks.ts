import { assert } from '../core/assert.js';
import type { AccountId } from '../protocol/ids.js';
import { lockedReason, type Command, type Operation } from '../protocol/commands.js';

/**
 * The lock rule of the ledger, in one place: while a transfer is in flight, no other command
 * touches its accounts. Two kinds of holder enforce it:
 * - the replicated locks of prepared cross-shard transactions (TwoPcState.lockHolder), derived
 *   from the 2PC records, the same on every replica, held from PREPARE to decision;
 * - the leader's in-flight locks (LockTable), volatile, held from admission to apply, so no two
 *   commands in one pipeline touch one account.
 * The leader checks both at admission (admit); every replica checks the replicated ones again
 * when it applies (heldAtApply), because a new leader may admit a command before it has applied
 * a PREPARE chosen under its predecessor; and a leader read is served from the applied state
 * only when no prepared transaction holds its account (readServable). All three are heldByOther.
 */

/** Who holds an account (a transaction or command key), or undefined when it is free. */
export type HolderOf = (account: AccountId) => string | undefined;

/** The leader's in-flight locks as admission needs them (LockTable implements it). */
export interface InFlightLocks {
  readonly holderOf: HolderOf;
  /** Takes every lock of `accounts` for `owner`, or none of them. */
  tryAcquireAll(owner: string, accounts: readonly AccountId[]): boolean;
}

/** The rule: some account of `accounts` is held, by any of `holders`, for another key than
 *  `owner` (with no owner, any holder counts). */
export function heldByOther(
  accounts: readonly AccountId[],
  owner: string | undefined,
  holders: readonly HolderOf[],
): boolean {
  return accounts.some((a) =>
    holders.some((holderOf) => {
      const holder = holderOf(a);
      return holder !== undefined && holder !== owner;
    }),
  );
}

/** The accounts a command holds while it is in flight (and a prepared transaction after). */
export function accountsOf(op: Operation): AccountId[] {
  switch (op.kind) {
    case 'transfer':
      return [op.from, op.to];
    case 'balance':
      return [op.account];
    case 'x-prepare-coordinator':
      return [op.from];
    case 'x-prepare-participant':
      return [op.to];
    // A move takes its accounts like a write: what was admitted before it on them is applied
    // first, and what comes after waits, then finds them gone (a wrong shard).
    case 'move-out':
      return op.accounts;
    case 'x-decide':
    case 'x-end':
    case 'move-in':
    case 'move-done':
    case 'map-merge':
      return [];
  }
}

/**
 * Admission at the leader: whether the command keyed `key` may join the batch now. A write
 * takes the in-flight locks of its accounts (all or none); a read takes none, and waits while
 * anything holds its account, so it never sees a tentative value and is applied after what
 * precedes it.
 */
export function admit(key: string, op: Operation, prepared: HolderOf, inFlight: InFlightLocks): boolean {
  const accounts = accountsOf(op);
  if (heldByOther(accounts, key, [prepared])) return false;
  if (op.kind === 'balance') return !heldByOther(accounts, undefined, [inFlight.holderOf]);
  return inFlight.tryAcquireAll(key, accounts);
}

/**
 * A read waits for its account this many lock waits (`lockWaitTicks`) before its clients are
 * told to retry (busy). Longer than a write, because giving up costs a read more and waiting
 * costs others nothing: a read takes no lock, so it blocks no one while it waits, and it has no
 * refusal to choose in the log, so giving up sends its client into a retry that starts the
 * wait again. With the default settings (`defaultTwoPc`: 50 and 200 ticks) four lock waits are
 * the coordinator's vote timeout, so a read outlasts a cross-shard transaction on its account
 * whose participant never answers, which then ends in an abort by that timeout.
 */
export const readWaitLockWaits = 4;

/**
 * Whether a command that still cannot take its accounts (see admit) after `waitedTicks` in the
 * leader's queue stops waiting: a write after `lockWaitTicks` (it is then refused, see
 * lockWaitRefusal), a read after `readWaitLockWaits` of them (its clients are told busy).
 */
export function lockWaitOver(op: Operation, waitedTicks: number, lockWaitTicks: number): boolean {
  // A move that cannot take its accounts gives up like a write (its driver is told busy and
  // tries again: a move has no refusal to choose, nothing ran).
  return op.kind === 'balance' ? waitedTicks > readWaitLockWaits * lockWaitTicks : waitedTicks >= lockWaitTicks;
}

/**
 * A write whose lock wait is over, marked as refused with `locked`: the refusal is proposed and
 * chosen like any command, so applying it records the answer (a retry gets the same one) and
 * changes nothing else (a participant's PREPARE becomes a no vote).
 */
export function lockWaitRefusal(command: Command): Command {
  const { op } = command;
  assert(
    op.kind === 'transfer' || op.kind === 'x-prepare-coordinator' || op.kind === 'x-prepare-participant',
    `only lock-taking commands wait for locks, not ${op.kind}`,
  );
  return { ...command, op: { ...op, abort: lockedReason } };
}

/**
 * At apply, on every replica: whether a prepared transaction holds an account of `op`. No
 * owner: a command never legitimately finds its own transaction holding its account here (a
 * repeat of a prepared one is answered from its record before this check).
 */
export function heldAtApply(op: Operation, prepared: HolderOf): boolean {
  return heldByOther(accountsOf(op), undefined, [prepared]);
}

/**
 * A leader read served from the applied state, without a log round: only when no prepared
 * transaction holds the account. A held account's committed balance may miss a credit whose
 * commit the client was already told of, so such a read goes through the log and waits for the
 * decision instead. In-flight locks do not count: what holds them is not applied yet.
 */
export function readServable(account: AccountId, prepared: HolderOf): boolean {
  return !heldByOther([account], undefined, [prepared]);
}
