import * as hdr from 'hdr-histogram-js';
import { performance } from 'node:perf_hooks';
import type { LedgerClient, TransferStatus } from '../client/ledger-client.js';
import { accountRange, type Topology } from '../ledger/topology.js';
import { SeededRandom } from '../core/random.js';

export interface LoadReport {
  transfers: number;
  concurrency: number;
  seconds: number;
  throughputPerSecond: number;
  latencyMs: { p50: number; p90: number; p99: number; max: number };
  outcomes: Record<TransferStatus, number>;
}

/**
 * A closed-loop burst of transfers of 1 unit between random accounts (each worker sends its
 * next one when the last is answered); `crossShardShare` of them go to another shard. Used by
 * the demo, the quick benchmark and the soak; `ledger bench` is the open-loop tool.
 */
export async function transferLoad(
  client: LedgerClient,
  topology: Topology,
  options: { transfers: number; concurrency: number; seed: number; crossShardShare?: number },
): Promise<LoadReport> {
  const random = new SeededRandom(options.seed);
  const histogram = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: 3 });
  const outcomes: Record<TransferStatus, number> = { committed: 0, 'insufficient-funds': 0, aborted: 0, unknown: 0 };
  let issued = 0;
  const started = performance.now();
  const worker = async () => {
    while (issued < options.transfers) {
      issued++;
      const cluster = random.int(1, topology.clusters);
      const { first, last } = accountRange(topology, cluster);
      const from = random.int(first, last);
      let to = random.int(first, last);
      if (to === from) to = from === last ? first : from + 1;
      if (topology.clusters > 1 && random.chance(options.crossShardShare ?? 0)) {
        const other = accountRange(topology, ((cluster - 1 + random.int(1, topology.clusters - 1)) % topology.clusters) + 1);
        to = random.int(other.first, other.last);
      }
      const result = await client.transfer(from, to, 1);
      outcomes[result.status]++;
      histogram.recordValue(Math.max(1, Math.round(result.latencyMs * 1000)));
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, worker));
  const seconds = (performance.now() - started) / 1000;
  const us = (p: number) => histogram.getValueAtPercentile(p) / 1000;
  return {
    transfers: options.transfers,
    concurrency: options.concurrency,
    seconds,
    throughputPerSecond: options.transfers / seconds,
    latencyMs: { p50: us(50), p90: us(90), p99: us(99), max: histogram.maxValue / 1000 },
    outcomes,
  };
}

/** Intra-shard only (the demo's Performance burst). */
export function intraShardLoad(client: LedgerClient, topology: Topology, options: { transfers: number; concurrency: number; seed: number }): Promise<LoadReport> {
  return transferLoad(client, topology, { ...options, crossShardShare: 0 });
}
