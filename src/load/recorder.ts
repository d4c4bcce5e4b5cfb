import { isError, isSuccess, outcomes, type Completion, type Outcome } from './outcome.js';
import { newHistogram, recordUs, type Histogram } from './histograms.js';
import { txTypes, type TxType } from './workload.js';
import { roundMs } from '../core/round-ms.js';

export type Counts = Record<Outcome, number>;

function zeroCounts(): Counts {
  return Object.fromEntries(outcomes.map((o) => [o, 0])) as Counts;
}

/** One second of the measured run, as the progress line and the throughput plot show it. */
export interface Interval {
  /** 1 for the first second after measuring began. */
  second: number;
  /** 1: the timeline holds whole seconds only (see Recorder.finish), except for a run shorter
   *  than a second, whose one interval is as long as the run. */
  lengthS: number;
  completed: number;
  successful: number;
  errors: number;
  latencyMsP50: number;
  latencyMsP99: number;
}

/** The longest stretch of the run without a commit (an outage shows here), in ms since the
 *  start of measuring: from the start or a commit to the next commit or the end. */
export interface CommitGap {
  ms: number;
  fromMs: number;
  toMs: number;
}

/** How many attempts requests took: more than one after a timeout or a redirect. */
export interface AttemptCounts {
  /** Requests that said how many attempts they took. */
  requests: number;
  total: number;
  /** Requests that took more than one. */
  retried: number;
}

export interface TypeRecord {
  latency: Histogram;
  service: Histogram;
  counts: Counts;
}

/**
 * Collects every answer of the measured phase: per transaction type (and for all), one
 * histogram of latency from the intended start and one of service time, outcome counts, abort
 * reasons, and one Interval per second. Answers arrive in time order, so the second being
 * filled only moves forward: its histogram is summarised and reset when it is over, and memory
 * stays flat however long the run.
 */
export class Recorder {
  readonly all: TypeRecord = newTypeRecord();
  readonly byType: Record<TxType, TypeRecord> = Object.fromEntries(txTypes.map((t) => [t, newTypeRecord()])) as Record<
    TxType,
    TypeRecord
  >;
  readonly reasons = new Map<string, number>();
  readonly intervals: Interval[] = [];
  /** Attempts of the answers that said how many they took (transfers). */
  readonly attempts: AttemptCounts = { requests: 0, total: 0, retried: 0 };
  private readonly current = newHistogram();
  private currentCounts = { completed: 0, successful: 0, errors: 0 };
  /** Intervals before this index were handed out by takeClosed(). */
  private taken = 0;
  private lastCommitMs: number;
  private longestGap: CommitGap = { ms: 0, fromMs: 0, toMs: 0 };

  /** `onClose` sees each second as it closes with its latency histogram, before the reset
   *  (a client process of `ledger bench --clients N` sends both to the parent). */
  constructor(
    private readonly startMs: number,
    private readonly onClose?: (interval: Interval, latency: Histogram) => void,
  ) {
    this.lastCommitMs = startMs;
  }

  /** The longest time without a commit so far (up to the end, once finish() ran). */
  get longestWithoutCommit(): CommitGap {
    return { ...this.longestGap };
  }

  record(c: Completion): void {
    this.roll(c.answeredAtMs);
    if (isSuccess(c.outcome)) this.commitAt(c.answeredAtMs);
    for (const r of [this.all, this.byType[c.type]]) {
      recordUs(r.latency, c.latencyUs);
      recordUs(r.service, c.serviceUs);
      r.counts[c.outcome]++;
    }
    if (c.reason !== undefined && c.outcome !== 'committed') {
      const key = `${c.outcome}: ${c.reason}`;
      this.reasons.set(key, (this.reasons.get(key) ?? 0) + 1);
    }
    if (c.attempts !== undefined) {
      this.attempts.requests++;
      this.attempts.total += c.attempts;
      if (c.attempts > 1) this.attempts.retried++;
    }
    recordUs(this.current, c.latencyUs);
    this.currentCounts.completed++;
    if (isSuccess(c.outcome)) this.currentCounts.successful++;
    if (isError(c.outcome)) this.currentCounts.errors++;
  }

  /** Closes every whole second before `nowMs`, empty ones too. */
  roll(nowMs: number): void {
    const nowSecond = Math.floor((nowMs - this.startMs) / 1000) + 1;
    while (this.intervals.length + 1 < nowSecond) this.close(1);
  }

  /** Closes every whole second of the run. The part of a second the run ends in is left out of
   *  the timeline (its answers count in the totals): scaled to a rate, a tenth of a second of
   *  the answers still in flight at the end read as 210 ok/s for --rate 100. A run shorter than
   *  a second keeps its one partial interval, its average rate, so its plot is not empty. */
  finish(endMs: number): void {
    this.roll(endMs);
    this.gapUntil(endMs);
    const lengthS = (endMs - this.startMs) / 1000 - this.intervals.length;
    if (this.intervals.length === 0 && this.currentCounts.completed > 0)
      this.close(Math.min(1, Math.max(lengthS, 0.001)));
  }

  /** The intervals closed since the last call (by an answer, roll or finish): for progress lines. */
  takeClosed(): Interval[] {
    const closed = this.intervals.slice(this.taken);
    this.taken = this.intervals.length;
    return closed;
  }

  private commitAt(atMs: number): void {
    this.gapUntil(atMs);
    // Answers come in time order, but a late callback must not move the mark back.
    this.lastCommitMs = Math.max(this.lastCommitMs, atMs);
  }

  private gapUntil(atMs: number): void {
    const ms = atMs - this.lastCommitMs;
    if (ms > this.longestGap.ms)
      this.longestGap = { ms, fromMs: this.lastCommitMs - this.startMs, toMs: atMs - this.startMs };
  }

  private close(lengthS: number): void {
    const at = (p: number) =>
      this.current.totalCount === 0 ? 0 : roundMs(this.current.getValueAtPercentile(p) / 1000);
    const interval: Interval = {
      second: this.intervals.length + 1,
      lengthS,
      ...this.currentCounts,
      latencyMsP50: at(50),
      latencyMsP99: at(99),
    };
    this.intervals.push(interval);
    this.onClose?.(interval, this.current);
    this.current.reset();
    this.currentCounts = { completed: 0, successful: 0, errors: 0 };
  }
}

function newTypeRecord(): TypeRecord {
  return { latency: newHistogram(), service: newHistogram(), counts: zeroCounts() };
}
