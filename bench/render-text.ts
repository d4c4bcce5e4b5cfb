import { table, type Column } from '../src/cli/render.js';
import type { Topology } from '../src/ledger/topology.js';
import { verdict, type ComparedValue, type Comparison } from './compare.js';
import { outcomes } from '../src/load/outcome.js';
import type { BenchParams } from './params.js';
import type { Interval } from '../src/load/recorder.js';
import { seriesNames, type BenchReport, type TypeSummary } from './report.js';
import { zipfExponentOfSkew } from '../src/load/zipf.js';

const pct = (share: number) => `${(share * 100).toFixed(share === 0 || share === 1 ? 0 : 1)} %`;
const msText = (value: number) => (value >= 100 ? value.toFixed(0) : value >= 10 ? value.toFixed(1) : value.toFixed(2));

/** What is printed before anything runs: the seed first, so any run can be replayed. */
export function paramsLines(params: BenchParams, topology: Topology, where: string): string[] {
  const loop =
    params.rateTps === null
      ? `closed loop: ${params.concurrency} in flight, each request sent when one is answered (no --rate; latency = service time)`
      : `open loop: ${params.rateTps} arrivals/s, at most ${params.concurrency} in flight; latency from each request's intended start`;
  const lines = [
    `seed ${params.seed}${params.preset === null ? '' : `  (preset ${params.preset})`}`,
    `workload: ${pct(params.readRatio)} reads (${params.consistency}), ${pct(params.crossShardRatio)} of transfers cross-shard, skew ${params.skew} (Zipf exponent ${zipfExponentOfSkew(params.skew)}), ${params.amount} unit(s) a transfer`,
    `length: ${params.transactions === null ? `${params.durationS} s` : `${params.transactions} transactions`}, ${params.warmupS > 0 ? `after ${params.warmupS} s of warm-up (not measured)` : 'no warm-up'}`,
    loop,
    `cluster: ${topology.clusters} clusters x ${topology.nodesPerCluster} nodes, ${topology.accounts} accounts (${where})`,
  ];
  if (params.clients > 1)
    lines.splice(
      4,
      0,
      `clients: ${params.clients} processes, each with its own connection and 1/${params.clients} of the requests in flight and of the seed's request stream`,
    );
  return lines;
}

/** The per-second line on stderr; `note` says when the connection to NATS is lost. */
export function progressLine(i: Interval, note?: string): string {
  const line = `[${String(i.second).padStart(4)} s] ${(i.successful / i.lengthS).toFixed(0).padStart(6)} ok/s  p50 ${msText(i.latencyMsP50).padStart(7)} ms  p99 ${msText(i.latencyMsP99).padStart(7)} ms  errors ${i.errors}`;
  return note === undefined ? line : `${line}  ${note}`;
}

/** Where the run lost its connection, and the longest time it went without a commit. */
export function outageLine(r: BenchReport): string {
  const gap = r.outage.longestWithoutCommit;
  const longest = `longest without a commit: ${gap.seconds.toFixed(2)} s (from ${gap.fromS.toFixed(2)} s to ${gap.toS.toFixed(2)} s)`;
  if (r.outage.disconnects === 0) return longest;
  return `disconnected from NATS ${r.outage.disconnects} time(s), ${r.outage.disconnectedS.toFixed(2)} s in all; ${longest}`;
}

function latencyRow(name: string, s: TypeSummary, which: 'latencyMs' | 'serviceMs'): Array<string | number> {
  const l = s[which];
  if (s.count === 0) return [name, 0, '-', '-', '-', '-', '-', '-', '-'];
  return [
    name,
    s.count,
    s.throughputPerSecond.toFixed(1),
    msText(l.p50),
    msText(l.p90),
    msText(l.p95),
    msText(l.p99),
    msText(l.p999),
    msText(l.max),
  ];
}

function outcomeRow(name: string, s: TypeSummary): Array<string | number> {
  return [name, ...outcomes.map((o) => `${s.counts[o]} (${pct(s.rates[o])})`)];
}

export function summaryText(r: BenchReport): string {
  const rows = (which: 'latencyMs' | 'serviceMs') =>
    seriesNames.map((s) => latencyRow(s, s === 'all' ? r.all : r.byType[s], which));
  // At 80 columns p95 and p99.9 go first: p50, p90, p99 and max still frame the distribution.
  const head: Column[] = [
    { head: 'type' },
    { head: 'count', right: true },
    { head: 'ok/s', right: true },
    { head: 'p50 ms', right: true },
    { head: 'p90 ms', right: true },
    { head: 'p95 ms', right: true, drop: 2 },
    { head: 'p99 ms', right: true },
    { head: 'p99.9 ms', right: true, drop: 1 },
    { head: 'max ms', right: true },
  ];
  const lines = [
    `${r.interrupted ? 'INTERRUPTED: ' : ''}${r.all.count} transactions in ${r.elapsedS.toFixed(2)} s: ${r.all.throughputPerSecond.toFixed(1)} successful/s (${r.all.completedPerSecond.toFixed(1)} answered/s), ${r.loop} loop`,
    r.loop === 'open' ? 'latency (from intended start):' : 'latency (closed loop: from send, equal to service time):',
    table(head, rows('latencyMs')),
  ];
  if (r.loop === 'open') lines.push('service time (from send):', table(head, rows('serviceMs')));
  lines.push(
    'outcomes:',
    table(
      ['type', ...outcomes],
      seriesNames.map((s) => outcomeRow(s, s === 'all' ? r.all : r.byType[s])),
    ),
  );
  lines.push(outageLine(r));
  if (r.attempts.retried > 0 && r.attempts.perTransfer !== null)
    lines.push(
      `attempts: ${r.attempts.perTransfer.toFixed(2)} per transfer; ${r.attempts.retried} of ${r.attempts.transfers} transfers took more than one (an attempt timed out or was redirected)`,
    );
  const reasons = Object.entries(r.reasons);
  if (reasons.length > 0) lines.push(`reasons: ${reasons.map(([k, v]) => `${k} x${v}`).join('; ')}`);
  return lines.join('\n');
}

const num = (v: number) => (Number.isInteger(v) ? String(v) : Math.abs(v) < 1 ? v.toFixed(4) : v.toFixed(2));
const ratioText = (v: ComparedValue) => {
  const text = v.ratio === null ? (v.b === 0 ? '=' : 'new') : `${v.ratio.toFixed(2)}x`;
  const word = verdict(v);
  return word === undefined ? text : `${text} ${word}`;
};

export function comparisonText(c: Comparison): string {
  const lines = [
    `A: ${c.a.file} (seed ${c.a.seed}${c.a.preset ? `, preset ${c.a.preset}` : ''}, ${c.a.startedAt})`,
    `B: ${c.b.file} (seed ${c.b.seed}${c.b.preset ? `, preset ${c.b.preset}` : ''}, ${c.b.startedAt})`,
  ];
  const rows: Array<Array<string | number>> = [];
  for (const s of seriesNames) for (const v of c.series[s]) rows.push([s, v.metric, num(v.a), num(v.b), ratioText(v)]);
  for (const warning of c.warnings) lines.push(`warning: ${warning}`);
  lines.push('better is higher for throughput and committed rate, lower for the rest');
  lines.push(
    table(
      ['type', 'metric', { head: 'A', right: true }, { head: 'B', right: true }, { head: 'B / A', right: true }],
      rows,
    ),
  );
  return lines.join('\n');
}
