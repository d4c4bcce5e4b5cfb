import { encodedBytesMax } from '../core/encoded-size.js';
import { limits } from '../core/limits.js';
import { fittingCount } from '../core/pack.js';
import { lockedReason, wrongShardReason, type Operation, type Outcome, type Session } from '../protocol/commands.js';
import type { AccountId, ClusterId, Slot } from '../protocol/ids.js';
import type { OutboundMove } from '../protocol/moves.js';
import type { HolderOf } from '../twopc/locks.js';
import type { ShardMap } from './shard-map.js';

/**
 * The apply of resharding's commands, on every replica, when they are chosen in the shard's log
 * (docs/resharding.md). A move is decided by the source alone: its `move-out` takes the
 * accounts out of its state into a record of the move (the money in transit), which travels to
 * the destination; the destination's `move-in` cannot refuse (nobody else holds the accounts:
 * the map gives each account one owner at a time), and is applied at most once by its epoch.
 * Nothing here depends on timing, so every replica ends in the same state.
 */

type Op<K extends Operation['kind']> = Extract<Operation, { kind: K }>;

/** What the moves need of the ledger state (LedgerState implements it). */
export interface MoveBook {
  /** This shard's cluster (undefined in tests that run a lone state: moves are then refused). */
  readonly cluster: ClusterId | undefined;
  readonly map: ShardMap;
  readonly lockHolder: HolderOf;
  balanceOf(account: AccountId): number | undefined;
  removeAccount(account: AccountId): void;
  addAccount(account: AccountId, balance: number): void;
  /** The sessions whose last command touched one of `accounts`, most recent first. */
  sessionsTouching(accounts: ReadonlySet<AccountId>): Session[];
  /** Takes a session from a move, unless the one held is as recent (see LedgerState). */
  adoptSession(session: Session, slot: Slot): void;
  outbound(epoch: number): OutboundMove | undefined;
  setOutbound(epoch: number, move: OutboundMove | undefined): void;
}

/** Source: gives the accounts away, all or none. The answer is the driver's. */
export function applyMoveOut(book: MoveBook, op: Op<'move-out'>): Outcome {
  // A repeat (the driver retried after the move was chosen): the same answer.
  if (op.accounts.every((a) => book.map.entryOf(a)?.cluster === op.to && book.map.epochOf(a) === op.epoch))
    return { status: 'committed' };
  if (book.cluster === undefined || op.to === book.cluster)
    return { status: 'rejected', reason: 'a move must go to another cluster' };
  if (new Set(op.accounts).size !== op.accounts.length)
    return { status: 'rejected', reason: 'an account is named twice' };
  // An epoch names one move of this source: a second move-out at an epoch it already knows (a
  // driver re-run while its last move-out was still on its way in) would replace that move's
  // record, and the money in it, or be closed by the other move's acknowledgement.
  if (op.epoch <= book.map.epoch)
    return { status: 'rejected', reason: `stale epoch ${op.epoch}: the map is at ${book.map.epoch}` };
  for (const a of op.accounts) {
    if (book.balanceOf(a) === undefined) return { status: 'rejected', reason: wrongShardReason(a) };
    if (book.map.epochOf(a) >= op.epoch)
      return { status: 'rejected', reason: `stale epoch ${op.epoch}: account ${a} is at ${book.map.epochOf(a)}` };
  }
  // A prepared cross-shard transfer holds an account: it finishes first (the driver retries).
  if (op.accounts.some((a) => book.lockHolder(a) !== undefined)) return { status: 'aborted', reason: lockedReason };
  const moved = new Set(op.accounts);
  const balances: Array<[AccountId, number]> = op.accounts.map((a) => [a, book.balanceOf(a) as number]);
  const touching = book.sessionsTouching(moved);
  const sessions = touching.slice(
    0,
    fittingCount(touching, 0, encodedBytesMax, limits.movedSessionsBytesMax, Infinity),
  );
  for (const a of op.accounts) {
    book.removeAccount(a);
    book.map.merge({ account: a, cluster: op.to, epoch: op.epoch });
  }
  book.setOutbound(op.epoch, { epoch: op.epoch, from: book.cluster, to: op.to, balances, sessions });
  return { status: 'committed' };
}

/** Destination: takes the accounts of a move, once (a repeat, or a move older than what the
 *  map holds for an account, changes nothing). Returns whether it took them. */
export function applyMoveIn(book: MoveBook, slot: Slot, op: Op<'move-in'>): boolean {
  const { move } = op;
  if (book.cluster === undefined || move.to !== book.cluster) return false;
  if (move.balances.some(([a]) => book.map.epochOf(a) >= move.epoch || book.balanceOf(a) !== undefined)) return false;
  for (const [a, balance] of move.balances) {
    book.addAccount(a, balance);
    book.map.merge({ account: a, cluster: book.cluster, epoch: move.epoch });
  }
  for (const s of move.sessions) book.adoptSession(s, slot);
  return true;
}

/** Source: the destination has the move; its record goes. */
export function applyMoveDone(book: MoveBook, op: Op<'move-done'>): void {
  if (book.outbound(op.epoch) !== undefined) book.setOutbound(op.epoch, undefined);
}

/** Any cluster: learns where accounts went. Its own accounts it knows better (a newer entry for
 *  an account it holds cannot exist: only its own move-out gives one). */
export function applyMapMerge(book: MoveBook, op: Op<'map-merge'>): Outcome {
  // Nor does hearsay give it an account: only its own move-in does (an entry naming it before
  // the move-in is applied would make the move-in look applied, and lose its money).
  for (const e of op.entries)
    if (book.balanceOf(e.account) === undefined && e.cluster !== book.cluster) book.map.merge(e);
  return { status: 'committed' };
}
