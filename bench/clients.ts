import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { LedgerError } from '../src/core/errors.js';
import {
  IntervalMerger,
  mergeResults,
  type ClientInterval,
  type ClientResult,
  type RecordedRun,
} from '../src/load/merge.js';
import { buildReport, type BenchReport } from './report.js';
import type { BenchParams } from './params.js';
import type { RunHooks } from './run.js';
import type { Target } from './target.js';

/** `ledger bench --clients N`: the parent's side. The worker is bench/client-worker.ts. */

export interface WorkerSetup {
  index: number;
  clients: number;
  dataDir: string;
  params: BenchParams;
}

export type ParentMessage = { kind: 'setup'; setup: WorkerSetup } | { kind: 'start' } | { kind: 'stop' };

export type WorkerMessage =
  | { kind: 'ready'; warmupRequests: number }
  | { kind: 'interval'; part: ClientInterval }
  | { kind: 'done'; result: ClientResult; cpuSeconds: number; disconnects: number; disconnectedMs: number }
  | { kind: 'failed'; message: string };

const workerMain = fileURLToPath(new URL('./client-worker.js', import.meta.url));

/** The name of client process i (0-based) in reports and profile files. */
export function clientName(i: number): string {
  return `client${i + 1}`;
}

/** How long a client gets to connect and warm up before the run gives up on it. */
const readyTimeoutMsExtra = 30_000;
/** How long finished clients get to exit before they are killed. */
const exitGraceMs = 5_000;

export interface ClientsRun {
  report: BenchReport;
  recorder: RecordedRun;
  /** CPU seconds each client process spent in the measured phase, by name. */
  cpuSeconds: Map<string, number>;
}

/**
 * Forks `params.clients` client processes, waits until all are warmed up, starts them at once,
 * merges their seconds as they come (progress lines) and their results at the end. Every child
 * is ended by PID if it has not exited by itself.
 */
export async function runClients(
  target: Target,
  params: BenchParams,
  profileDir: string | undefined,
  hooks: RunHooks,
): Promise<ClientsRun> {
  const n = params.clients;
  const children: ChildProcess[] = [];
  const exited: Array<Promise<void>> = [];
  const merger = new IntervalMerger(n);
  const results: Array<Extract<WorkerMessage, { kind: 'done' }> | undefined> = new Array(n).fill(undefined);
  let failure: string | undefined;
  let readyCount = 0;
  let warmupRequests = 0;
  let wake: () => void = () => undefined;
  const changed = () => wake();
  const until = async (what: string, done: () => boolean, timeoutMs: number) => {
    const deadline = Date.now() + timeoutMs;
    while (!done()) {
      if (failure !== undefined) throw new LedgerError('unavailable', `a bench client failed: ${failure}`);
      if (Date.now() > deadline) throw new LedgerError('timeout', `bench clients: ${what} did not happen in time`);
      await new Promise<void>((resolve) => {
        wake = resolve;
        setTimeout(resolve, 100);
      });
    }
  };
  try {
    for (let i = 0; i < n; i++) {
      // Profiled as the nodes are: the profile is written when the client exits, then cut to
      // the measured phase (see profiling.ts).
      const execArgv =
        profileDir === undefined
          ? []
          : ['--cpu-prof', '--cpu-prof-dir', profileDir, '--cpu-prof-name', `${clientName(i)}.cpuprofile`];
      const child = fork(workerMain, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], execArgv });
      children.push(child);
      exited.push(new Promise((resolve) => child.once('exit', () => resolve())));
      child.on('message', (m: WorkerMessage) => {
        if (m.kind === 'ready') {
          readyCount++;
          warmupRequests += m.warmupRequests;
        } else if (m.kind === 'interval') {
          for (const interval of merger.add(i, m.part)) hooks.onInterval(interval, undefined);
        } else if (m.kind === 'done') {
          results[i] = m;
          for (const interval of merger.finished(i)) hooks.onInterval(interval, undefined);
        } else failure = `${clientName(i)}: ${m.message}`;
        changed();
      });
      child.once('exit', (code) => {
        if (results[i] === undefined && failure === undefined) failure = `${clientName(i)} exited (${code}) early`;
        changed();
      });
      const setup: WorkerSetup = { index: i, clients: n, dataDir: target.dataDir, params };
      child.send({ kind: 'setup', setup } satisfies ParentMessage);
    }
    if (params.warmupS > 0) hooks.say(`warming up ${n} client processes for ${params.warmupS} s (not measured)`);
    await until('every client ready', () => readyCount === n, params.warmupS * 1000 + readyTimeoutMsExtra);
    await hooks.measure?.begin();
    const startedAt = new Date();
    for (const child of children) child.send({ kind: 'start' } satisfies ParentMessage);
    let stopSent = false;
    await until(
      'every client done',
      () => {
        if (!stopSent && hooks.stopped()) {
          stopSent = true;
          for (const child of children) child.send({ kind: 'stop' } satisfies ParentMessage);
        }
        return results.every((r) => r !== undefined);
      },
      Infinity,
    );
    await hooks.measure?.end();
    const done = results as Array<Extract<WorkerMessage, { kind: 'done' }>>;
    const merged = mergeResults(
      done.map((d) => d.result),
      merger.intervals,
    );
    const report = buildReport(merged, {
      params,
      topology: target.topology,
      cluster: { dataDir: target.dataDir, startedByBench: target.startedByBench },
      startedAt,
      elapsedS: merged.elapsedMs / 1000,
      warmup: { requests: warmupRequests, seconds: params.warmupS },
      interrupted: hooks.stopped(),
      // Each client has its own connection: the worst of them.
      disconnects: Math.max(...done.map((d) => d.disconnects)),
      disconnectedS: Math.max(...done.map((d) => d.disconnectedMs)) / 1000,
    });
    return {
      report,
      recorder: merged,
      cpuSeconds: new Map(done.map((d, i) => [clientName(i), d.cpuSeconds])),
    };
  } finally {
    const grace = new Promise((resolve) => setTimeout(resolve, exitGraceMs).unref());
    await Promise.race([Promise.all(exited), grace]);
    for (const child of children)
      if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
        try {
          process.kill(child.pid, 'SIGKILL');
        } catch {
          // gone meanwhile
        }
      }
  }
}
