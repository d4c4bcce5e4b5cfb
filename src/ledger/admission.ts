import { assert } from '../core/assert.js';
import { encodedBytesMax } from '../core/encoded-size.js';
import { limits } from '../core/limits.js';
import { fittingCount } from '../core/pack.js';
import type { Command } from '../protocol/commands.js';
import { LockTable } from '../twopc/lock-table.js';
import {
  accountsOf,
  admit,
  lockWaitEnd,
  lockWaitOver,
  lockWaitRefusal,
  waitDies,
  type HolderOf,
} from '../twopc/locks.js';
import { startsTransaction } from '../twopc/steps.js';
import { commandKey } from './commands.js';
import { FairBatch } from './fair-batch.js';

/** How long a step that may wait for company (TwoPcDriver.propose) waits at most, in ticks: one
 *  to two ticks (10-20 ms at defaults), far below the 2PC resend interval (200 ms), so that
 *  nobody resends for it. */
export const companyWaitTicksMax = 2;

/** What admission needs to know at the moment it looks at the queue. */
export interface AdmissionContext {
  /** The current tick. */
  now: number;
  /** New cross-shard transfers wait (an audit is counting: see ShardServer.holdCrossShard). */
  holdCrossShard: boolean;
  /** The replicated locks of prepared transactions (TwoPcState.lockHolder). */
  prepared: HolderOf;
  /** The same, for transactions prepared here as coordinator only (for wait-die, see waitDies). */
  preparedCoordinator: HolderOf;
  /** How long a write waits for its locks before it gives up (see lockWaitOver, lockWaitEnd). */
  lockWaitTicks: number;
  /** Whether a client waits for the answer of `command` (a retry joined its transaction). */
  awaited(command: Command): boolean;
  /** A step went into the batch (2PC marks it for failpoints and logs). */
  onAdmitted(command: Command): void;
  /** A command waited too long for its accounts and nothing of it is chosen (lockWaitEnd:
   *  `retry`): its clients are told to retry (busy, locked). */
  onLockWaitGaveUp(key: string): void;
}

/**
 * Request admission at the leader: commands wait in a FIFO queue until the lock rule
 * (twopc/locks.ts) lets them take their accounts, then in the batch until the proposer has room
 * in the pipeline. The leader's in-flight locks are held from admission until the command is
 * applied (release). How long a command waits and what it gets when it stops waiting are lock
 * policy (lockWaitOver, lockWaitRefusal in twopc/locks.ts); what an audit's hold keeps waiting
 * is 2PC's (startsTransaction in twopc/steps.ts). Volatile: a leader that loses its leadership
 * clears it all.
 */
export class Admission {
  /** Commands waiting here per client origin (clientOrigin), so that one client cannot take
   *  the whole queue: it gets busy beyond limits.pendingCommandsPerOriginMax (fullFor). */
  private readonly byOrigin = new Map<string, number>();
  /** Commands waiting for locks (FIFO), with the tick they arrived. */
  private queue: Array<{ command: Command; sinceTick: number }> = [];
  /** 2PC steps that wait for company (TwoPcDriver.propose), with the tick they arrived: they take
   *  no lock, and join the batch with the next commands, as soon as anything is queued, or
   *  after companyWaitTicksMax (joinCompany). */
  private waitingForCompany: Array<{ command: Command; sinceTick: number }> = [];
  /** Commands holding their locks, waiting for room in the pipeline. */
  private readonly batch = new FairBatch();
  private readonly locks = new LockTable();
  /** What the last full look at the queue saw: while it holds (no lock released, same tick,
   *  same hold, same prepared-lock lookup), the commands it left waiting would be left waiting
   *  again, so admitWaiting looks only at those queued since (`unseenFrom` on). Skipping can only
   *  delay an admission, never make a wrong one: each command looked at is checked against the
   *  locks as they are. A prepared lock that goes without a release here (a snapshot installed)
   *  is noticed at the next tick. Without it every input rescanned the whole
   *  queue: a flood of contended commands cost the leader O(queue) per request (seconds of CPU
   *  for a few thousand, enough to lose its leadership). */
  private seen: { now: number; holdCrossShard: boolean; releases: number; prepared: HolderOf } | undefined;
  private unseenFrom = 0;
  /** Bumped whenever locks are released: a waiting command may then be admitted. */
  private releases = 0;
  /** Queue entries examined by admitWaiting since the start (tests check it stays linear). */
  examined = 0;

