import * as hdr from 'hdr-histogram-js';
import { roundMs } from '../core/round-ms.js';
import { newHistogram, type Histogram } from './histograms.js';
import { outcomes } from './outcome.js';
import type { AttemptCounts, CommitGap, Counts, Interval, Recorder, TypeRecord } from './recorder.js';
import { txTypes, type TxType } from './workload.js';

/**
 * `ledger bench --clients N`: each client process records its share of the load as one
 * Recorder does, and sends it to the parent in this form (JSON over IPC); the parent adds the N
 * into one run: histograms added bucket by bucket (HDR histograms add exactly), counts and
 * reasons summed, each second's interval merged across the clients, and the longest stretch
 * without a commit found on the union of their commit times (at millisecond resolution).
 */

/** What a report needs of a run: a Recorder, or N of them merged. */
export type RecordedRun = Pick<
  Recorder,
  'all' | 'byType' | 'reasons' | 'intervals' | 'longestWithoutCommit' | 'attempts'
>;

export interface EncodedTypeRecord {
  /** HDR histograms, compressed base64 (hdr-histogram-js's encoding). */
  latency: string;
  service: string;
  counts: Counts;
}

/** One second of one client, with its latency histogram so that percentiles merge exactly. */
export interface ClientInterval {
  interval: Interval;
  latency: string;
}

/** One client process's whole measured phase. */
export interface ClientResult {
  all: EncodedTypeRecord;
  byType: Record<TxType, EncodedTypeRecord>;
  reasons: Record<string, number>;
  attempts: AttemptCounts;
  /** Milliseconds (since the client began measuring) in which it saw a commit: a bitmap. */
  commitMarks: string;
  /** From its start of measuring to its last answer. */
  elapsedMs: number;
  issued: number;
}

/** What a client process sends its parent at its end (bench/client-worker.ts). */
export function clientResultOf(
  recorder: Recorder,
  marks: CommitMarks,
  elapsedMs: number,
  issued: number,
): ClientResult {
  return {
    all: encodeTypeRecord(recorder.all),
    byType: Object.fromEntries(txTypes.map((t) => [t, encodeTypeRecord(recorder.byType[t])])) as Record<
      TxType,
      EncodedTypeRecord
    >,
    reasons: Object.fromEntries(recorder.reasons),
    attempts: { ...recorder.attempts },
    commitMarks: marks.encode(),
    elapsedMs,
    issued,
  };
}

export function encodeHistogram(h: Histogram): string {
  return hdr.encodeIntoCompressedBase64(h);
}

/** Adds an encoded histogram into `into`. */
export function addEncoded(into: Histogram, encoded: string): void {
  into.add(hdr.decodeFromCompressedBase64(encoded));
}

export function encodeTypeRecord(r: TypeRecord): EncodedTypeRecord {
  return { latency: encodeHistogram(r.latency), service: encodeHistogram(r.service), counts: { ...r.counts } };
}

/**
 * The milliseconds of a run in which a commit was answered, one bit each, growing as the run
 * does (a 20 s run is 2.5 KB). Merged by OR, the longest run of zero bits is the longest
 * stretch in which no client saw a commit.
 */
export class CommitMarks {
  private bits = new Uint8Array(1024);
  private lengthMs = 0;

  static decode(text: string): CommitMarks {
    const marks = new CommitMarks();
    const bytes = Buffer.from(text, 'base64');
    marks.bits = new Uint8Array(Math.max(1024, bytes.length));
    marks.bits.set(bytes);
    marks.lengthMs = bytes.length * 8;
    return marks;
  }

  /** A commit `ms` after the start of measuring. */
  mark(ms: number): void {
    const at = Math.max(0, Math.floor(ms));
    const byte = at >>> 3;
    if (byte >= this.bits.length) {
      const grown = new Uint8Array(Math.max(this.bits.length * 2, byte + 1));
      grown.set(this.bits);
      this.bits = grown;
    }
    this.bits[byte] = (this.bits[byte] as number) | (1 << (at & 7));
    this.lengthMs = Math.max(this.lengthMs, at + 1);
  }

  or(other: CommitMarks): void {
    if (other.bits.length > this.bits.length) {
      const grown = new Uint8Array(other.bits.length);
      grown.set(this.bits);
      this.bits = grown;
    }
    other.bits.forEach((b, i) => (this.bits[i] = (this.bits[i] as number) | b));
    this.lengthMs = Math.max(this.lengthMs, other.lengthMs);
  }

  has(ms: number): boolean {
    return ((this.bits[ms >>> 3] ?? 0) & (1 << (ms & 7))) !== 0;
  }

  encode(): string {
    return Buffer.from(this.bits.subarray(0, Math.ceil(this.lengthMs / 8))).toString('base64');
  }

