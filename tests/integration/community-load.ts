import { performance } from 'node:perf_hooks';
import { LedgerClient, type TransferStatus } from '../../src/client/ledger-client.js';
import { SeededRandom } from '../../src/core/random.js';
import { accountRange, defaultTopology, type Topology } from '../../src/ledger/topology.js';
import { connectNats, type NatsLogin } from '../../src/transport/nats.js';
import type { Transport } from '../../src/transport/transport.js';

/**
 * A workload with community structure, the kind METIS can improve: groups of accounts that
 * transact only within their group, each group's accounts spread evenly over the clusters (so
 * most of its transfers cross shards), and a zipf-like skew over the groups (group g is picked
 * with weight 1/(g+1)^skew; 0 is uniform). Gathering a group in one cluster makes its transfers local.
 */
export class Communities {
  readonly groups: number[][];
  private readonly cumulative: number[];

  /** `count` groups of `perCluster` accounts in each cluster, from account `offset` of each
   *  cluster's range (disjoint from the accounts other tests of a file use). */
  constructor(count: number, perCluster: number, offset: number, skew = 1, topology: Topology = defaultTopology) {
    this.groups = Array.from({ length: count }, (_, g) => {
      const group: number[] = [];
      for (let c = 1; c <= topology.clusters; c++)
        for (let k = 0; k < perCluster; k++) group.push(accountRange(topology, c).first + offset + g * perCluster + k);
      return group;
    });
    let total = 0;
    this.cumulative = this.groups.map((_, g) => (total += 1 / (g + 1) ** skew));
  }

  get accounts(): number[] {
    return this.groups.flat();
  }

  /** A (from, to) pair inside one group, the group drawn by its weight. */
  pick(random: SeededRandom): [number, number] {
    const total = this.cumulative[this.cumulative.length - 1] as number;
    const x = random.next() * total;
    const group = this.groups[this.cumulative.findIndex((c) => x < c)] ?? (this.groups[0] as number[]);
    const from = random.pick(group);
    let to = random.pick(group);
    if (to === from) to = group[(group.indexOf(from) + 1) % group.length] as number;
    return [from, to];
  }
}

/** One transfer of 1 unit and what the client was told. */
export interface Tracked {
  from: number;
  to: number;
  status: TransferStatus;
  reason?: string;
  /** performance.now() when the answer came. */
  answeredAtMs: number;
}

/**
 * One load client (its own connection and LedgerClient) sending the communities' transfers of 1
 * unit, and keeping every result, so that afterwards the balances can be replayed from them.
 */
export class CommunityLoad {
  readonly transfers: Tracked[] = [];
  private running = false;
  private workers: Promise<void>[] = [];

  private constructor(
    readonly client: LedgerClient,
    private readonly transport: Transport,
    private readonly communities: Communities,
    private readonly seed: number,
  ) {}

  static async connect(nats: NatsLogin, communities: Communities, seed: number): Promise<CommunityLoad> {
    const transport = await connectNats({ ...nats, name: `it-community-${seed}`, longRunning: true });
    const client = new LedgerClient(transport, defaultTopology, 'ledger', {
      attemptTimeoutMs: 500,
      deadlineMs: 15_000,
    });
    return new CommunityLoad(client, transport, communities, seed);
  }

  /** `count` transfers over `concurrency` workers; resolves when all are answered. */
  async run(count: number, concurrency: number): Promise<void> {
    let left = count;
    await Promise.all(
      Array.from({ length: concurrency }, async (_, w) => {
        const random = new SeededRandom(this.seed * 1_000 + w);
        while (left > 0) {
          left--;
          await this.one(random);
        }
      }),
    );
  }

  /** Transfers without end (a short pause between a worker's transfers) until stop(). */
  start(concurrency: number, pauseMs = 10): void {
    this.running = true;
    this.workers = Array.from({ length: concurrency }, async (_, w) => {
      const random = new SeededRandom(this.seed * 1_000 + 500 + w);
      while (this.running) {
        await this.one(random);
        await new Promise((resolve) => setTimeout(resolve, pauseMs));
      }
    });
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.workers);
  }

  async close(): Promise<void> {
    await this.stop();
    await this.transport.close();
  }

  private async one(random: SeededRandom): Promise<void> {
    const [from, to] = this.communities.pick(random);
    const r = await this.client.transfer(from, to, 1);
    this.transfers.push({
      from,
      to,
      status: r.status,
      ...(r.reason === undefined ? {} : { reason: r.reason }),
      answeredAtMs: performance.now(),
    });
  }
}

/** The most unknown transfers in one group whose every subset the replay tries. */
const unknownsPerGroupMax = 16;

/**
 * No acknowledged transfer lost or doubled (the bank replay of the chaos suite, written again for
 * transfers of 1 that stay within groups): for each group, every account's final balance must be
 * its initial balance plus the committed credits minus the committed debits, plus the effect of
 * some subset of the group's `unknown` transfers (each may or may not have run). A definite
 * failure (insufficient funds, aborted, unavailable) must have no effect. Lists what breaks it.
 */
export function replayViolations(
  groups: readonly number[][],
  transfers: readonly Tracked[],
  finalBalance: ReadonlyMap<number, number>,
  initialBalance: number,
): string[] {
  const violations: string[] = [];
  const groupOf = new Map<number, number>();
  groups.forEach((group, g) => group.forEach((a) => groupOf.set(a, g)));
  groups.forEach((group, g) => {
    const index = new Map(group.map((a, i) => [a, i]));
    const diff = group.map((a) => (finalBalance.get(a) ?? NaN) - initialBalance);
    const unknown: Array<[number, number]> = [];
    for (const t of transfers) {
      if (groupOf.get(t.from) !== g) continue;
      if (groupOf.get(t.to) !== g) violations.push(`transfer ${t.from} -> ${t.to} leaves its group`);
      const [i, j] = [index.get(t.from) as number, index.get(t.to) as number];
      if (t.status === 'committed') {
        diff[i]! += 1;
        diff[j]! -= 1;
      } else if (t.status === 'unknown') unknown.push([i, j]);
    }
    // diff is now what the unknown transfers that ran must explain: final - (initial + committed).
    if (unknown.length > unknownsPerGroupMax) {
      violations.push(`group ${g}: ${unknown.length} unknown transfers, too many to decide`);
      return;
    }
    for (let subset = 0; subset < 2 ** unknown.length; subset++) {
      const left = [...diff];
      unknown.forEach(([i, j], k) => {
        if (subset & (1 << k)) {
          left[i]! += 1;
          left[j]! -= 1;
        }
      });
      if (left.every((x) => x === 0)) return;
    }
    violations.push(
      `group ${g} (${group.join(' ')}): final - (initial + committed) is ${diff.join(' ')}, ` +
        `which no subset of its ${unknown.length} unknown transfers explains`,
    );
  });
  return violations;
}

/** The longest time without a commit in [fromMs, toMs], counted from the last commit before it
 *  to the first one after it. */
export function longestCommitGapMs(transfers: readonly Tracked[], fromMs: number, toMs: number): number {
  const times = transfers
    .filter((t) => t.status === 'committed')
    .map((t) => t.answeredAtMs)
    .sort((a, b) => a - b);
  const start = times.filter((t) => t <= fromMs).pop() ?? fromMs;
  const end = times.find((t) => t >= toMs) ?? toMs;
  const inside = [start, ...times.filter((t) => t > start && t < end), end];
  let gap = 0;
  for (let i = 1; i < inside.length; i++) gap = Math.max(gap, (inside[i] as number) - (inside[i - 1] as number));
  return Math.round(gap);
}
