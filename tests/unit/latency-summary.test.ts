import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { newHistogram, percentilesMs, recordUs } from '../../src/load/histograms.js';
import { Recorder } from '../../src/load/recorder.js';
import { LedgerClient } from '../../src/client/ledger-client.js';
import { roundMs } from '../../src/core/round-ms.js';
import { defaultTopology } from '../../src/ledger/topology.js';
import { latencySummary } from '../../src/testfile/latency-summary.js';
import { FakeTransport } from './helpers/fake-transport.js';

/** At most 3 decimals: what JSON.stringify prints for a rounded figure. */
const threeDecimals = (v: number) => /^-?\d+(\.\d{1,3})?$/.test(JSON.stringify(v));

describe("a set's latency summary (run and demo)", () => {
  test('a set whose slowest commands waited 3001.0 ms reports max 3001.0 and no percentile above it', () => {
    // A histogram with 3 significant digits put these in a bucket whose top is 3002.4 ms.
    const values = [2.1, 2.4, 3.3, 4.0, 5.5, 6.2, 7.1, 8.9, 3001.0, 3001.0];
    const s = latencySummary(values);
    assert.deepEqual(s, { p50: 5.5, p90: 3001, p99: 3001, max: 3001 });
  });

  test('percentiles are recorded values, ordered, and never above the max', () => {
    for (let seed = 1; seed <= 50; seed++) {
      const values = Array.from({ length: seed * 3 }, (_, i) => ((i * 7919 + seed * 104729) % 5000) / 1.7);
      const s = latencySummary(values);
      assert.ok(s.p50 <= s.p90 && s.p90 <= s.p99 && s.p99 <= s.max, JSON.stringify(s));
      assert.equal(s.max, roundMs(Math.max(...values)));
      for (const v of [s.p50, s.p90, s.p99])
        assert.ok(
          values.some((x) => roundMs(x) === v),
          `${v} is a recorded value`,
        );
    }
    assert.deepEqual(latencySummary([]), { p50: 0, p90: 0, p99: 0, max: 0 });
  });
});

describe('latencies in --json carry 3 decimals, no float noise', () => {
  test('roundMs', () => {
    assert.equal(roundMs(7.644710000000032), 7.645);
    assert.equal(roundMs(0.1 + 0.2), 0.3);
  });

  test('bench percentiles and mean, and the per-second p50/p99 of the timeline', () => {
    const h = newHistogram();
    for (const us of [7645, 1, 2, 33_333, 123_457]) recordUs(h, us);
    const p = percentilesMs(h);
    for (const [k, v] of Object.entries(p)) assert.ok(threeDecimals(v), `${k} = ${v}`);
    const r = new Recorder(0);
    for (let i = 0; i < 100; i++)
      r.record({
        type: 'intra',
        outcome: 'committed',
        latencyUs: 1000 + i * 37,
        serviceUs: 1000,
        answeredAtMs: i * 11,
      });
    r.finish(2500);
    for (const i of r.intervals)
      assert.ok(threeDecimals(i.latencyMsP50) && threeDecimals(i.latencyMsP99), JSON.stringify(i));
  });

  test("the client's transfer and balance latencies (transfer --json, balance --json, run --json)", async () => {
    const transport = new FakeTransport();
    await transport.close();
    const client = new LedgerClient(transport, defaultTopology, 'ledger', { attemptTimeoutMs: 100, deadlineMs: 2_000 });
    for (let i = 0; i < 5; i++) {
      const t = await client.transfer(1, 2, 1);
      const b = await client.balance(1, 'linearizable');
      assert.ok(threeDecimals(t.latencyMs) && threeDecimals(b.latencyMs), `${t.latencyMs} ${b.latencyMs}`);
    }
  });
});
