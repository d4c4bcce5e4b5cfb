import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { compareReports, ratio, readReport, verdict } from '../../bench/compare.js';
import { comparisonText } from '../../bench/render-text.js';
import { formatHgrm, parseHgrm, spectrumOf } from '../../bench/hgrm.js';
import { newHistogram, percentilesMs, recordUs } from '../../src/load/histograms.js';
import { htmlReport } from '../../bench/html-report.js';
import { resolveParams } from '../../bench/params.js';
import { Recorder } from '../../src/load/recorder.js';
import { buildReport, type BenchReport } from '../../bench/report.js';
import type { TxType } from '../../src/load/workload.js';
import { LedgerError } from '../../src/core/errors.js';
import { defaultTopology } from '../../src/ledger/topology.js';

/** 1..1000 ms, one value each. */
function oneToThousandMs() {
  const h = newHistogram();
  for (let ms = 1; ms <= 1000; ms++) recordUs(h, ms * 1000);
  return h;
}

/** A report from synthetic answers: `latencyMs` per type, all answered in the first second. */
function syntheticReport(latencyMs: Record<TxType, number>, seed = 1): BenchReport {
  const recorder = new Recorder(0);
  let t = 0;
  for (const type of ['read', 'intra', 'cross'] as const) {
    for (let i = 0; i < 10; i++) {
      t += 10;
      recorder.record({
        type,
        outcome: i === 0 && type === 'cross' ? 'aborted' : 'committed',
        latencyUs: latencyMs[type] * 1000,
        serviceUs: latencyMs[type] * 500,
        answeredAtMs: t,
        ...(i === 0 && type === 'cross' ? { reason: 'locked' } : {}),
      });
    }
  }
  recorder.finish(t);
  return buildReport(recorder, {
    params: resolveParams({ seed: String(seed), preset: 'small' }, () => 0),
    topology: defaultTopology,
    cluster: { dataDir: '/tmp/x', startedByBench: true },
    startedAt: new Date(0),
    elapsedS: 2,
    warmup: { requests: 0, seconds: 0 },
    interrupted: false,
    disconnects: 0,
    disconnectedS: 0,
  });
}

