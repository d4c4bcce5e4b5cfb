import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { clientResultOf, CommitMarks, encodeHistogram, IntervalMerger, mergeResults } from '../../src/load/merge.js';
import { newHistogram, recordUs } from '../../src/load/histograms.js';
import type { Completion } from '../../src/load/outcome.js';
import { Recorder } from '../../src/load/recorder.js';
import { shareOf, strided } from '../../src/load/shares.js';
import { WorkloadGenerator } from '../../src/load/workload.js';
import { defaultTopology } from '../../src/ledger/topology.js';

const shape = { readRatio: 0.2, crossShardRatio: 0.2, skew: 0.5, amount: 1 };

const completion = (c: Partial<Completion> & Pick<Completion, 'answeredAtMs'>): Completion => ({
  type: 'intra',
  outcome: 'committed',
  latencyUs: 1000,
  serviceUs: 1000,
  ...c,
});

describe('bench --clients N: splitting the run', () => {
  test('shares of a total differ by at most one and add up to it', () => {
    for (const [total, n] of [
      [192, 4],
      [193, 4],
      [3, 4],
      [200, 3],
    ] as const) {
      const shares = Array.from({ length: n }, (_, i) => shareOf(total, i, n));
      assert.equal(
        shares.reduce((a, b) => a + b, 0),
        total,
      );
      assert.ok(Math.max(...shares) - Math.min(...shares) <= 1, `${shares}`);
    }
  });

  test('N strided streams send together exactly the requests of the one stream', () => {
    const total = 203;
    const n = 4;
    const one = new WorkloadGenerator(defaultTopology, shape, 11);
    const expected = Array.from({ length: total }, () => one.next());
    const got: unknown[] = new Array(total);
    for (let i = 0; i < n; i++) {
      const generator = new WorkloadGenerator(defaultTopology, shape, 11);
      const next = strided(() => generator.next(), i, n);
      const count = shareOf(total, i, n);
      for (let k = 0; k < count; k++) got[i + k * n] = next();
    }
    assert.deepEqual(got, expected);
  });
});

