/**
 * A small benchmark for the walking skeleton (`npm run bench:quick`): a fresh local 3x3 cluster
 * in a temp dir, a warm-up, then (1) one client, one transfer at a time and (2) `--concurrency`
 * in flight (64 by default; the targets of issue 6 use 192), `--cross-shard` of them crossing
 * shards, repeated `--runs` times; prints each run and the medians, and with `--cpu` the CPU
 * each process spent (nats-server, every node, this client). Closed loop, through the bench's
 * workload generator and scheduler (src/load/transfer-load.ts); `ledger bench` is the full tool
 * (open loop, reads, skew, HDR reports).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { LedgerClient } from '../src/client/ledger-client.js';
import { cpuSnapshot, cpuUse, cpuUseText, type CountedProcess } from './cpu-usage.js';
import { requireRunningConfig, startLocalCluster, stopLocalCluster } from '../src/cluster/local-cluster.js';
import { intraShardLoad, transferLoad, type LoadReport } from '../src/load/transfer-load.js';
import { defaultTopology } from '../src/ledger/topology.js';
import { asClient, connectAs } from '../src/node/nats-access.js';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '3' },
    sequential: { type: 'string', default: '1000' },
    concurrent: { type: 'string', default: '10000' },
    concurrency: { type: 'string', default: '64' },
    // Share of transfers that cross shards, 0..1.
    'cross-shard': { type: 'string', default: '0' },
    warmup: { type: 'string', default: '2000' },
    // Also print the CPU seconds each process spent during each concurrent run (Linux /proc).
    cpu: { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
  },
});
const runs = Number(values.runs);
const dataDir = mkdtempSync(join(tmpdir(), 'ledger-bench-'));
const say = (line: string) => values.json || console.log(line);

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

try {
  say(
    `bench:quick: 3x3 cluster in ${dataDir}, synchronous=FULL, ${runs} runs, cross-shard share ${values['cross-shard']}`,
  );
  const state = await startLocalCluster({
    dataDir,
    port: undefined,
    topology: defaultTopology,
    detached: true,
    readyTimeoutMs: 30_000,
  });
  const transport = await connectAs(requireRunningConfig(dataDir), asClient, {
    name: 'bench-quick',
    longRunning: true,
  });
  const client = new LedgerClient(transport, defaultTopology, 'ledger');
  // Warm-up: the JIT of every process, SQLite's page cache.
  await intraShardLoad(client, defaultTopology, { transfers: Number(values.warmup), concurrency: 32, seed: 999 });
  const counted: CountedProcess[] = [
    { name: 'nats', pid: state.natsPid },
    ...state.nodes.map(({ node, pid }) => ({ name: `n${node}`, pid })),
    { name: 'client', pid: null },
  ];
  const single: LoadReport[] = [];
  const parallel: LoadReport[] = [];
  for (let run = 1; run <= runs; run++) {
    const crossShardShare = Number(values['cross-shard']);
    const s = await transferLoad(client, defaultTopology, {
      transfers: Number(values.sequential),
      concurrency: 1,
      seed: run,
      crossShardShare,
    });
    single.push(s);
    say(
      `run ${run}: 1 in flight: p50 ${s.latencyMs.p50.toFixed(2)} ms, p99 ${s.latencyMs.p99.toFixed(2)} ms (${s.throughputPerSecond.toFixed(0)}/s)`,
    );
    const cpuBefore = cpuSnapshot(counted);
    const p = await transferLoad(client, defaultTopology, {
      transfers: Number(values.concurrent),
      concurrency: Number(values.concurrency),
      seed: 100 + run,
      crossShardShare,
    });
    const cpuAfter = cpuSnapshot(counted);
    parallel.push(p);
    say(
      `run ${run}: ${p.concurrency} in flight: ${p.throughputPerSecond.toFixed(0)} transfers/s, p50 ${p.latencyMs.p50.toFixed(1)} ms, p99 ${p.latencyMs.p99.toFixed(1)} ms, ${JSON.stringify(p.outcomes)}`,
    );
    if (values.cpu) {
      say(`run ${run}: CPU s over ${p.seconds.toFixed(1)} s: ${cpuUseText(cpuUse(cpuBefore, cpuAfter, p.transfers))}`);
    }
  }
  const summary = {
    runs,
    singleClientP50Ms: median(single.map((s) => s.latencyMs.p50)),
    singleClientP99Ms: median(single.map((s) => s.latencyMs.p99)),
    concurrency: Number(values.concurrency),
    throughputPerSecond: median(parallel.map((p) => p.throughputPerSecond)),
    concurrentP50Ms: median(parallel.map((p) => p.latencyMs.p50)),
    concurrentP99Ms: median(parallel.map((p) => p.latencyMs.p99)),
  };
  if (values.json) console.log(JSON.stringify({ summary, single, parallel }, null, 2));
  else
    say(
      `median of ${runs}: single client p50 ${summary.singleClientP50Ms.toFixed(2)} ms / p99 ${summary.singleClientP99Ms.toFixed(2)} ms; ${summary.concurrency} in flight ${summary.throughputPerSecond.toFixed(0)}/s, p50 ${summary.concurrentP50Ms.toFixed(1)} ms, p99 ${summary.concurrentP99Ms.toFixed(1)} ms`,
    );
  await transport.close();
} finally {
  await stopLocalCluster(dataDir);
  rmSync(dataDir, { recursive: true, force: true });
}
