import type { NodeId } from '../../src/protocol/ids.js';
import type { SeededRandom } from '../../src/core/random.js';

/**
 * Old copies of messages delivered again, long after: a copy held in a paused process's
 * buffers, or a resend from a leader that lost its leadership, arriving once the receiver has
 * moved on (for Two-Phase Commit: after it forgot the transaction, see the eviction bound in
 * LedgerState). The network's own late deliveries are too short and too rare for that; this
 * keeps a few delivered messages and sends one of them again now and then.
 */
export class StaleReplays<M> {
  private readonly kept: Array<{ from: NodeId; to: NodeId; message: M }> = [];

  constructor(
    private readonly random: SeededRandom,
    /** Chance per tick of a replay (0: none in this seed). */
    readonly ratePerTick: number,
    private readonly keptMax = 64,
  ) {}

  /** Remembers a delivered message (a random sample once full, so old ones stay too). */
  delivered(from: NodeId, to: NodeId, message: M): void {
    if (this.ratePerTick === 0) return;
    if (this.kept.length < this.keptMax) this.kept.push({ from, to, message });
    else if (this.random.chance(0.1)) this.kept[this.random.int(0, this.keptMax - 1)] = { from, to, message };
  }

  /** A message to deliver again this tick, if any. */
  take(): { from: NodeId; to: NodeId; message: M } | undefined {
    if (this.kept.length === 0 || !this.random.chance(this.ratePerTick)) return undefined;
    return this.random.pick(this.kept);
  }
}