describe('bench --clients N: merging the clients results', () => {
  test('commit marks: the longest stretch without a commit of the union, from the start to the end', () => {
    const a = new CommitMarks();
    const b = new CommitMarks();
    for (const ms of [5, 10, 60]) a.mark(ms);
    for (const ms of [30, 31.7]) b.mark(ms);
    // Alone, a has 10 -> 60; with b the longest is 31 -> 60 (29 ms); and 60 -> end 100 (40 ms).
    assert.deepEqual(a.longestGap(70), { ms: 50, fromMs: 10, toMs: 60 });
    const union = CommitMarks.decode(a.encode());
    union.or(CommitMarks.decode(b.encode()));
    assert.deepEqual(union.longestGap(70), { ms: 29, fromMs: 31, toMs: 60 });
    assert.deepEqual(union.longestGap(100), { ms: 40, fromMs: 60, toMs: 100 });
    // No commit at all: the whole run.
    assert.deepEqual(new CommitMarks().longestGap(250), { ms: 250, fromMs: 0, toMs: 250 });
    // Far marks grow the bitmap.
    const far = new CommitMarks();
    far.mark(100_000);
    assert.ok(CommitMarks.decode(far.encode()).has(100_000));
    assert.ok(!CommitMarks.decode(far.encode()).has(99_999));
  });

  test('seconds merge once every client has sent them (or finished): counts add, percentiles of the union', () => {
    const merger = new IntervalMerger(2);
    const part = (second: number, latencyMs: number, count: number) => {
      const h = newHistogram();
      for (let k = 0; k < count; k++) recordUs(h, latencyMs * 1000);
      const interval = {
        second,
        lengthS: 1,
        completed: count,
        successful: count - 1,
        errors: 1,
        latencyMsP50: latencyMs,
        latencyMsP99: latencyMs,
      };
      return { interval, latency: encodeHistogram(h) };
    };
    assert.deepEqual(merger.add(0, part(1, 1, 60)), [], 'client 1 has not sent second 1 yet');
    assert.deepEqual(merger.add(0, part(2, 1, 10)), []);
    const first = merger.add(1, part(1, 3, 40));
    assert.equal(first.length, 1);
    const { latencyMsP50, latencyMsP99, ...counts } = first[0]!;
    assert.deepEqual(counts, { second: 1, lengthS: 1, completed: 100, successful: 98, errors: 2 });
    // 60 answers at 1 ms and 40 at 3 ms: the median is 1 ms, the 99th percentile 3 ms (within
    // the histograms' 0.1 %).
    assert.ok(Math.abs(latencyMsP50 - 1) <= 0.001, `p50 ${latencyMsP50}`);
    assert.ok(Math.abs(latencyMsP99 - 3) <= 0.003, `p99 ${latencyMsP99}`);
    // Client 1 ends after its first second: second 2 is client 0's alone.
    const second = merger.finished(1);
    assert.deepEqual(
      second.map((i) => [i.second, i.completed]),
      [[2, 10]],
    );
    assert.equal(merger.intervals.length, 2);
  });

  test('two recorders merged: histograms, counts and reasons add up; the longest gap is of the union', () => {
    const startMs = 1000;
    const recorders = [new Recorder(startMs), new Recorder(startMs)];
    const marks = [new CommitMarks(), new CommitMarks()];
    const record = (i: number, c: Completion) => {
      recorders[i]!.record(c);
      if (c.outcome === 'committed') marks[i]!.mark(c.answeredAtMs - startMs);
    };
    record(0, completion({ answeredAtMs: 1010, latencyUs: 2000, attempts: 1 }));
    record(0, completion({ answeredAtMs: 1400, type: 'cross', latencyUs: 9000, attempts: 3 }));
    record(0, completion({ answeredAtMs: 1500, outcome: 'aborted', reason: 'locked' }));
    record(1, completion({ answeredAtMs: 1200, type: 'read', latencyUs: 500 }));
    record(1, completion({ answeredAtMs: 1300, outcome: 'aborted', reason: 'locked', attempts: 2 }));
    record(1, completion({ answeredAtMs: 1350, outcome: 'unknown', reason: 'no answer' }));
    for (const r of recorders) r.finish(1600);
    const merged = mergeResults(
      [clientResultOf(recorders[0]!, marks[0]!, 600, 3), clientResultOf(recorders[1]!, marks[1]!, 550, 3)],
      [],
    );
    assert.equal(merged.all.latency.totalCount, 6);
    assert.equal(merged.all.service.totalCount, 6);
    assert.deepEqual(merged.all.counts, {
      committed: 3,
      aborted: 2,
      'insufficient-funds': 0,
      unknown: 1,
      unavailable: 0,
    });
    assert.equal(merged.byType.cross.counts.committed, 1);
    assert.equal(merged.byType.read.counts.committed, 1);
    assert.equal(merged.byType.intra.latency.totalCount, 4);
    assert.ok(Math.abs(merged.all.latency.maxValue - 9000) <= 9, `max ${merged.all.latency.maxValue}`);
    assert.ok(Math.abs(merged.all.latency.minNonZeroValue - 500) <= 1);
    assert.deepEqual(
      [...merged.reasons],
      [
        ['aborted: locked', 2],
        ['unknown: no answer', 1],
      ],
    );
    // Commits at 10 (client 0), 200 (client 1) and 400 ms (client 0); the run ends at 600 ms:
    // 10 -> 200 is 190 ms, 200 -> 400 and 400 -> 600 are 200 ms, the first of them is reported.
    // Client 0 alone went 390 ms without a commit (10 -> 400).
    assert.deepEqual(merged.longestWithoutCommit, { ms: 200, fromMs: 200, toMs: 400 });
    assert.equal(merged.elapsedMs, 600);
    // Attempts count where the client said (transfers; the read did not): 1 + 3 + 2 over 3,
    // two of them retried.
    assert.deepEqual(recorders[0]!.attempts, { requests: 2, total: 4, retried: 1 });
    assert.deepEqual(merged.attempts, { requests: 3, total: 6, retried: 2 });
  });
});
