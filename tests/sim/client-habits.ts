import type { SeededRandom } from '../../src/core/random.js';
import type { Command } from '../../src/protocol/commands.js';

/**
 * How a simulated client behaves when answers are slow, drawn per client from the seed. A
 * careful client (LedgerClient) waits for a definite answer, retrying the same (client, seq);
 * an impatient or old one gives up after a deadline (the outcome is then unknown to it), goes
 * on with seq+1 on the same client id, and now and then sends an older command again (a retry
 * that a reconnect or a restart dug up). The ledger must stay exactly-once regardless.
 */
export interface ClientHabits {
  /** Ticks after which the client stops waiting for its request (Infinity: never). */
  giveUpTicks: number;
  /** Chance, at each new request, of also resending one of its earlier commands. */
  oldRetryRate: number;
}

export function drawHabits(r: SeededRandom): ClientHabits {
  if (r.chance(0.4)) return { giveUpTicks: Infinity, oldRetryRate: 0 };
  // Shorter than a cross-shard vote timeout (60 ticks) at times, so a decision can come late.
  return { giveUpTicks: r.pick([30, 50, 90, 160]), oldRetryRate: r.pick([0.1, 0.3]) };
}

/**
 * Commands a client sent, kept so it can send one again. Bounded in time: a retry comes
 * within `windowTicks` of the first send, as a real client's retries end at its deadline
 * (an unbounded one would outlive any bounded session table, see LedgerState).
 */
export class SentCommands<C> {
  private readonly sent: Array<{ command: Command; cluster: C; atTick: number }> = [];

  constructor(private readonly windowTicks: number) {}

  add(command: Command, cluster: C, atTick: number): void {
    this.sent.push({ command, cluster, atTick });
  }

  /** One command sent within the window, or undefined. */
  pickRecent(r: SeededRandom, nowTick: number): { command: Command; cluster: C } | undefined {
    while (this.sent.length > 0 && nowTick - (this.sent[0] as { atTick: number }).atTick > this.windowTicks)
      this.sent.shift();
    return this.sent.length === 0 ? undefined : r.pick(this.sent);
  }

  clear(): void {
    this.sent.length = 0;
  }
}
