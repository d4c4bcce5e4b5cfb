import * as hdr from 'hdr-histogram-js';
import { roundMs } from '../core/round-ms.js';

export type Histogram = hdr.Histogram;

/**
 * Latency histograms in microseconds with 3 significant digits (0.1 % error at any value).
 * They resize themselves, because in an overloaded open-loop run the latency from the intended
 * start keeps growing and must be recorded as it is, never clipped.
 */
export function newHistogram(): Histogram {
  return hdr.build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: 60_000_000,
    numberOfSignificantValueDigits: 3,
    autoResize: true,
  });
}

/** Records a duration in µs; sub-microsecond values count as 1 µs (the lowest we track). */
export function recordUs(histogram: Histogram, us: number): void {
  histogram.recordValue(Math.max(1, Math.round(us)));
}

export interface Percentiles {
  count: number;
  mean: number;
  p50: number;
  p90: number;
  p95: number;
  p99: number;
  p999: number;
  max: number;
}

/** The summary percentiles of a µs histogram, in ms. All zero for an empty histogram. */
export function percentilesMs(histogram: Histogram): Percentiles {
  const count = histogram.totalCount;
  if (count === 0) return { count: 0, mean: 0, p50: 0, p90: 0, p95: 0, p99: 0, p999: 0, max: 0 };
  const maxUs = histogram.maxValue;
  // A percentile is reported as the top of its bucket, which can lie above the largest value
  // recorded; no value lies above the max, so neither may a percentile.
  // Rounded to the microsecond they were recorded in, without the float noise of the division.
  const at = (p: number) => roundMs(Math.min(histogram.getValueAtPercentile(p), maxUs) / 1000);
  return {
    count,
    mean: roundMs(histogram.mean / 1000),
    p50: at(50),
    p90: at(90),
    p95: at(95),
    p99: at(99),
    p999: at(99.9),
    max: roundMs(maxUs / 1000),
  };
}
