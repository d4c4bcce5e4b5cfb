import { performance } from 'node:perf_hooks';
import { executor } from '../src/load/execute.js';
import type { BenchParams } from './params.js';
import { Recorder, type Interval } from '../src/load/recorder.js';
import { buildReport, type BenchReport } from './report.js';
import { disconnectedText } from '../src/transport/transport.js';
import { runPhase } from '../src/load/scheduler.js';
import type { Target } from './target.js';
import { WorkloadGenerator } from '../src/load/workload.js';

export interface RunHooks {
  /** Each second of the measured phase, as it closes, with `disconnected from NATS, …` while
   *  the connection is lost. */
  onInterval: (interval: Interval, connectionNote: string | undefined) => void;
  say: (line: string) => void;
  /** True once the user asked to stop (Ctrl-C): sending stops, answers are awaited. */
  stopped: () => boolean;
  /** Called just before the measured phase and just after its last answer (CPU, profiles). */
  measure?: { begin(): Promise<void>; end(): Promise<void> };
}

/** The warm-up draws from its own stream, so the measured requests are the same with or without one. */
export function warmupSeed(seed: number): number {
  return (seed ^ 0x9e3779b9) >>> 0;
}

/** A warm-up (not recorded), then the measured phase; returns the report and the histograms. */
export async function runBench(
  target: Target,
  params: BenchParams,
  hooks: RunHooks,
): Promise<{ report: BenchReport; recorder: Recorder }> {
  const execute = executor(target.client, params.consistency);
  const shape = {
    readRatio: params.readRatio,
    crossShardRatio: params.crossShardRatio,
    skew: params.skew,
    amount: params.amount,
  };
  const measured = new WorkloadGenerator(target.topology, shape, params.seed);
  let warmup = { requests: 0, seconds: 0 };
  if (params.warmupS > 0 && !hooks.stopped()) {
    hooks.say(`warming up for ${params.warmupS} s (not measured)`);
    const generator = new WorkloadGenerator(target.topology, shape, warmupSeed(params.seed));
    const w = await runPhase({
      ...loopOf(params),
      transactions: null,
      durationMs: params.warmupS * 1000,
      next: () => generator.next(),
      execute,
      onCompletion: () => undefined,
      stopped: hooks.stopped,
    });
    warmup = { requests: w.issued, seconds: (w.endMs - w.startMs) / 1000 };
  }
  await hooks.measure?.begin();
  const startedAt = new Date();
  const startMs = performance.now();
  const recorder = new Recorder(startMs);
  const connectionAtStart = target.client.connection();
  const printClosed = () => {
    const note = disconnectedText(target.client.connection());
    for (const interval of recorder.takeClosed()) hooks.onInterval(interval, note);
  };
  const ticker = setInterval(() => {
    recorder.roll(performance.now());
    printClosed();
  }, 1000);
  let result;
  try {
    result = await runPhase({
      ...loopOf(params),
      transactions: params.transactions,
      durationMs: params.durationS === null ? null : params.durationS * 1000,
      next: () => measured.next(),
      execute,
      onCompletion: (c) => recorder.record(c),
      stopped: hooks.stopped,
      now: () => performance.now(),
    });
  } finally {
    clearInterval(ticker);
  }
  await hooks.measure?.end();
  recorder.finish(result.endMs);
  printClosed();
  const connectionAtEnd = target.client.connection();
  const built = buildReport(recorder, {
    params,
    topology: target.topology,
    cluster: { dataDir: target.dataDir, startedByBench: target.startedByBench },
    startedAt,
    elapsedS: (result.endMs - startMs) / 1000,
    warmup,
    interrupted: hooks.stopped(),
    disconnects: connectionAtEnd.disconnects - connectionAtStart.disconnects,
    disconnectedS: (connectionAtEnd.disconnectedMs - connectionAtStart.disconnectedMs) / 1000,
  });
  return { report: built, recorder };
}

function loopOf(params: BenchParams) {
  return { rateTps: params.rateTps, concurrency: params.concurrency };
}