describe('hgrm files', () => {
  test("formatted like HdrHistogram's outputPercentileDistribution, values in ms", () => {
    const text = formatHgrm(oneToThousandMs());
    const lines = text.split('\n');
    assert.match(lines[0]!, /^\s+Value\s+Percentile\s+TotalCount\s+1\/\(1-Percentile\)$/);
    assert.match(text, /#\[Mean\s+=\s+500\.\d+, StdDeviation\s+=\s+[\d.]+\]/);
    assert.match(text, /#\[Max\s+=\s+1000\.\d+, Total count\s+=\s+1000\]/);
    assert.match(text, /#\[Buckets\s+=\s+\d+, SubBuckets\s+=\s+\d+\]/);
    const parsed = parseHgrm(text);
    assert.equal(parsed.totalCount, 1000);
    assert.ok(Math.abs(parsed.maxMs - 1000) < 1);
    // Rows climb in percentile and value; the median row says about 500 ms.
    for (let i = 1; i < parsed.rows.length; i++) {
      assert.ok(parsed.rows[i]!.percentile >= parsed.rows[i - 1]!.percentile);
      assert.ok(parsed.rows[i]!.valueMs >= parsed.rows[i - 1]!.valueMs);
    }
    const median = parsed.rows.find((r) => r.percentile === 0.5)!;
    assert.ok(Math.abs(median.valueMs - 500) < 1, String(median.valueMs));
    assert.equal(parsed.rows.at(-1)!.percentile, 1);
  });

  test('parsing refuses what is not an hgrm, naming the line', () => {
    assert.throws(
      () => parseHgrm('hello\nworld'),
      (e: unknown) => e instanceof LedgerError && /line 1/.test(e.message),
    );
    assert.throws(
      () => parseHgrm(''),
      (e: unknown) => e instanceof LedgerError,
    );
  });

  test('the spectrum for the plots runs from 0 to 100 %, empty for no values', () => {
    const s = spectrumOf(oneToThousandMs());
    assert.equal(s[0]![0], 0);
    assert.equal(s.at(-1)![0], 1);
    assert.deepEqual(spectrumOf(newHistogram()), []);
  });

  test('summary percentiles are ordered and never above the max', () => {
    const h = newHistogram();
    for (const us of [90_850, 12_000, 13_000, 90_850]) recordUs(h, us);
    const p = percentilesMs(h);
    const order = [p.p50, p.p90, p.p95, p.p99, p.p999, p.max];
    for (let i = 1; i < order.length; i++) assert.ok(order[i]! >= order[i - 1]!, JSON.stringify(p));
    assert.equal(p.max, 90.85);
    assert.deepEqual(percentilesMs(newHistogram()).count, 0);
  });
});

describe('report, compare and HTML', () => {
  test('counts, rates and reasons add up per type and overall', () => {
    const r = syntheticReport({ read: 1, intra: 2, cross: 8 });
    assert.equal(r.all.count, 30);
    assert.equal(r.all.counts.committed + r.all.counts.aborted, 30);
    assert.equal(r.byType.cross.counts.aborted, 1);
    assert.ok(Math.abs(r.byType.cross.rates.aborted - 0.1) < 1e-12);
    assert.equal(r.all.throughputPerSecond, 29 / 2);
    assert.deepEqual(r.reasons, { 'aborted: locked': 1 });
    assert.equal(r.timeline.length, 1);
    assert.equal(r.timeline[0]!.completed, 30);
    assert.ok(Math.abs(r.byType.intra.latencyMs.p50 - 2) < 0.01);
  });

  test('compare gives B / A per figure; a zero baseline has no ratio', () => {
    const a = syntheticReport({ read: 1, intra: 2, cross: 8 });
    const b = syntheticReport({ read: 2, intra: 2, cross: 4 }, 2);
    const c = compareReports(a, b, { a: 'a.json', b: 'b.json' });
    const get = (series: 'read' | 'intra' | 'cross', metric: string) =>
      c.series[series].find((v) => v.metric === metric)!;
    assert.ok(Math.abs(get('read', 'latency p50 ms').ratio! - 2) < 0.01);
    assert.ok(Math.abs(get('intra', 'latency p50 ms').ratio! - 1) < 0.01);
    assert.ok(Math.abs(get('cross', 'latency p99 ms').ratio! - 0.5) < 0.01);
    assert.equal(get('read', 'unknown rate').ratio, null);
    assert.equal(c.b.seed, 2);
    assert.equal(ratio(0, 5), null);
    assert.equal(ratio(4, 2), 0.5);
  });

  test('readReport accepts a saved report and refuses other files with a hint', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bench-unit-'));
    try {
      writeFileSync(join(dir, 'ok.json'), JSON.stringify(syntheticReport({ read: 1, intra: 1, cross: 1 })));
      writeFileSync(join(dir, 'other.json'), JSON.stringify({ hello: 1 }));
      writeFileSync(join(dir, 'bad.json'), '{');
      assert.equal(readReport(join(dir, 'ok.json')).all.count, 30);
      for (const [file, code] of [
        ['other.json', 'bad-input'],
        ['bad.json', 'bad-input'],
        ['missing.json', 'not-found'],
      ] as const) {
        assert.throws(
          () => readReport(join(dir, file)),
          (e: unknown) => e instanceof LedgerError && e.code === code && e.hint !== undefined,
          file,
        );
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('the HTML page loads nothing from the network and cannot be broken out of by its data', () => {
    const r = syntheticReport({ read: 1, intra: 2, cross: 3 });
    r.reasons['</script><img src=x>'] = 1;
    (r.cluster as { dataDir: string }).dataDir = '</script>';
    const html = htmlReport(r);
    assert.doesNotMatch(html, /(src|href)\s*=\s*["']?(https?:)?\/\//i);
    assert.equal(html.match(/<\/script>/g)?.length, 2, 'only the two script elements close');
    assert.match(html, /<svg id="latency-plot"/);
    assert.match(html, /<svg id="throughput-plot"/);
    assert.match(html, /<svg id="latency-time-plot"/);
  });
});

describe('bench compare: direction and comparability', () => {
  test('each figure says which way is better, and B / A says better or worse', () => {
    const a = syntheticReport({ read: 1, intra: 2, cross: 8 });
    const b = syntheticReport({ read: 2, intra: 2, cross: 4 }, 2);
    const c = compareReports(a, b, { a: 'a.json', b: 'b.json' });
    const get = (series: 'read' | 'intra' | 'cross' | 'all', metric: string) =>
      c.series[series].find((v) => v.metric === metric)!;
    assert.equal(get('all', 'throughput/s').better, 'higher');
    assert.equal(get('all', 'latency p99 ms').better, 'lower');
    assert.equal(get('all', 'committed rate').better, 'higher');
    assert.equal(get('all', 'aborted rate').better, 'lower');
    assert.equal(get('all', 'count').better, null);
    assert.equal(verdict(get('read', 'latency p50 ms')), 'worse');
    assert.equal(verdict(get('cross', 'latency p99 ms')), 'better');
    assert.equal(verdict(get('intra', 'latency p50 ms')), 'same');
    assert.equal(verdict(get('all', 'count')), undefined);
    const text = comparisonText(c);
    assert.match(text, /2\.00x worse/);
    assert.match(text, /0\.50x better/);
    assert.deepEqual(c.warnings, []);
    assert.doesNotMatch(text, /warning:/);
  });

  test('a closed loop compared with an open loop is warned about', () => {
    const base = syntheticReport({ read: 1, intra: 2, cross: 8 });
    const closed: BenchReport = { ...base, loop: 'closed', params: { ...base.params, rateTps: null } };
    const open: BenchReport = { ...base, loop: 'open', params: { ...base.params, rateTps: 200 } };
    const c = compareReports(closed, open, { a: 'closed.json', b: 'open.json' });
    assert.equal(c.warnings.length, 1);
    assert.match(c.warnings[0]!, /^A is a closed loop \(no --rate\) and B an open loop \(--rate 200\)/);
    assert.match(comparisonText(c), /^warning: A is a closed loop/m);
  });
});