  /** Commands waiting at this leader (queued for locks or for the pipeline). */
  get pending(): number {
    return this.queue.length + this.waitingForCompany.length + this.batch.size;
  }

  /** 2PC steps waiting for company (joinCompany). */
  get waitingForCompanyCount(): number {
    return this.waitingForCompany.length;
  }

  get batched(): number {
    return this.batch.size;
  }

  /** The queues hold `limits.pendingCommandsMax` commands: a new client request is told busy,
   *  a 2PC step is not taken (the driver asks again later, see offer). */
  get full(): boolean {
    return this.pending >= limits.pendingCommandsMax;
  }

  /** Whether a new request of `clientId` is told busy: the queues are full, or its origin holds
   *  its share of them already. */
  fullFor(clientId: string): boolean {
    return this.full || (this.byOrigin.get(clientOrigin(clientId)) ?? 0) >= limits.pendingCommandsPerOriginMax;
  }

  /** Commands of `clientId`'s origin waiting here. */
  pendingOf(clientId: string): number {
    return this.byOrigin.get(clientOrigin(clientId)) ?? 0;
  }

  enqueue(command: Command, now: number): void {
    this.queue.push({ command, sinceTick: now });
    this.arrived(command);
  }

  /** A command joined the queues (counted against its origin's share until it leaves). */
  private arrived(command: Command): void {
    const origin = clientOrigin(command.clientId);
    this.byOrigin.set(origin, (this.byOrigin.get(origin) ?? 0) + 1);
  }

  /** A command left the queues (proposed, or its lock wait gave up). */
  private left(command: Command): void {
    const origin = clientOrigin(command.clientId);
    const n = (this.byOrigin.get(origin) ?? 0) - 1;
    if (n > 0) this.byOrigin.set(origin, n);
    else this.byOrigin.delete(origin);
  }

  /** Queues a command unless the queues are full (false): how the 2PC driver's steps join the
   *  clients' commands (DriverHost.propose). With `waitForCompany`, a step that takes no lock
   *  waits for other commands to share its slot (joinCompany). */
  offer(command: Command, now: number, waitForCompany = false): boolean {
    if (this.full) return false;
    if (waitForCompany) {
      assert(accountsOf(command.op).length === 0, 'a step that waits for company takes no lock');
      this.waitingForCompany.push({ command, sinceTick: now });
      this.arrived(command);
    } else this.enqueue(command, now);
    return true;
  }

  /** Moves queued commands whose accounts are free (or whose lock wait ran out) to the batch,
   *  then the steps waiting for company when they have it (joinCompany). */
  admitWaiting(ctx: AdmissionContext): void {
    this.admitQueued(ctx);
    this.joinCompany(ctx);
  }

  /**
   * The steps waiting for company join the batch when the slot they go in is proposed anyway
   * (the batch holds other commands), when anything waits in the queue (it may wait for an
   * account one of them releases), when a client waits for one of them (a retry joined its
   * transaction), or once the oldest has waited companyWaitTicksMax.
   */
  private joinCompany(ctx: AdmissionContext): void {
    const first = this.waitingForCompany[0];
    if (first === undefined) return;
    if (
      this.batch.size === 0 &&
      this.queue.length === 0 &&
      ctx.now - first.sinceTick < companyWaitTicksMax &&
      !this.waitingForCompany.some(({ command }) => ctx.awaited(command))
    )
      return;
    for (const { command } of this.waitingForCompany) {
      this.batch.push(clientOrigin(command.clientId), command);
      ctx.onAdmitted(command);
    }
    this.waitingForCompany = [];
  }

