import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { describe, test } from 'node:test';
import { compareReports } from '../../bench/compare.js';
import { executor, notSentReason } from '../../src/load/execute.js';
import { htmlReport } from '../../bench/html-report.js';
import type { Outcome } from '../../src/load/outcome.js';
import { resolveParams } from '../../bench/params.js';
import { Recorder } from '../../src/load/recorder.js';
import { outageLine, progressLine, summaryText } from '../../bench/render-text.js';
import { buildReport } from '../../bench/report.js';
import { renderTop } from '../../src/cli/top-render.js';
import type { LedgerClient, TransferResult } from '../../src/client/ledger-client.js';
import { defaultTopology } from '../../src/ledger/topology.js';
import { buildClusterView } from '../../src/observability/cluster-view.js';
import { disconnectedText } from '../../src/transport/transport.js';

/** Answers each transfer with the next status of `script` (the last one repeats). */
function scriptedClient(script: TransferResult['status'][]): { client: LedgerClient; sendTimes: number[] } {
  const sendTimes: number[] = [];
  let i = 0;
  const client = {
    async transfer(from: number, to: number, amount: number): Promise<TransferResult> {
      sendTimes.push(performance.now());
      const status = script[Math.min(i++, script.length - 1)] as TransferResult['status'];
      return {
        status,
        from,
        to,
        amount,
        latencyMs: 0,
        attempts: status === 'unavailable' ? 0 : 1,
        reason: status === 'unavailable' ? 'not sent: the connection to NATS is closed' : 'no answer',
      };
    },
  } as unknown as LedgerClient;
  return { client, sendTimes };
}

const transfer = { type: 'intra' as const, from: 1, to: 2, amount: 1 };

describe('the bench executor when requests cannot be sent', () => {
  test('unavailable is its own outcome, with one reason for all (`unavailable: not sent`), apart from unknown', async () => {
    const { client } = scriptedClient(['unknown', 'unavailable']);
    const execute = executor(client, 'linearizable', () => 0);
    // The attempts the client sent come along, for the report's attempts per transfer.
    assert.deepEqual(await execute(transfer), { outcome: 'unknown', reason: 'no answer', attempts: 1 });
    assert.deepEqual(await execute(transfer), { outcome: 'unavailable', reason: notSentReason });
  });

  test('no hot loop: after a request that was not sent, the next ones back off (>= 10 ms, doubling)', async () => {
    const { client, sendTimes } = scriptedClient(['unavailable']);
    // random() = 1: the full backoff each time: 0, 10, 20, 40, 80, 160 ms before the sends.
    const execute = executor(client, 'linearizable', () => 1);
    for (let i = 0; i < 6; i++) await execute(transfer);
    const gaps = sendTimes.slice(1).map((t, i) => t - (sendTimes[i] as number));
    // Lower bounds only (a timer may fire late, never early: 1 ms of slack for rounding).
    [10, 20, 40, 80, 160].forEach((want, i) =>
      assert.ok((gaps[i] as number) >= want - 1, `gap ${i}: ${gaps[i]} ms, want >= ${want}`),
    );
  });

  test('even with no jitter drawn the floor holds: at most ~100 tries a second', async () => {
    const { client, sendTimes } = scriptedClient(['unavailable']);
    const execute = executor(client, 'linearizable', () => 0);
    const started = performance.now();
    for (let i = 0; i < 11; i++) await execute(transfer);
    assert.ok(performance.now() - started >= 99, `11 tries took ${performance.now() - started} ms`);
    assert.equal(sendTimes.length, 11);
  });

  test('an answer that was sent ends the backoff', async () => {
    // Five failures would make the next wait 160 ms (10, 20, 40, 80, 160): a wait of half that
    // after a committed answer could only be the backoff, however loaded the machine.
    const { client, sendTimes } = scriptedClient([
      'unavailable',
      'unavailable',
      'unavailable',
      'unavailable',
      'unavailable',
      'committed',
      'committed',
    ]);
    const execute = executor(client, 'linearizable', () => 1);
    for (let i = 0; i < 7; i++) await execute(transfer);
    const last = (sendTimes[6] as number) - (sendTimes[5] as number);
    assert.ok(last < 80, `no wait after a committed answer: ${last} ms`);
  });
});

