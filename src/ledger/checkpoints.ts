import { assert } from '../core/assert.js';
import type { Slot } from '../protocol/ids.js';

/** When to checkpoint and how much log to keep (docs/durability.md). */
export interface CheckpointSettings {
  /** Compact every this many applied slots. */
  intervalSlots: number;
  /** Keep this many applied slots below the checkpoint, so a follower that is only a little
   *  behind catches up from the log instead of needing a whole snapshot. */
  logTailSlots: number;
}

/**
 * Checkpoints: every `intervalSlots` applied slots, the state machine's state is written (the
 * next ready carries it) and the log below it dropped, keeping a tail. The log on disk stays
 * bounded under endless load, and a restart replays at most an interval and a tail of it.
 */
export class Checkpoints {
  private lastSlot: Slot;
  /** A checkpoint was taken and its state writes are not handed out yet. */
  private due = false;

  constructor(
    private readonly settings: CheckpointSettings,
    appliedIndex: Slot,
  ) {
    assert(settings.intervalSlots > 0 && settings.logTailSlots >= 0, 'checkpoint settings must be positive');
    this.lastSlot = appliedIndex;
  }

  /** After applying up to `applied`: the slot through which to compact the log, when a
   *  checkpoint is due and that moves the floor up (`logFloor`), else undefined. */
  afterApply(applied: Slot, logFloor: Slot): Slot | undefined {
    if (applied - this.lastSlot < this.settings.intervalSlots) return undefined;
    this.lastSlot = applied;
    this.due = true;
    const through = applied - this.settings.logTailSlots;
    return through > logFloor ? through : undefined;
  }

  /** Whether state writes are due; the caller hands them out and calls written(). */
  get writesDue(): boolean {
    return this.due;
  }

  written(): void {
    this.due = false;
  }

  /** A snapshot was installed at `slot`: the next interval counts from there. */
  restartAt(slot: Slot): void {
    this.lastSlot = slot;
  }
}
