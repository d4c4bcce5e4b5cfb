import { setTimeout as pause } from 'node:timers/promises';
import { performance } from 'node:perf_hooks';
import { spawn } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { LedgerClient, type TransferStatus } from '../../src/client/ledger-client.js';
import { decodeEnvelope, encodeEnvelope } from '../../src/codec/envelope.js';
import { SeededRandom } from '../../src/core/random.js';
import { accountRange, defaultTopology, nodesOfCluster, type Topology } from '../../src/ledger/topology.js';
import { newHistogram, percentilesMs, recordUs } from '../../src/load/histograms.js';
import type { ClusterId, NodeId } from '../../src/protocol/ids.js';
import { connectNats, type NatsLogin } from '../../src/transport/nats.js';
import { subjects } from '../../src/transport/subjects.js';
import type { Transport } from '../../src/transport/transport.js';

/**
 * A single-client flood against a running cluster (issue 12, item 6): `normalClients` closed-loop
 * LedgerClients doing intra-shard transfers in one cluster for `seconds`, first alone, then while
 * one client (one origin: all its client ids share a prefix) publishes requests to the same
 * cluster's leader without waiting for their answers, keeping `floodInFlight` unanswered. The
 * leader's per-origin bound (limits.pendingCommandsPerOriginMax) tells the flood `busy` beyond
 * its share, so the normal clients keep committing; the figures say at what latency.
 */
export interface FloodOptions {
  /** The broker and a client's login (natsConnectionOf). */
  nats: NatsLogin;
  prefix?: string;
  topology?: Topology;
  /** The cluster both the normal clients and the flood use. */
  cluster?: ClusterId;
  normalClients?: number;
  seconds?: number;
  /** Flood requests awaiting their answer at any time. */
  floodInFlight?: number;
  /** `raw` (default): requests published without waiting, refilled as answers come, busy or
   *  not (an abusive client). `client`: one LedgerClient with `floodInFlight` transfers in
   *  flight, which backs off on busy as every LedgerClient does. */
  floodMode?: 'raw' | 'client';
  /** Raw mode: stop after this many requests (default: flood until the phase ends). */
  floodTotal?: number;
  /** Run the flood in its own process, as a real flooding client would be, so that it does not
   *  share an event loop (and its delays) with the normal clients being measured. */
  floodInChild?: boolean;
  seed?: number;
}

