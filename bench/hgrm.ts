import { badInput } from '../src/core/errors.js';
import type { Histogram } from '../src/load/histograms.js';

/** Rows per halving of the remaining distance to 100 %: HdrHistogram's usual 5. */
const ticksPerHalfDistance = 5;

/**
 * A µs histogram in HdrHistogram's percentile distribution format (`.hgrm`, as written by
 * outputPercentileDistribution and read by HdrHistogram's plotter), with values in ms.
 */
export function formatHgrm(histogram: Histogram): string {
  return histogram.outputPercentileDistribution(ticksPerHalfDistance, 1000);
}

export interface HgrmRow {
  valueMs: number;
  percentile: number;
  totalCount: number;
}

export interface ParsedHgrm {
  rows: HgrmRow[];
  meanMs: number;
  maxMs: number;
  totalCount: number;
}

/** Reads an `.hgrm` back; throws a bad-input error naming the line that is not in the format. */
export function parseHgrm(text: string): ParsedHgrm {
  const rows: HgrmRow[] = [];
  let meanMs = Number.NaN;
  let maxMs = Number.NaN;
  let totalCount = Number.NaN;
  const lines = text.split(/\r?\n/);
  lines.forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || /^Value\s+Percentile/.test(line)) return;
    if (line.startsWith('#')) {
      const mean = /Mean\s*=\s*([\d.]+)/.exec(line);
      if (mean) meanMs = Number(mean[1]);
      const max = /Max\s*=\s*([\d.]+)/.exec(line);
      if (max) maxMs = Number(max[1]);
      const total = /Total count\s*=\s*(\d+)/.exec(line);
      if (total) totalCount = Number(total[1]);
      return;
    }
    const cells = line.split(/\s+/);
    const [value, percentile, count] = cells.map(Number);
    if ((cells.length !== 3 && cells.length !== 4) || ![value, percentile, count].every((x) => Number.isFinite(x))) {
      throw badInput(`hgrm line ${i + 1} is not "Value Percentile TotalCount [1/(1-Percentile)]": ${line}`);
    }
    rows.push({ valueMs: value as number, percentile: percentile as number, totalCount: count as number });
  });
  if (rows.length === 0 || !Number.isFinite(totalCount))
    throw badInput('not an hgrm percentile distribution: no rows or no "Total count" footer');
  return { rows, meanMs, maxMs, totalCount };
}

/** Percentile spectrum points for plots: [percentile 0..1, value ms], the last (100 %) kept. */
export function spectrumOf(histogram: Histogram): Array<[number, number]> {
  if (histogram.totalCount === 0) return [];
  return parseHgrm(formatHgrm(histogram)).rows.map((r) => [r.percentile, r.valueMs]);
}
