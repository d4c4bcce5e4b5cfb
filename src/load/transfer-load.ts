import { performance } from 'node:perf_hooks';
import type { LedgerClient, TransferStatus } from '../client/ledger-client.js';
import type { Topology } from '../ledger/topology.js';
import { executor } from './execute.js';
import { percentilesMs } from './histograms.js';
import { Recorder } from './recorder.js';
import { runPhase } from './scheduler.js';
import { WorkloadGenerator } from './workload.js';
import { roundMs, roundS } from '../core/round-ms.js';

export interface LoadReport {
  transfers: number;
  concurrency: number;
  seconds: number;
  throughputPerSecond: number;
  latencyMs: { p50: number; p90: number; p99: number; max: number };
  outcomes: Record<TransferStatus, number>;
}

/**
 * A closed-loop burst of transfers of 1 unit between uniformly drawn accounts (each of
 * `concurrency` workers sends its next one when the last is answered); `crossShardShare` of them
 * go to another shard. The same workload generator and scheduler as `ledger bench` (which adds
 * reads, skew, an open loop and full reports); this is the short form the demo, the quick
 * benchmark, the soak and the integration tests use.
 */
export async function transferLoad(
  client: LedgerClient,
  topology: Topology,
  options: { transfers: number; concurrency: number; seed: number; crossShardShare?: number },
): Promise<LoadReport> {
  const generator = new WorkloadGenerator(
    topology,
    { readRatio: 0, crossShardRatio: options.crossShardShare ?? 0, skew: 0, amount: 1 },
    options.seed,
  );
  const recorder = new Recorder(performance.now());
  const phase = await runPhase({
    rateTps: null,
    concurrency: options.concurrency,
    transactions: options.transfers,
    durationMs: null,
    next: () => generator.next(),
    execute: executor(client, 'linearizable'),
    onCompletion: (c) => recorder.record(c),
  });
  const seconds = roundS((phase.endMs - phase.startMs) / 1000);
  const l = percentilesMs(recorder.all.latency);
  return {
    transfers: options.transfers,
    concurrency: options.concurrency,
    seconds,
    throughputPerSecond: roundMs(options.transfers / Math.max(seconds, 0.001)),
    latencyMs: { p50: l.p50, p90: l.p90, p99: l.p99, max: l.max },
    outcomes: { ...recorder.all.counts },
  };
}

/** Intra-shard only (the demo's Performance burst). */
export function intraShardLoad(
  client: LedgerClient,
  topology: Topology,
  options: { transfers: number; concurrency: number; seed: number },
): Promise<LoadReport> {
  return transferLoad(client, topology, { ...options, crossShardShare: 0 });
}
