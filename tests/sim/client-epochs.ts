import { limits } from '../../src/core/limits.js';
import type { SeededRandom } from '../../src/core/random.js';

/**
 * How many client sessions (and decided participant records) each replica keeps: low in most
 * seeds, so that eviction happens. Never below the clients alive at once: a session is evicted
 * only after that many other clients recorded one since, so the live ones stay (the bound the
 * runtime relies on, with limits.clientSessionsMax clients; see LedgerState.recordSession).
 */
export function drawSessionsMax(r: SeededRandom, clients: number): number {
  return r.pick([limits.clientSessionsMax, clients, clients, clients + 1]);
}

/**
 * Client generations: when every client has finished its requests, and after a quiet spell
 * longer than any message delay and any retry window, every client takes a new id. The old
 * ids never send again, so evicting their sessions (which the new ids cause once there are
 * more ids than sessionsMax) is what the bound allows, and a double execution found after it
 * is a bug, not the bound.
 */
export class ClientEpochs {
  readonly count: number;
  private epoch = 0;
  private quietSinceTick: number | undefined;
  /** A client resends an old command at most this long after it first sent it. */
  readonly retryWindowTicks = 200;
  /** Longer than the network's late delivery (150 ticks) and a forward's extra hop. */
  private readonly quietTicks = 320;

  constructor(r: SeededRandom) {
    this.count = r.pick([1, 1, 2]);
  }

  get current(): number {
    return this.epoch;
  }

  get done(): boolean {
    return this.epoch === this.count - 1;
  }

  clientId(index: number): string {
    return this.epoch === 0 ? `c${index}` : `c${index}e${this.epoch}`;
  }

  /** A client's share of requests in one epoch. */
  budget(total: number): number {
    return Math.max(1, Math.ceil(total / this.count));
  }

  /** True once (and moves to the next epoch) when all clients are idle and quiet long enough. */
  mayStartNext(clients: ReadonlyArray<{ remaining: number; current: unknown }>, nowTick: number): boolean {
    if (this.done || clients.some((c) => c.remaining > 0 || c.current !== undefined)) {
      this.quietSinceTick = undefined;
      return false;
    }
    this.quietSinceTick ??= nowTick;
    if (nowTick - this.quietSinceTick < this.quietTicks) return false;
    this.epoch++;
    this.quietSinceTick = undefined;
    return true;
  }
}
