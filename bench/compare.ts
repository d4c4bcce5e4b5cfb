import { readFileSync } from 'node:fs';
import { badInput, LedgerError } from '../src/core/errors.js';
import { outcomes, type Outcome } from './outcome.js';
import { reportKind, seriesNames, type BenchReport, type Series, type TypeSummary } from './report.js';

/** One figure of two runs: B / A (null when A is 0, where a ratio means nothing). */
export interface ComparedValue {
  metric: string;
  a: number;
  b: number;
  ratio: number | null;
}

export interface Comparison {
  a: { file: string; seed: number; preset: string | null; startedAt: string };
  b: { file: string; seed: number; preset: string | null; startedAt: string };
  /** Per series (all, read, intra, cross), the figures side by side. */
  series: Record<Series, ComparedValue[]>;
}

const latencyKeys = ['p50', 'p90', 'p95', 'p99', 'p999', 'max'] as const;

export function ratio(a: number, b: number): number | null {
  return a === 0 ? null : b / a;
}

/** `ledger bench compare A B`: B against A, figure by figure. */
export function compareReports(a: BenchReport, b: BenchReport, files: { a: string; b: string }): Comparison {
  const side = (r: BenchReport, file: string) => ({ file, seed: r.seed, preset: r.params.preset, startedAt: r.startedAt });
  const series = Object.fromEntries(
    seriesNames.map((s) => {
      const x = pick(a, s);
      const y = pick(b, s);
      const values: ComparedValue[] = [
        { metric: 'count', a: x.count, b: y.count, ratio: ratio(x.count, y.count) },
        { metric: 'throughput/s', a: x.throughputPerSecond, b: y.throughputPerSecond, ratio: ratio(x.throughputPerSecond, y.throughputPerSecond) },
        ...latencyKeys.map((k) => ({ metric: `latency ${k} ms`, a: x.latencyMs[k], b: y.latencyMs[k], ratio: ratio(x.latencyMs[k], y.latencyMs[k]) })),
        ...outcomes.map((o) => ({ metric: `${o} rate`, a: rateOf(x, o), b: rateOf(y, o), ratio: ratio(rateOf(x, o), rateOf(y, o)) })),
      ];
      return [s, values];
    }),
  ) as Record<Series, ComparedValue[]>;
  return { a: side(a, files.a), b: side(b, files.b), series };
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
    throw new LedgerError('not-found', `cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, { hint: 'give the bench.json of a run (ledger bench --out DIR), or a file saved from ledger bench --json' });
  }
  let report: unknown;
  try {
    report = JSON.parse(text);
  } catch {
    throw badInput(`${file} is not JSON`, 'give the bench.json of a run (ledger bench --out DIR), or a file saved from ledger bench --json');
  }
  const r = report as Partial<BenchReport>;
  if (r?.kind !== reportKind || typeof r.all !== 'object' || typeof r.byType !== 'object') {
    throw badInput(`${file} is not a ledger bench report`, 'give the bench.json of a run (ledger bench --out DIR), or a file saved from ledger bench --json');
  }
  return report as BenchReport;
}
