import { assert } from '../core/assert.js';
import { encodedBytesMax } from '../core/encoded-size.js';
import { limits } from '../core/limits.js';
import { fittingCount } from '../core/pack.js';
import { lockedReason, type Command } from '../protocol/commands.js';
import { LockTable } from '../twopc/lock-table.js';
import { accountsOf, admit, type HolderOf } from '../twopc/locks.js';
import { commandKey } from './commands.js';

/** What admission needs to know at the moment it looks at the queue. */
export interface AdmissionContext {
  /** The current tick. */
  now: number;
  /** New cross-shard transfers wait (an audit is counting: see ShardServer.holdCrossShard). */
  holdCrossShard: boolean;
  /** The replicated locks of prepared transactions (TwoPcState.lockHolder). */
  prepared: HolderOf;
  /** How long a write waits for its locks before it is refused with `locked`. */
  lockWaitTicks: number;
  /** A step went into the batch (2PC marks it for failpoints and logs). */
  onAdmitted(command: Command): void;
  /** A read waited too long for its account: its clients are told to retry. */
  onReadGaveUp(key: string): void;
}

/** The command marked as refused: applying it records the refusal and changes nothing else. */
function refused(command: Command, reason: string): Command {
  const { op } = command;
  assert(op.kind === 'transfer' || op.kind === 'x-prepare-coordinator' || op.kind === 'x-prepare-participant', `only lock-taking commands wait for locks, not ${op.kind}`);
  return { ...command, op: { ...op, abort: reason } };
}

/**
 * Request admission at the leader: commands wait in a FIFO queue until the lock rule
 * (twopc/locks.ts) lets them take their accounts, then in the batch until the proposer has room
 * in the pipeline. The leader's in-flight locks are held from admission until the command is
 * applied (release). Volatile: a leader that loses its leadership clears it all.
 */
export class Admission {
  /** Commands waiting for locks (FIFO), with the tick they arrived. */
  private queue: Array<{ command: Command; sinceTick: number }> = [];
  /** Commands holding their locks, waiting for room in the pipeline. */
  private batch: Command[] = [];
  private readonly locks = new LockTable();

  /** Commands waiting at this leader (queued for locks or for the pipeline). */
  get pending(): number {
    return this.queue.length + this.batch.length;
  }

  get batched(): number {
    return this.batch.length;
  }

  enqueue(command: Command, now: number): void {
    this.queue.push({ command, sinceTick: now });
  }

  /** Moves queued commands whose accounts are free (or whose lock wait ran out) to the batch. */
  admitWaiting(ctx: AdmissionContext): void {
    if (this.queue.length === 0) return;
    const still: typeof this.queue = [];
    for (const item of this.queue) {
      const { command } = item;
      if (command.op.kind === 'x-prepare-coordinator' && ctx.holdCrossShard) {
        still.push({ command, sinceTick: ctx.now });
        continue;
      }
      const key = commandKey(command.clientId, command.seq);
      // The lock rule: the accounts are free of prepared transactions and of other commands in
      // flight; a write takes the in-flight locks as it is admitted.
      const admitted = admit(key, command.op, ctx.prepared, this.locks);
      if (command.op.kind === 'balance') {
        // A read waits while its account is held, but not forever: its client retries.
        if (admitted) this.batch.push(command);
        else if (ctx.now - item.sinceTick > 4 * ctx.lockWaitTicks) ctx.onReadGaveUp(key);
        else still.push(item);
        continue;
      }
      if (admitted) {
        this.batch.push(command);
        ctx.onAdmitted(command);
      } else if (ctx.now - item.sinceTick >= ctx.lockWaitTicks) {
        // Waited long enough: choose the refusal, so a retry gets the same answer.
        this.batch.push(refused(command, lockedReason));
      } else {
        still.push(item);
      }
    }
    this.queue = still;
  }

  /** The commands of the next slot, taken from the batch: a slot is bounded in commands and in
   *  bytes, so that the messages carrying slots (accepts, catch-up replies, promises) can be
   *  packed under max_payload. */
  takeSlot(slotBytesMax: number): Command[] {
    return this.batch.splice(0, fittingCount(this.batch, 0, encodedBytesMax, slotBytesMax, limits.commandsPerSlotMax));
  }

  /** A command was applied: its in-flight locks go (a prepared transaction is now held by the
   *  replicated lock instead). */
  release(command: Command): void {
    this.locks.releaseAll(commandKey(command.clientId, command.seq), accountsOf(command.op));
  }

  /** The leadership is lost: nothing waits here any more. */
  clear(): void {
    this.queue = [];
    this.batch = [];
    this.locks.clear();
  }
}
