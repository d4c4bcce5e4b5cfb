import { readFileSync } from 'node:fs';
import { badInput, LedgerError } from '../src/core/errors.js';
import { outcomes, type Outcome } from '../src/load/outcome.js';
import { reportKind, seriesNames, type BenchReport, type Series, type TypeSummary } from './report.js';

/** One figure of two runs: B / A (null when A is 0, where a ratio means nothing). */
export interface ComparedValue {
  metric: string;
  a: number;
  b: number;
  ratio: number | null;
  /** Which way is an improvement: higher throughput, lower latency; null where neither is. */
  better: 'higher' | 'lower' | null;
}

export interface Comparison {
  a: { file: string; seed: number; preset: string | null; startedAt: string };
  b: { file: string; seed: number; preset: string | null; startedAt: string };
  /** Per series (all, read, intra, cross), the figures side by side. */
  series: Record<Series, ComparedValue[]>;
  /** Reasons the figures may not compare like for like (a closed loop against an open one). */
  warnings: string[];
}

const latencyKeys = ['p50', 'p90', 'p95', 'p99', 'p999', 'max'] as const;

export function ratio(a: number, b: number): number | null {
  return a === 0 ? null : b / a;
}

/** `ledger bench compare A B`: B against A, figure by figure. */
export function compareReports(a: BenchReport, b: BenchReport, files: { a: string; b: string }): Comparison {
  const side = (r: BenchReport, file: string) => ({
    file,
    seed: r.seed,
    preset: r.params.preset,
    startedAt: r.startedAt,
  });
  const series = Object.fromEntries(
    seriesNames.map((s) => {
      const x = pick(a, s);
      const y = pick(b, s);
      const values: ComparedValue[] = [
        { metric: 'count', a: x.count, b: y.count, ratio: ratio(x.count, y.count), better: null },
        {
          metric: 'throughput/s',
          a: x.throughputPerSecond,
          b: y.throughputPerSecond,
          ratio: ratio(x.throughputPerSecond, y.throughputPerSecond),
          better: 'higher' as const,
        },
        ...latencyKeys.map((k) => ({
          metric: `latency ${k} ms`,
          a: x.latencyMs[k],
          b: y.latencyMs[k],
          ratio: ratio(x.latencyMs[k], y.latencyMs[k]),
          better: 'lower' as const,
        })),
        ...outcomes.map((o) => ({
          metric: `${o} rate`,
          a: rateOf(x, o),
          b: rateOf(y, o),
          ratio: ratio(rateOf(x, o), rateOf(y, o)),
          better: betterRate[o],
        })),
      ];
      return [s, values];
    }),
  ) as Record<Series, ComparedValue[]>;
  return { a: side(a, files.a), b: side(b, files.b), series, warnings: comparabilityWarnings(a, b) };
}

/** More commits is better, fewer of the failures; insufficient funds depends on the workload. */
const betterRate: Record<Outcome, ComparedValue['better']> = {
  committed: 'higher',
  aborted: 'lower',
  'insufficient-funds': null,
  unknown: 'lower',
  unavailable: 'lower',
};

/**
 * An open loop measures latency from each request's intended start (queueing included); a closed
 * loop only from the send, and slows its own arrivals when the system does: their latencies and
 * throughputs answer different questions.
 */
export function comparabilityWarnings(a: BenchReport, b: BenchReport): string[] {
  if (a.loop === b.loop) return [];
  const name = (r: BenchReport) =>
    r.loop === 'open' ? `an open loop (--rate ${r.params.rateTps})` : 'a closed loop (no --rate)';
  return [
    `A is ${name(a)} and B ${name(b)}: an open loop's latency counts queueing from each request's intended start and a closed loop's does not, so latency and throughput do not compare like for like`,
  ];
}

/** "better", "worse" or "same" (within 1 %) for B against A, or undefined where it means nothing. */
export function verdict(v: ComparedValue): 'better' | 'worse' | 'same' | undefined {
  if (v.better === null || v.ratio === null) return undefined;
  if (Math.abs(v.ratio - 1) < 0.01) return 'same';
  return v.ratio > 1 === (v.better === 'higher') ? 'better' : 'worse';
}

/** A report written before the `unavailable` outcome existed has no rate for it: it had none. */
function rateOf(s: TypeSummary, o: Outcome): number {
  return s.rates[o] ?? 0;
}

function pick(r: BenchReport, s: Series): TypeSummary {
  return s === 'all' ? r.all : r.byType[s];
}

/** Reads a report written by `ledger bench --json` or `--out`, with a clear error otherwise. */
export function readReport(file: string): BenchReport {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new LedgerError(
      'not-found',
      `cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
      { hint: 'give the bench.json of a run (ledger bench --out DIR), or a file saved from ledger bench --json' },
    );
  }
  let report: unknown;
  try {
    report = JSON.parse(text);
  } catch {
    throw badInput(
      `${file} is not JSON`,
      'give the bench.json of a run (ledger bench --out DIR), or a file saved from ledger bench --json',
    );
  }
  const r = report as Partial<BenchReport>;
  if (r?.kind !== reportKind || typeof r.all !== 'object' || typeof r.byType !== 'object') {
    throw badInput(
      `${file} is not a ledger bench report`,
      'give the bench.json of a run (ledger bench --out DIR), or a file saved from ledger bench --json',
    );
  }
  return report as BenchReport;
}