  /** The longest stretch without a commit from 0 to `endMs`, as Recorder reports it: from the
   *  start or a commit to the next commit or the end (to the millisecond). */
  longestGap(endMs: number): CommitGap {
    let best: CommitGap = { ms: 0, fromMs: 0, toMs: 0 };
    let last = 0;
    const end = Math.floor(endMs);
    for (let ms = 0; ms <= end; ms++) {
      if (ms === end || this.has(ms)) {
        if (ms - last > best.ms) best = { ms: ms - last, fromMs: last, toMs: ms };
        if (ms < end) last = ms;
      }
    }
    return best;
  }
}

/**
 * The intervals of N clients, merged second by second as they arrive: second k is complete once
 * every client still measuring has sent it. `finished(i)` says a client sent its last one.
 */
export class IntervalMerger {
  private readonly pending = new Map<number, { parts: number; interval: Interval; latency: Histogram }>();
  private readonly done = new Set<number>();
  private nextSecond = 1;
  readonly intervals: Interval[] = [];
  private readonly lastSecondOf: number[];

  constructor(private readonly clients: number) {
    this.lastSecondOf = new Array<number>(clients).fill(0);
  }

  /** Adds client `i`'s interval; returns the merged intervals that became complete. */
  add(i: number, part: ClientInterval): Interval[] {
    const second = part.interval.second;
    this.lastSecondOf[i] = second;
    let entry = this.pending.get(second);
    if (entry === undefined) {
      entry = {
        parts: 0,
        interval: { ...part.interval, completed: 0, successful: 0, errors: 0 },
        latency: newHistogram(),
      };
      this.pending.set(second, entry);
    }
    entry.parts++;
    entry.interval.completed += part.interval.completed;
    entry.interval.successful += part.interval.successful;
    entry.interval.errors += part.interval.errors;
    entry.interval.lengthS = Math.max(entry.interval.lengthS, part.interval.lengthS);
    addEncoded(entry.latency, part.latency);
    return this.release();
  }

  /** Client `i` will send no more intervals. */
  finished(i: number): Interval[] {
    this.done.add(i);
    return this.release();
  }

  private release(): Interval[] {
    const out: Interval[] = [];
    for (;;) {
      const entry = this.pending.get(this.nextSecond);
      // Complete when every client has sent this second or finished before it.
      let waiting = false;
      for (let i = 0; i < this.clients; i++)
        if (!this.done.has(i) && (this.lastSecondOf[i] as number) < this.nextSecond) waiting = true;
      if (waiting || entry === undefined) break;
      const at = (p: number) =>
        entry.latency.totalCount === 0 ? 0 : roundMs(entry.latency.getValueAtPercentile(p) / 1000);
      const interval = { ...entry.interval, latencyMsP50: at(50), latencyMsP99: at(99) };
      this.intervals.push(interval);
      out.push(interval);
      this.pending.delete(this.nextSecond);
      this.nextSecond++;
    }
    return out;
  }
}

function newTypeRecord(): TypeRecord {
  return {
    latency: newHistogram(),
    service: newHistogram(),
    counts: Object.fromEntries(outcomes.map((o) => [o, 0])) as Counts,
  };
}

function addTypeRecord(into: TypeRecord, r: EncodedTypeRecord): void {
  addEncoded(into.latency, r.latency);
  addEncoded(into.service, r.service);
  for (const o of outcomes) into.counts[o] += r.counts[o];
}

/** N clients' results as one run; `intervals` are the merged seconds (IntervalMerger). */
export function mergeResults(results: ClientResult[], intervals: Interval[]): RecordedRun & { elapsedMs: number } {
  const all = newTypeRecord();
  const byType = Object.fromEntries(txTypes.map((t) => [t, newTypeRecord()])) as Record<TxType, TypeRecord>;
  const reasons = new Map<string, number>();
  const marks = new CommitMarks();
  const attempts: AttemptCounts = { requests: 0, total: 0, retried: 0 };
  let elapsedMs = 0;
  for (const r of results) {
    attempts.requests += r.attempts.requests;
    attempts.total += r.attempts.total;
    attempts.retried += r.attempts.retried;
    addTypeRecord(all, r.all);
    for (const t of txTypes) addTypeRecord(byType[t], r.byType[t]);
    for (const [k, v] of Object.entries(r.reasons)) reasons.set(k, (reasons.get(k) ?? 0) + v);
    marks.or(CommitMarks.decode(r.commitMarks));
    elapsedMs = Math.max(elapsedMs, r.elapsedMs);
  }
  return { all, byType, reasons, intervals, longestWithoutCommit: marks.longestGap(elapsedMs), attempts, elapsedMs };
}
