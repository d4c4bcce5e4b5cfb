import { assert } from '../core/assert.js';
import { mix, stringHash } from '../core/mix-hash.js';
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
 * leader's queue stops waiting: a write after `lockWaitTicks`, a read after `readWaitLockWaits`
 * of them. What it gets then is lockWaitEnd's.
 */
export function lockWaitOver(op: Operation, waitedTicks: number, lockWaitTicks: number): boolean {
  return op.kind === 'balance' ? waitedTicks > readWaitLockWaits * lockWaitTicks : waitedTicks >= lockWaitTicks;
}

/**
 * What a command whose lock wait is over (lockWaitOver) gets, the hot-account policy:
 * - `retry`: nothing of it is chosen; it leaves the queue and its clients are told busy, locked
 *   (not final), and send the same (client id, seq) again after a pause, until their own
 *   deadline. So for whatever a client sends: a transfer (intra-shard, or the coordinator's
 *   PREPARE it becomes), a read, a move. Waiting for them never deadlocks: they hold no lock
 *   while they wait (admit takes all or none), and every holder ends without them (a command in
 *   flight is applied, a prepared transaction is decided, at the latest by its coordinator's vote
 *   timeout). Giving up after a short wait, instead of waiting on, keeps the leader's queue
 *   bounded in time as well as in count; refusing instead (`locked`, as before) turned
 *   contention into definite aborts the client could not undo: its session held the refusal.
 * - `refuse`: its refusal (`locked`) is chosen (lockWaitRefusal). Only a participant's PREPARE:
 *   its coordinator holds the sender's lock while it waits, so two transactions that each
 *   prepared one side of the other's accounts would wait for each other for ever (a deadlock
 *   across clusters). The no vote after `lockWaitTicks` breaks every such cycle, and no client
 *   is there to retry it.
 */
export type LockWaitEnd = 'retry' | 'refuse';

export function lockWaitEnd(op: Operation): LockWaitEnd {
  return op.kind === 'x-prepare-participant' ? 'refuse' : 'retry';
}

/**
 * Wait-die between prepared transactions, so that a cycle of them (T1 prepared A and waits at
 * B's cluster; T2 prepared B and waits at A's) ends after a short wait with one victim instead
 * of two refusals at the end of a whole lock wait each. A participant's PREPARE is the only
 * command that waits while its transaction holds a lock (its coordinator's), and only a
 * transaction prepared by its coordinator waits on one (for its own participant's vote); a
 * participant-prepared one is decided without taking any lock, a command in flight is applied.
 * So every cycle runs through PREPAREs held by coordinator-prepared transactions, and there:
 * after `waitDieTicks` the PREPARE of a transaction that does not outrank the holder dies (its
 * refusal is chosen, lockWaitRefusal), one that outranks it waits on (to the end of its lock
 * wait, the safety net). In a cycle some holder outranks its waiter, so that waiter dies and
 * the cycle breaks. The rank is a hash of the transaction id, which every cluster computes
 * alike: there is no clock common to the clusters to tell age by, and a hash favours no client.
 * A transaction that dies is over (aborted: locked, chosen); its client's next one draws anew.
 */
export function waitDies(
  key: string,
  op: Operation,
  waitedTicks: number,
  lockWaitTicks: number,
  preparedCoordinator: HolderOf,
): boolean {
  if (op.kind !== 'x-prepare-participant' || waitedTicks < waitDieTicks(lockWaitTicks)) return false;
  const holder = preparedCoordinator(op.to);
  return holder !== undefined && holder !== key && outranks(holder, key);
}

/** How long a PREPARE waits before wait-die may end it: a fifth of the lock wait (100 ms at the
 *  defaults), well above the few ms in which a prepared transaction that waits on no cycle gets
 *  its vote and lets go. */
export function waitDieTicks(lockWaitTicks: number): number {
  return Math.max(1, Math.ceil(lockWaitTicks / 5));
}

/** Whether transaction `a` outranks `b` in wait-die (a total order on transaction ids). */
export function outranks(a: string, b: string): boolean {
  const ra = mix(stringHash(a)) >>> 0;
  const rb = mix(stringHash(b)) >>> 0;
  return ra !== rb ? ra < rb : a < b;
}

/**
 * A participant's PREPARE whose lock wait is over, marked as refused with `locked`: the refusal
 * is proposed and chosen like any command, so applying it records the answer (a repeat gets the
 * same vote) and changes nothing else (the PREPARE becomes a no vote).
 */
export function lockWaitRefusal(command: Command): Command {
  const { op } = command;
  assert(op.kind === 'x-prepare-participant', `only a participant's PREPARE is refused for its locks, not ${op.kind}`);
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
