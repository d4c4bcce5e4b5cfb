import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Completion } from '../../bench/outcome.js';
import { Recorder } from '../../bench/recorder.js';
import { runPhase, type Answer } from '../../bench/scheduler.js';
import { WorkloadGenerator, type BenchRequest } from '../../bench/workload.js';
import { defaultTopology } from '../../src/ledger/topology.js';

const later = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

describe('scheduler', () => {
  test('closed loop: exactly N requests, in the generator order, never more than the concurrency in flight', async () => {
    const generator = new WorkloadGenerator(defaultTopology, { readRatio: 0.2, crossShardRatio: 0.2, skew: 0, amount: 1 }, 3);
    const twin = new WorkloadGenerator(defaultTopology, { readRatio: 0.2, crossShardRatio: 0.2, skew: 0, amount: 1 }, 3);
    const expected = Array.from({ length: 100 }, () => twin.next());
    const sent: BenchRequest[] = [];
    const completions: Completion[] = [];
    let inFlight = 0;
    let most = 0;
    const result = await runPhase({
      rateTps: null,
      concurrency: 4,
      transactions: 100,
      durationMs: null,
      next: () => generator.next(),
      execute: async (request): Promise<Answer> => {
        sent.push(request);
        most = Math.max(most, ++inFlight);
        await later(1);
        inFlight--;
        return { outcome: 'committed' };
      },
      onCompletion: (c) => completions.push(c),
    });
    assert.equal(result.issued, 100);
    assert.equal(completions.length, 100);
    assert.equal(most, 4);
    assert.deepEqual(sent, expected);
    // Closed loop: the intended start is the send, so latency and service time agree.
    for (const c of completions) assert.ok(Math.abs(c.latencyUs - c.serviceUs) < 1, JSON.stringify(c));
  });

  test('open loop: a slow server makes the queued arrivals wait, and that wait counts (no coordinated omission)', async () => {
    const completions: Completion[] = [];
    // 500 arrivals/s, one at a time, each taking ~10 ms: the server keeps up with only 100/s.
    await runPhase({
      rateTps: 500,
      concurrency: 1,
      transactions: 30,
      durationMs: null,
      next: () => ({ type: 'read', account: 1 }),
      execute: async () => {
        await later(10);
        return { outcome: 'committed' };
      },
      onCompletion: (c) => completions.push(c),
    });
    const last = completions.at(-1)!;
    // The 30th was due at 58 ms but could only start after 29 x 10 ms of service.
    assert.ok(last.serviceUs < 40_000, `service ${last.serviceUs}`);
    assert.ok(last.latencyUs > 200_000, `latency from intended start ${last.latencyUs}`);
  });

  test('a failing request counts as unknown with its reason; --duration ends the sending', async () => {
    const completions: Completion[] = [];
    const result = await runPhase({
      rateTps: 200,
      concurrency: 8,
      transactions: null,
      durationMs: 100,
      next: () => ({ type: 'intra', from: 1, to: 2, amount: 1 }),
      execute: async () => {
        throw new Error('connection closed');
      },
      onCompletion: (c) => completions.push(c),
    });
    assert.ok(result.issued >= 15 && result.issued <= 21, `issued ${result.issued} in 100 ms at 200/s`);
    assert.ok(completions.every((c) => c.outcome === 'unknown' && c.reason === 'connection closed'));
  });
});

describe('recorder', () => {
  test('one interval per second, empty seconds included, the last one partial', () => {
    const r = new Recorder(1000);
    const answer = (atMs: number, outcome: Completion['outcome']) => r.record({ type: 'intra', outcome, latencyUs: 5000, serviceUs: 5000, answeredAtMs: atMs });
    answer(1100, 'committed');
    answer(1900, 'aborted');
    assert.deepEqual(r.takeClosed(), []);
    answer(3500, 'committed');
    assert.deepEqual(r.takeClosed().map((i) => i.second), [1, 2], 'an answer in second 3 closes seconds 1 and 2');
    r.finish(3750);
    const closed = r.takeClosed();
    assert.deepEqual(
      r.intervals.map((i) => [i.second, i.completed, i.successful, i.errors]),
      [[1, 2, 1, 1], [2, 0, 0, 0], [3, 1, 1, 0]],
    );
    assert.deepEqual(closed.map((i) => i.second), [3]);
    assert.equal(r.intervals[2]!.lengthS, 0.75);
    assert.equal(r.all.counts.committed, 2);
    assert.equal(r.byType.intra.latency.totalCount, 3);
  });
});