export interface NormalFigures {
  /** Transfers answered, by status. */
  outcomes: Partial<Record<TransferStatus, number>>;
  throughputPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

export interface FloodFigures {
  sent: number;
  /** Answers by kind (`busy`, `outcome:committed`, `redirect`, ...). */
  answers: Record<string, number>;
  /** Sent, and no answer by the end of the phase (plus a short grace). */
  unanswered: number;
}

export interface FloodResult {
  options: Required<Omit<FloodOptions, 'topology'>>;
  /** The normal clients alone. */
  without: NormalFigures;
  /** The normal clients during the flood, and what the flood got. */
  with: NormalFigures & { flood: FloodFigures };
}

export async function measureFlood(options: FloodOptions): Promise<FloodResult> {
  const o = {
    prefix: 'ledger',
    cluster: 1,
    normalClients: 8,
    seconds: 10,
    floodInFlight: 20_000,
    floodMode: 'raw' as 'raw' | 'client',
    floodTotal: Number.POSITIVE_INFINITY,
    floodInChild: false,
    seed: 1,
    ...options,
  };
  const topology = options.topology ?? defaultTopology;
  const transport = await connectNats({ ...o.nats, name: 'flood-normal', longRunning: true });
  const floodTransport = await connectNats({ ...o.nats, name: 'flood', longRunning: true });
  try {
    const range = accountRange(topology, o.cluster);
    // The normal clients use the first third of the cluster's accounts, the flood the last:
    // what is measured is the queue, not lock contention between them.
    const third = Math.floor((range.last - range.first + 1) / 3);
    const normalAccounts = { first: range.first, last: range.first + third - 1 };
    const floodAccounts = { first: range.last - third + 1, last: range.last };
    const without = await normalPhase(transport, topology, o, normalAccounts, o.seed);
    const leader = await leaderOf(transport, topology, o.prefix, o.cluster);
    const stop = { now: false };
    const child: ChildFlood = { ...o, topology, leader, accounts: floodAccounts };
    const flood = o.floodInChild
      ? await startChildFlood(child)
      : o.floodMode === 'raw'
        ? runFlood(floodTransport, o.prefix, leader, floodAccounts, o, stop)
        : runClientFlood(floodTransport, topology, o.prefix, floodAccounts, o.floodInFlight, o.seed, stop);
    const during = await normalPhase(transport, topology, o, normalAccounts, o.seed + 1);
    stop.now = true;
    return { options: o, without, with: { ...during, flood: await flood } };
  } finally {
    await floodTransport.close();
    await transport.close();
  }
}

async function normalPhase(
  transport: Transport,
  topology: Topology,
  o: { prefix: string; normalClients: number; seconds: number },
  accounts: { first: number; last: number },
  seed: number,
): Promise<NormalFigures> {
  const histogram = newHistogram();
  const outcomes: Partial<Record<TransferStatus, number>> = {};
  const rng = new SeededRandom(seed);
  const started = performance.now();
  const endAt = started + o.seconds * 1000;
  const workers = Array.from({ length: o.normalClients }, async () => {
    const client = new LedgerClient(transport, topology, o.prefix);
    while (performance.now() < endAt) {
      const from = rng.int(accounts.first, accounts.last);
      let to = rng.int(accounts.first, accounts.last);
      if (to === from) to = from === accounts.last ? accounts.first : from + 1;
      const t0 = performance.now();
      const r = await client.transfer(from, to, 1);
      recordUs(histogram, (performance.now() - t0) * 1000);
      outcomes[r.status] = (outcomes[r.status] ?? 0) + 1;
    }
  });
  await Promise.all(workers);
  const seconds = (performance.now() - started) / 1000;
  const p = percentilesMs(histogram);
  return { outcomes, throughputPerSecond: Math.round(p.count / seconds), p50Ms: p.p50, p99Ms: p.p99, maxMs: p.max };
}

async function leaderOf(transport: Transport, topology: Topology, prefix: string, cluster: ClusterId): Promise<NodeId> {
  const client = new LedgerClient(transport, topology, prefix);
  for (const node of nodesOfCluster(topology, cluster)) {
    const status = await client.nodeStatus(node).catch(() => undefined);
    if (status?.role === 'leader') return node;
  }
  return nodesOfCluster(topology, cluster)[0] as NodeId;
}

/** One origin's requests, published without waiting, `inFlight` unanswered at most. */
async function runFlood(
  transport: Transport,
  prefix: string,
  leader: NodeId,
  accounts: { first: number; last: number },
  o: { floodInFlight: number; floodTotal: number; seed: number },
  stop: { now: boolean },
): Promise<FloodFigures> {
  const { floodInFlight: inFlight, seed } = o;
  const rng = new SeededRandom(seed + 1000);
  const origin = `flood${seed}`;
  // Below the user's own inbox: the only subjects the broker lets a client read.
  const inbox = `${subjects(prefix).userInbox(transport.user ?? 'anonymous')}.flood-${seed}-${Date.now().toString(36)}`;
  const subject = subjects(prefix).nodeRequests(leader);
  const figures: FloodFigures = { sent: 0, answers: {}, unanswered: 0 };
  let answered = 0;
  transport.subscribe(`${inbox}.*`, (m) => {
    answered++;
    let kind: string;
    try {
      const e = decodeEnvelope(m.data);
      kind =
        e.kind !== 'response'
          ? e.kind
          : e.response.kind === 'outcome'
            ? `outcome:${e.response.outcome.status}`
            : e.response.kind;
    } catch {
      kind = 'undecodable';
    }
    figures.answers[kind] = (figures.answers[kind] ?? 0) + 1;
  });
  await transport.flush();
  while (!stop.now) {
    if (figures.sent - answered >= inFlight) {
      await pause(1);
      continue;
    }
    if (figures.sent >= o.floodTotal) break;
    const burst = Math.min(500, inFlight - (figures.sent - answered), o.floodTotal - figures.sent);
    for (let i = 0; i < burst; i++) {
      const n = figures.sent++;
      const from = rng.int(accounts.first, accounts.last);
      const to = from === accounts.last ? accounts.first : from + 1;
      // A new session per request: each is new work for the leader, never a retry.
      const data = encodeEnvelope({
        kind: 'request',
        command: { clientId: `${origin}-${n}`, seq: 1, op: { kind: 'transfer', from, to, amount: 1 } },
        hops: 0,
      });
      transport.publish(subject, data, `${inbox}.${n}`);
    }
    await transport.flush();
  }
  const grace = performance.now() + 3_000;
  while (answered < figures.sent && performance.now() < grace) await pause(10);
  figures.unanswered = figures.sent - answered;
  return figures;
}

/** One LedgerClient (one origin) with `inFlight` transfers in flight: it backs off on busy. */
async function runClientFlood(
  transport: Transport,
  topology: Topology,
  prefix: string,
  accounts: { first: number; last: number },
  inFlight: number,
  seed: number,
  stop: { now: boolean },
): Promise<FloodFigures> {
  const rng = new SeededRandom(seed + 2000);
  const client = new LedgerClient(transport, topology, prefix);
  const figures: FloodFigures = { sent: 0, answers: {}, unanswered: 0 };
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (!stop.now) {
        const from = rng.int(accounts.first, accounts.last);
        const to = from === accounts.last ? accounts.first : from + 1;
        figures.sent++;
        const r = await client.transfer(from, to, 1);
        const key = `transfer:${r.status}`;
        figures.answers[key] = (figures.answers[key] ?? 0) + 1;
      }
    }),
  );
  return figures;
}