describe('the report marks the outage', () => {
  const record = (r: Recorder, atMs: number, outcome: Outcome, reason?: string) =>
    r.record({
      type: 'intra',
      outcome,
      latencyUs: 1000,
      serviceUs: 1000,
      answeredAtMs: atMs,
      ...(reason === undefined ? {} : { reason }),
    });

  test('the longest stretch without a commit, between two commits', () => {
    const r = new Recorder(1_000);
    record(r, 1_100, 'committed');
    record(r, 1_200, 'committed');
    record(r, 2_000, 'unavailable', notSentReason);
    record(r, 4_200, 'committed');
    record(r, 4_300, 'committed');
    r.finish(4_400);
    assert.deepEqual(r.longestWithoutCommit, { ms: 3_000, fromMs: 200, toMs: 3_200 });
  });

  test('a run that ends in an outage: the stretch runs to the end', () => {
    const r = new Recorder(0);
    record(r, 100, 'committed');
    record(r, 900, 'unknown', 'no answer');
    r.finish(5_000);
    assert.deepEqual(r.longestWithoutCommit, { ms: 4_900, fromMs: 100, toMs: 5_000 });
  });

  test('the report counts unavailable apart from unknown and says how long the run was disconnected', () => {
    const r = new Recorder(0);
    record(r, 100, 'committed');
    record(r, 200, 'unknown', 'no answer');
    for (let i = 0; i < 3; i++) record(r, 300 + i, 'unavailable', notSentReason);
    record(r, 2_600, 'committed');
    r.finish(3_000);
    const params = resolveParams({ seed: '1', preset: 'small' }, () => 0);
    const report = buildReport(r, {
      params,
      topology: defaultTopology,
      cluster: { dataDir: '/tmp/x', startedByBench: false },
      startedAt: new Date(0),
      elapsedS: 3,
      warmup: { requests: 0, seconds: 0 },
      interrupted: false,
      disconnects: 1,
      disconnectedS: 2.25,
    });
    assert.equal(report.all.counts.unknown, 1);
    assert.equal(report.all.counts.unavailable, 3);
    assert.ok(Math.abs(report.all.rates.unavailable - 0.5) < 1e-12);
    assert.deepEqual(report.reasons, { 'unavailable: not sent': 3, 'unknown: no answer': 1 });
    assert.deepEqual(report.outage, {
      disconnects: 1,
      disconnectedS: 2.25,
      longestWithoutCommit: { seconds: 2.5, fromS: 0.1, toS: 2.6 },
    });
    assert.equal(report.timeline[0]?.errors, 4, 'unknown and unavailable are errors in the progress line');
    assert.equal(
      outageLine(report),
      'disconnected from NATS 1 time(s), 2.25 s in all; longest without a commit: 2.50 s (from 0.10 s to 2.60 s)',
    );
    const text = summaryText(report);
    assert.match(text, /unavailable/);
    assert.ok(text.includes(outageLine(report)));
    assert.ok(htmlReport(report).includes(outageLine(report)), 'the HTML report marks the outage too');
    // A report saved before `unavailable` existed still compares, with a rate of 0 for it.
    const older = structuredClone(report);
    delete (older.all.rates as Partial<typeof older.all.rates>).unavailable;
    const row = compareReports(older, report, { a: 'old.json', b: 'new.json' }).series.all.find(
      (v) => v.metric === 'unavailable rate',
    );
    assert.deepEqual(row, { metric: 'unavailable rate', a: 0, b: 0.5, ratio: null, better: 'lower' });
  });
});

describe('progress lines and top say the connection is lost', () => {
  const lost = { connected: false, closed: false, reconnectAttempt: 7, disconnects: 1, disconnectedMs: 1_500 };

  test('the words and the attempt', () => {
    assert.equal(disconnectedText(lost), 'disconnected from NATS, reconnecting (attempt 7)');
    assert.equal(disconnectedText({ ...lost, connected: true, reconnectAttempt: 0 }), undefined);
    assert.equal(disconnectedText({ ...lost, closed: true }), 'the connection to NATS is closed');
  });

  test('the bench progress line and the head line of top carry them', () => {
    const interval = {
      second: 9,
      lengthS: 1,
      completed: 0,
      successful: 0,
      errors: 0,
      latencyMsP50: 0,
      latencyMsP99: 0,
    };
    assert.match(
      progressLine(interval, disconnectedText(lost)),
      /errors 0 {2}disconnected from NATS, reconnecting \(attempt 7\)$/,
    );
    assert.doesNotMatch(progressLine(interval), /disconnected/);
    const head = renderTop(buildClusterView(defaultTopology, new Map(), 0), disconnectedText(lost)).split('\n')[0];
    assert.match(head ?? '', /disconnected from NATS, reconnecting \(attempt 7\)/);
  });
});
