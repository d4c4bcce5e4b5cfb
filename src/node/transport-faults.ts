import { randomInt, type Random } from '../core/random.js';
import type { DisturbSettings, TransportFaultCounts } from '../protocol/admin.js';

/**
 * The transport failpoint of `ledger node disturb` (for testing): between the NATS subscription
 * and the node's handler, it duplicates, delays and so reorders what the node receives. Each
 * message is delivered a second time with probability duplicatePercent / 100 (the same bytes
 * and reply subject: a duplicated client request is the same (client id, seq) twice, answered
 * twice to one inbox), and each delivery, the duplicate included, waits its own random
 * 0..delayMsMax ms, so later messages overtake earlier ones. A delay of 0 delivers at once.
 *
 * Bounded: at most heldDeliveriesMax deliveries and heldBytesMax bytes wait at a time; beyond
 * that a delivery is made at once and counted (`overflowed`), so a flood under a disturbance
 * costs no memory. Disarmed, `deliver` is one branch. Disarming does not hurry what is held: it
 * arrives within its delay (at most disturbDelayMsMax); `stop` drops it (the node stops).
 *
 * The randomness and the timers come from outside, so a unit test replays it with a seed and a
 * virtual clock.
 */

/** The timers the failpoint uses: the real node's setTimeout, or a test's virtual clock. */
export interface FaultTimers {
  /** Runs `run` in `ms` milliseconds; the returned function cancels it. */
  after(ms: number, run: () => void): () => void;
}

/** Deliveries held at once: enough to reorder a busy node's traffic over two seconds... */
export const heldDeliveriesMax = 4_096;
/** ...and never more than this in bytes (messages are up to the broker's max_payload, 1 MiB). */
export const heldBytesMax = 16 * 1_048_576;

export class TransportFaults {
  private settings: DisturbSettings | null = null;
  private readonly held = new Map<number, { cancel: () => void; bytes: number }>();
  private nextHeld = 1;
  private heldBytes = 0;
  private delayedTotal = 0;
  private duplicatedTotal = 0;
  private overflowedTotal = 0;

  constructor(
    private readonly random: Random,
    private readonly timers: FaultTimers,
    /** Told of each effect as it happens (the node's metrics). */
    private readonly onEffect: (effect: 'delayed' | 'duplicated' | 'overflowed') => void = () => undefined,
  ) {}

  /** What it does now; null when calm. */
  get armed(): DisturbSettings | null {
    return this.settings;
  }

  get counts(): TransportFaultCounts {
    return {
      delayed: this.delayedTotal,
      duplicated: this.duplicatedTotal,
      overflowed: this.overflowedTotal,
      held: this.held.size,
    };
  }

  /** Arms it with `settings` (checked at decode: 0..100 and 0..disturbDelayMsMax); 0 and 0 disarm. */
  arm(settings: DisturbSettings): void {
    const calm = settings.duplicatePercent === 0 && settings.delayMsMax === 0;
    this.settings = calm ? null : { duplicatePercent: settings.duplicatePercent, delayMsMax: settings.delayMsMax };
  }

  /** Hands `message` (of `bytes` bytes) to `handle`: at once when calm, else as the settings say. */
  deliver<M>(message: M, bytes: number, handle: (message: M) => void): void {
    const settings = this.settings;
    if (settings === null) return handle(message);
    const twice = this.random.next() * 100 < settings.duplicatePercent;
    this.deliverOnce(settings, message, bytes, handle);
    if (!twice) return;
    this.duplicatedTotal++;
    this.onEffect('duplicated');
    this.deliverOnce(settings, message, bytes, handle);
  }

  /** Drops every held delivery and its timer: the node stops. */
  stop(): void {
    for (const { cancel } of this.held.values()) cancel();
    this.held.clear();
    this.heldBytes = 0;
  }

  private deliverOnce<M>(settings: DisturbSettings, message: M, bytes: number, handle: (message: M) => void): void {
    const delayMs = settings.delayMsMax === 0 ? 0 : randomInt(this.random, 0, settings.delayMsMax);
    if (delayMs === 0) return handle(message);
    if (this.held.size >= heldDeliveriesMax || this.heldBytes + bytes > heldBytesMax) {
      this.overflowedTotal++;
      this.onEffect('overflowed');
      return handle(message);
    }
    const id = this.nextHeld++;
    this.heldBytes += bytes;
    this.delayedTotal++;
    this.onEffect('delayed');
    const entry = { cancel: () => undefined as void, bytes };
    this.held.set(id, entry);
    entry.cancel = this.timers.after(delayMs, () => {
      if (!this.held.delete(id)) return;
      this.heldBytes -= bytes;
      handle(message);
    });
  }
}