  private admitQueued(ctx: AdmissionContext): void {
    if (this.queue.length === 0) return;
    const unchanged =
      this.seen !== undefined &&
      this.seen.now === ctx.now &&
      this.seen.holdCrossShard === ctx.holdCrossShard &&
      this.seen.releases === this.releases &&
      this.seen.prepared === ctx.prepared;
    const from = unchanged ? this.unseenFrom : 0;
    if (from >= this.queue.length) return;
    // The commands to look at leave the queue (in order); those that still wait go back.
    const look = this.queue.splice(from);
    const still = this.queue;
    for (const item of look) {
      this.examined++;
      const { command } = item;
      if (ctx.holdCrossShard && startsTransaction(command.op)) {
        still.push({ command, sinceTick: ctx.now });
        continue;
      }
      const key = commandKey(command.clientId, command.seq);
      // The lock rule: the accounts are free of prepared transactions and of other commands in
      // flight; a write takes the in-flight locks as it is admitted.
      if (admit(key, command.op, ctx.prepared, this.locks)) {
        this.batch.push(clientOrigin(command.clientId), command);
        if (command.op.kind !== 'balance') ctx.onAdmitted(command);
      } else if (waitDies(key, command.op, ctx.now - item.sinceTick, ctx.lockWaitTicks, ctx.preparedCoordinator)) {
        // Wait-die: a transaction that outranks it holds the account; it may be waiting for us.
        this.batch.push(clientOrigin(command.clientId), lockWaitRefusal(command));
      } else if (!lockWaitOver(command.op, ctx.now - item.sinceTick, ctx.lockWaitTicks)) {
        still.push(item);
      } else if (lockWaitEnd(command.op) === 'retry') {
        // Nothing is chosen: its clients are told busy and ask again, the same (client, seq).
        this.left(command);
        ctx.onLockWaitGaveUp(key);
      } else {
        // Waited long enough: choose the refusal, so a retry gets the same answer.
        this.batch.push(clientOrigin(command.clientId), lockWaitRefusal(command));
      }
    }
    this.seen = { now: ctx.now, holdCrossShard: ctx.holdCrossShard, releases: this.releases, prepared: ctx.prepared };
    this.unseenFrom = still.length;
  }

  /** The commands of the next slot, taken from the batch in turns by origin (FairBatch): a slot
   *  is bounded in commands and in bytes, so that the messages carrying slots (accepts, catch-up
   *  replies, promises) can be packed under max_payload. */
  takeSlot(slotBytesMax: number): Command[] {
    const candidates = this.batch.peek(limits.commandsPerSlotMax);
    const slot = this.batch.take(fittingCount(candidates, 0, encodedBytesMax, slotBytesMax, limits.commandsPerSlotMax));
    for (const command of slot) this.left(command);
    return slot;
  }

  /** A command was applied: its in-flight locks go (a prepared transaction is now held by the
   *  replicated lock instead). */
  release(command: Command): void {
    this.locks.releaseAll(commandKey(command.clientId, command.seq), accountsOf(command.op));
    this.releases++;
  }

  /** The leadership is lost: nothing waits here any more. */
  clear(): void {
    this.queue = [];
    this.waitingForCompany = [];
    this.batch.clear();
    this.byOrigin.clear();
    this.locks.clear();
    this.seen = undefined;
    this.unseenFrom = 0;
  }
}

/**
 * The client a command comes from, as admission counts it: its client id up to the last '-'
 * (the whole id when it has none). A LedgerClient names its sessions `${prefix}-${n}` with one
 * random prefix per client process (src/client/ledger-client.ts), so all the sessions of one
 * process share an origin. Only a bound on fairness: a client that picks other ids gets other
 * shares, and an origin is never trusted for anything else.
 */
export function clientOrigin(clientId: string): string {
  const dash = clientId.lastIndexOf('-');
  return dash < 0 ? clientId : clientId.slice(0, dash);
}
