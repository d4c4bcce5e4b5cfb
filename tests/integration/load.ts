import { performance } from 'node:perf_hooks';
import { LedgerClient, type TransferResult } from '../../src/client/ledger-client.js';
import { defaultTopology } from '../../src/ledger/topology.js';
import { connectNats, type NatsLogin } from '../../src/transport/nats.js';
import type { Transport } from '../../src/transport/transport.js';

export interface Attempt {
  from: number;
  to: number;
  result: TransferResult;
  /** performance.now() when the answer came. */
  answeredAtMs: number;
}

/** Pairs read back at once by verify. */
const verifyReadsInFlight = 16;

/**
 * Continuous load for fault tests: every transfer moves 1 unit between two accounts that no
 * other transfer touches, so afterwards each one can be checked on its own: an acknowledged
 * transfer must show (9, 11); an `unknown` one (9, 11) or (10, 10); nothing else is allowed.
 */
export class Load {
  readonly attempts: Attempt[] = [];
  private running = true;
  private workers: Promise<void>[] = [];
  private nextPair: number;

  private constructor(
    readonly client: LedgerClient,
    private readonly transport: Transport,
    private readonly pairs: Array<[number, number]>,
  ) {
    this.nextPair = 0;
  }

  /** A client that rides out broker restarts (reconnects forever), like a node does. Pairs
   *  are (first, first+1), (first+2, first+3), … within the range. */
  static async connect(nats: NatsLogin, accounts: { first: number; last: number }): Promise<Load> {
    const pairs: Array<[number, number]> = [];
    for (let a = accounts.first; a + 1 <= accounts.last; a += 2) pairs.push([a, a + 1]);
    return Load.withPairs(nats, pairs);
  }

  /** Load over the given (from, to) pairs, say across two shards. */
  static async withPairs(nats: NatsLogin, pairs: Array<[number, number]>): Promise<Load> {
    const transport = await connectNats({ ...nats, name: 'it-load', longRunning: true });
    const client = new LedgerClient(transport, defaultTopology, 'ledger', {
      attemptTimeoutMs: 500,
      deadlineMs: 15_000,
    });
    return new Load(client, transport, pairs);
  }

  /** `pauseMs` between a worker's transfers keeps the pairs from running out during a test. */
  start(concurrency: number, pauseMs = 25): void {
    this.running = true;
    this.workers = Array.from({ length: concurrency }, () => this.worker(pauseMs));
  }

  private async worker(pauseMs: number): Promise<void> {
    while (this.running && this.nextPair < this.pairs.length) {
      await new Promise((resolve) => setTimeout(resolve, pauseMs));
      // Checked again after the pause: another worker may have taken the last pair meanwhile.
      const pair = this.pairs[this.nextPair++];
      if (pair === undefined || !this.running) break;
      const [from, to] = pair;
      const result = await this.client.transfer(from, to, 1);
      this.attempts.push({ from, to, result, answeredAtMs: performance.now() });
    }
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.workers);
  }

  committedSince(atMs: number): Attempt[] {
    return this.attempts.filter((a) => a.answeredAtMs >= atMs && a.result.status === 'committed');
  }

  async close(): Promise<void> {
    await this.stop();
    await this.transport.close();
  }

  /** Reads every touched pair back (linearizable reads) and lists whatever breaks the rules. */
  async verify(): Promise<{ acknowledged: number; unknown: number; violations: string[] }> {
    const violations: string[] = [];
    let acknowledged = 0;
    let unknown = 0;
    // A few pairs at a time: thousands of attempts read one by one took tens of seconds.
    const reads = new Map<Attempt, string>();
    for (let i = 0; i < this.attempts.length; i += verifyReadsInFlight) {
      await Promise.all(
        this.attempts.slice(i, i + verifyReadsInFlight).map(async (a) => {
          const [from, to] = await Promise.all([this.client.balance(a.from), this.client.balance(a.to)]);
          reads.set(a, `${from.balance}/${to.balance}`);
        }),
      );
    }
    for (const a of this.attempts) {
      const pair = reads.get(a);
      if (a.result.status === 'committed') {
        acknowledged++;
        if (pair !== '9/11') violations.push(`acknowledged ${a.from} -> ${a.to} reads ${pair}`);
      } else if (a.result.status === 'unknown') {
        unknown++;
        if (pair !== '9/11' && pair !== '10/10') violations.push(`unknown ${a.from} -> ${a.to} reads ${pair}`);
      } else {
        violations.push(`${a.from} -> ${a.to} answered ${a.result.status} (${a.result.reason ?? ''})`);
      }
    }
    return { acknowledged, unknown, violations };
  }
}
