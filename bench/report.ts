import type { Topology } from '../src/ledger/topology.js';
import { spectrumOf } from './hgrm.js';
import { percentilesMs, type Percentiles } from '../src/load/histograms.js';
import { outcomes, type Outcome } from '../src/load/outcome.js';
import type { BenchParams } from './params.js';
import type { CpuReport } from './measure.js';
import type { ProfileReport } from './profiling.js';
import type { Counts, Interval, TypeRecord } from '../src/load/recorder.js';
import type { RecordedRun } from '../src/load/merge.js';
import { txTypes, type TxType } from '../src/load/workload.js';

export const reportKind = 'ledger-bench-report';
export const reportVersion = 1;

export type Series = 'all' | TxType;
export const seriesNames: readonly Series[] = ['all', ...txTypes];

export interface TypeSummary {
  count: number;
  counts: Counts;
  /** Each outcome's share of `count`, 0..1. */
  rates: Record<Outcome, number>;
  /** Successful transactions (committed transfers, answered reads) per second of the run. */
  throughputPerSecond: number;
  /** Latency from each request's intended start (equal to service time in a closed loop). */
  latencyMs: Percentiles;
  /** From send to answer. */
  serviceMs: Percentiles;
}

/** The whole result of `ledger bench`: what --json prints and --out writes as bench.json. */
export interface BenchReport {
  kind: typeof reportKind;
  version: typeof reportVersion;
  seed: number;
  params: BenchParams;
  /** open: arrivals at --rate, latency from intended start; closed: --concurrency workers. */
  loop: 'open' | 'closed';
  topology: Topology;
  cluster: { dataDir: string; startedByBench: boolean };
  startedAt: string;
  /** From the first send to the last answer of the measured phase. */
  elapsedS: number;
  warmup: { requests: number; seconds: number };
  /** True when Ctrl-C ended the run early. */
  interrupted: boolean;
  all: TypeSummary & { completedPerSecond: number };
  byType: Record<TxType, TypeSummary>;
  /** "aborted: locked" -> count. */
  reasons: Record<string, number>;
  /** Attempts per transfer: more than one after an attempt timed out or was redirected. */
  attempts: { transfers: number; total: number; perTransfer: number | null; retried: number };
  /** Where the run lost its connection to NATS, and the gap that left in the commits. */
  outage: Outage;
  timeline: Interval[];
  /** Percentile spectra ([percentile 0..1, ms]) for the plots, as in the .hgrm files. */
  spectrum: { latencyMs: Record<Series, Array<[number, number]>>; serviceMs: Record<Series, Array<[number, number]>> };
  /** CPU of each process over the measured phase, per committed transfer (null: not measured). */
  cpu: CpuReport | null;
  /** --profile: where the CPU profiles are and the top self time of each role. */
  profile: ProfileReport | null;
}

export interface Outage {
  /** Connections to NATS lost during the measured phase. */
  disconnects: number;
  /** Seconds of the measured phase without a connection. */
  disconnectedS: number;
  /** The longest stretch without a commit, in seconds since measuring began. */
  longestWithoutCommit: { seconds: number; fromS: number; toS: number };
}

export interface ReportContext {
  params: BenchParams;
  topology: Topology;
  cluster: BenchReport['cluster'];
  startedAt: Date;
  elapsedS: number;
  warmup: BenchReport['warmup'];
  interrupted: boolean;
  /** Connection losses and time disconnected during the measured phase. */
  disconnects: number;
  disconnectedS: number;
}

export function buildReport(recorder: RecordedRun, ctx: ReportContext): BenchReport {
  const elapsedS = Math.max(ctx.elapsedS, 1e-9);
  const record = (s: Series): TypeRecord => (s === 'all' ? recorder.all : recorder.byType[s]);
  const all = summarise(recorder.all, elapsedS);
  const gap = recorder.longestWithoutCommit;
  const spectra = (which: 'latency' | 'service') =>
    Object.fromEntries(seriesNames.map((s) => [s, spectrumOf(record(s)[which])])) as Record<
      Series,
      Array<[number, number]>
    >;
  return {
    kind: reportKind,
    version: reportVersion,
    seed: ctx.params.seed,
    params: ctx.params,
    loop: ctx.params.rateTps === null ? 'closed' : 'open',
    topology: ctx.topology,
    cluster: ctx.cluster,
    startedAt: ctx.startedAt.toISOString(),
    elapsedS: ctx.elapsedS,
    warmup: ctx.warmup,
    interrupted: ctx.interrupted,
    all: { ...all, completedPerSecond: all.count / elapsedS },
    byType: Object.fromEntries(txTypes.map((t) => [t, summarise(recorder.byType[t], elapsedS)])) as Record<
      TxType,
      TypeSummary
    >,
    reasons: Object.fromEntries([...recorder.reasons].sort((a, b) => b[1] - a[1])),
    attempts: {
      transfers: recorder.attempts.requests,
      total: recorder.attempts.total,
      perTransfer: recorder.attempts.requests === 0 ? null : recorder.attempts.total / recorder.attempts.requests,
      retried: recorder.attempts.retried,
    },
    outage: {
      disconnects: ctx.disconnects,
      disconnectedS: ctx.disconnectedS,
      longestWithoutCommit: { seconds: gap.ms / 1000, fromS: gap.fromMs / 1000, toS: gap.toMs / 1000 },
    },
    timeline: recorder.intervals,
    spectrum: { latencyMs: spectra('latency'), serviceMs: spectra('service') },
    cpu: null,
    profile: null,
  };
}

function summarise(r: TypeRecord, elapsedS: number): TypeSummary {
  const count = outcomes.reduce((sum, o) => sum + r.counts[o], 0);
  const rates = Object.fromEntries(outcomes.map((o) => [o, count === 0 ? 0 : r.counts[o] / count])) as Record<
    Outcome,
    number
  >;
  return {
    count,
    counts: { ...r.counts },
    rates,
    throughputPerSecond: r.counts.committed / elapsedS,
    latencyMs: percentilesMs(r.latency),
    serviceMs: percentilesMs(r.service),
  };
}