/** What a flood in its own process needs to know (passed as JSON on its command line). */
interface ChildFlood {
  nats: NatsLogin;
  prefix: string;
  topology: Topology;
  leader: NodeId;
  accounts: { first: number; last: number };
  floodMode: 'raw' | 'client';
  floodInFlight: number;
  floodTotal: number;
  seconds: number;
  seed: number;
}

const childFlag = '--flood-child';
const childEnv = 'LEDGER_FLOOD_CHILD';

/** Starts the flood in a child process; resolves once it floods, with the promise of its
 *  figures (printed as JSON when its `seconds` are over). */
async function startChildFlood(options: ChildFlood): Promise<Promise<FloodFigures>> {
  // In the environment, not on the command line: the login holds a password.
  const child = spawn(process.execPath, [fileURLToPath(import.meta.url), childFlag], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, [childEnv]: JSON.stringify(options) },
  });
  let out = '';
  let flooding: () => void = () => undefined;
  const started = new Promise<void>((resolve) => (flooding = resolve));
  child.stdout.on('data', (chunk: Buffer) => {
    out += chunk.toString('utf8');
    if (out.includes('flooding\n')) flooding();
  });
  const figures = new Promise<FloodFigures>((resolve, reject) =>
    child.on('exit', (code) => {
      flooding();
      const last = out.trim().split('\n').at(-1) ?? '';
      if (code === 0) resolve(JSON.parse(last) as FloodFigures);
      else reject(new Error(`the flood process exited with ${code}: ${out}`));
    }),
  );
  await started;
  return figures;
}

/** The child's side: floods for `seconds` (plus one, so it outlasts the measured phase). */
async function childFlood(options: ChildFlood): Promise<void> {
  const transport = await connectNats({ ...options.nats, name: 'flood-child', longRunning: true });
  const stop = { now: false };
  const flood =
    options.floodMode === 'raw'
      ? runFlood(transport, options.prefix, options.leader, options.accounts, options, stop)
      : runClientFlood(
          transport,
          options.topology,
          options.prefix,
          options.accounts,
          options.floodInFlight,
          options.seed,
          stop,
        );
  process.stdout.write('flooding\n');
  await pause((options.seconds + 1) * 1000);
  stop.now = true;
  const figures = await flood;
  await transport.close();
  process.stdout.write(`${JSON.stringify(figures)}\n`);
}

// `node dist/tests/chaos/flood.js NATS_URL [SECONDS] [FLOOD_IN_FLIGHT] [raw|client]`: prints the figures.
if (
  process.argv[2] === childFlag &&
  process.argv[1] !== undefined &&
  import.meta.url === pathToFileURL(process.argv[1]).href
) {
  await childFlood(JSON.parse(process.env[childEnv] as string) as ChildFlood);
} else if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const [natsUrl, seconds, floodInFlight, mode] = process.argv.slice(2);
  if (natsUrl === undefined || (mode !== undefined && mode !== 'raw' && mode !== 'client')) {
    process.stderr.write('usage: node dist/tests/chaos/flood.js NATS_URL [SECONDS] [FLOOD_IN_FLIGHT] [raw|client]\n');
    process.exit(2);
  }
  // A cluster started with --no-auth, or LEDGER_NATS_USER and LEDGER_NATS_PASSWORD of its client.
  const env = process.env;
  const result = await measureFlood({
    nats: {
      url: natsUrl,
      ...(env.LEDGER_NATS_USER === undefined ? {} : { user: env.LEDGER_NATS_USER, password: env.LEDGER_NATS_PASSWORD }),
    },
    ...(seconds === undefined ? {} : { seconds: Number(seconds) }),
    ...(floodInFlight === undefined ? {} : { floodInFlight: Number(floodInFlight) }),
    ...(mode === undefined ? {} : { floodMode: mode }),
  });
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
}
