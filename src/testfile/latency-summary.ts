import { roundMs } from '../core/round-ms.js';

export interface LatencySummary {
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

/**
 * A set's latency percentiles from the recorded values themselves (nearest rank), not from a
 * histogram: a set has at most a few thousand commands, and a histogram's percentile is the top
 * of its bucket, which lay above the exact max (`p90 3002.4 ms, max 3001.0 ms`). Every figure is
 * one of the values, so p50 <= p90 <= p99 <= max always holds. Pure.
 */
export function latencySummary(valuesMs: readonly number[]): LatencySummary {
  if (valuesMs.length === 0) return { p50: 0, p90: 0, p99: 0, max: 0 };
  const sorted = [...valuesMs].sort((a, b) => a - b);
  const at = (p: number) => roundMs(sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)] as number);
  return { p50: at(50), p90: at(90), p99: at(99), max: roundMs(sorted[sorted.length - 1] as number) };
}
