/**
 * One client process of `ledger bench --clients N` (forked by bench/clients.ts, talking to it
 * over the IPC channel): its share of the run's requests (every N-th of the seeded stream, see
 * src/load/shares.ts) with its share of the requests in flight, through its own NATS connection
 * and LedgerClient. It warms up, says ready, measures from the parent's start, sends each second
 * as it closes and then its whole result (histograms encoded), and ends. With --profile it runs
 * under `node --cpu-prof`, as the nodes do, and its profile is cut to the measured phase.
 */
import { performance } from 'node:perf_hooks';
import { LedgerClient } from '../src/client/ledger-client.js';
import { requireRunningConfig } from '../src/cluster/local-cluster.js';
import { executor } from '../src/load/execute.js';
import { clientResultOf, CommitMarks, encodeHistogram } from '../src/load/merge.js';
import { Recorder } from '../src/load/recorder.js';
import { runPhase } from '../src/load/scheduler.js';
import { shareOf, strided } from '../src/load/shares.js';
import { WorkloadGenerator } from '../src/load/workload.js';
import { connectNats } from '../src/transport/nats.js';
import { exitNow, onStopSignal, setExitCode } from '../src/process/exit.js';
import { cpuSecondsOfSelf } from './cpu-usage.js';
import type { ParentMessage, WorkerMessage, WorkerSetup } from './clients.js';
import { warmupSeed } from './run.js';

const send = (m: WorkerMessage) => process.send?.(m);
let stopped = false;
let onStart: (() => void) | undefined;
const setup = new Promise<WorkerSetup>((resolve) => {
  process.on('message', (m: ParentMessage) => {
    if (m.kind === 'setup') resolve(m.setup);
    else if (m.kind === 'start') onStart?.();
    else if (m.kind === 'stop') stopped = true;
  });
});
let finished = false;
// The parent's end is ours: if it dies, no one reads our results.
process.on('disconnect', () => {
  if (!finished) exitNow(1);
});
// Ctrl-C reaches the whole process group, the parent included, which sends 'stop' too: the
// first signal stops sending (answers are awaited), as it does in one process; a second one
// ends this process at once, as it ends the parent.
onStopSignal(() => {
  stopped = true;
});

try {
  const s = await setup;
  const { params, index, clients } = s;
  const config = requireRunningConfig(s.dataDir);
  const transport = await connectNats({
    url: config.natsUrl,
    name: `ledger-bench-client-${index + 1}`,
    longRunning: true,
  });
  const client = new LedgerClient(transport, config.topology, config.prefix, config.client);
  const execute = executor(client, params.consistency);
  const shape = {
    readRatio: params.readRatio,
    crossShardRatio: params.crossShardRatio,
    skew: params.skew,
    amount: params.amount,
  };
  const loop = {
    rateTps: params.rateTps === null ? null : params.rateTps / clients,
    concurrency: shareOf(params.concurrency, index, clients),
  };
  let warmup = 0;
  if (params.warmupS > 0) {
    const generator = new WorkloadGenerator(config.topology, shape, warmupSeed(params.seed));
    const next = strided(() => generator.next(), index, clients);
    const w = await runPhase({
      ...loop,
      transactions: null,
      durationMs: params.warmupS * 1000,
      next,
      execute,
      onCompletion: () => undefined,
      stopped: () => stopped,
    });
    warmup = w.issued;
  }
  const measured = new WorkloadGenerator(config.topology, shape, params.seed);
  const next = strided(() => measured.next(), index, clients);
  await new Promise<void>((resolve) => {
    onStart = resolve;
    send({ kind: 'ready', warmupRequests: warmup });
  });
  const cpuStart = cpuSecondsOfSelf();
  const connectionAtStart = client.connection();
  const startMs = performance.now();
  const marks = new CommitMarks();
  const recorder = new Recorder(startMs, (interval, latency) =>
    send({ kind: 'interval', part: { interval, latency: encodeHistogram(latency) } }),
  );
  const result = await runPhase({
    ...loop,
    transactions: params.transactions === null ? null : shareOf(params.transactions, index, clients),
    durationMs: params.durationS === null ? null : params.durationS * 1000,
    next,
    execute,
    onCompletion: (c) => {
      recorder.record(c);
      if (c.outcome === 'committed') marks.mark(c.answeredAtMs - startMs);
    },
    stopped: () => stopped,
    now: () => performance.now(),
  });
  recorder.finish(result.endMs);
  const cpuSeconds = cpuSecondsOfSelf() - cpuStart;
  const connectionAtEnd = client.connection();
  const clientResult = clientResultOf(recorder, marks, result.endMs - startMs, result.issued);
  send({
    kind: 'done',
    result: clientResult,
    cpuSeconds,
    disconnects: connectionAtEnd.disconnects - connectionAtStart.disconnects,
    disconnectedMs: connectionAtEnd.disconnectedMs - connectionAtStart.disconnectedMs,
  });
  await transport.close();
  finished = true;
  process.disconnect();
} catch (error) {
  send({ kind: 'failed', message: (error as Error).message });
  setExitCode(1);
  finished = true;
  process.disconnect();
}
