import assert from 'node:assert/strict';
import { describe, test, type TestContext } from 'node:test';
import type { Completion } from '../../src/load/outcome.js';
import { Recorder } from '../../src/load/recorder.js';
import { runPhase, type Answer } from '../../src/load/scheduler.js';
import { WorkloadGenerator, type BenchRequest } from '../../src/load/workload.js';
import { defaultTopology } from '../../src/ledger/topology.js';

const later = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

describe('scheduler', () => {
  test('closed loop: exactly N requests, in the generator order, never more than the concurrency in flight', async () => {
    const generator = new WorkloadGenerator(
      defaultTopology,
      { readRatio: 0.2, crossShardRatio: 0.2, skew: 0, amount: 1 },
      3,
    );
    const twin = new WorkloadGenerator(
      defaultTopology,
      { readRatio: 0.2, crossShardRatio: 0.2, skew: 0, amount: 1 },
      3,
    );
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

  test('open loop: a slow server makes the queued arrivals wait, and that wait counts (no coordinated omission)', async (t) => {
    const time = virtualTime(t);
    const completions: Completion[] = [];
    // 500 arrivals/s (one every 2 ms), one at a time, each taking 10 ms: the server keeps up with only 100/s.
    const phase = runPhase({
      rateTps: 500,
      concurrency: 1,
      transactions: 30,
      durationMs: null,
      next: () => ({ type: 'read', account: 1 }),
      execute: () => new Promise<Answer>((resolve) => setTimeout(() => resolve({ outcome: 'committed' }), 10)),
      onCompletion: (c) => completions.push(c),
      now: time.now,
    });
    await time.drive(phase, 1);
    assert.equal(completions.length, 30);
    // Request i is due at 2i ms but can only be sent when i-1 is answered, at 10i ms: it is
    // answered at 10(i+1) ms. Service time stays 10 ms; latency, from the intended start, grows.
    assert.deepEqual(
      completions.map((c) => c.serviceUs),
      completions.map(() => 10_000),
    );
    assert.deepEqual(
      completions.map((c) => c.latencyUs),
      completions.map((_, i) => (10 * (i + 1) - 2 * i) * 1000),
    );
    // The 30th was due at 58 ms but could only start after 29 x 10 ms of service.
    assert.equal(completions.at(-1)!.latencyUs, 242_000);
  });

  test('open loop: requests go at their due times; --duration ends the sending; a failing request counts as unknown with its reason', async (t) => {
    const time = virtualTime(t);
    const completions: Completion[] = [];
    const sentAt: number[] = [];
    const phase = runPhase({
      rateTps: 200,
      concurrency: 8,
      transactions: null,
      durationMs: 100,
      next: () => ({ type: 'intra', from: 1, to: 2, amount: 1 }),
      execute: async () => {
        sentAt.push(time.now());
        throw new Error('connection closed');
      },
      onCompletion: (c) => completions.push(c),
      now: time.now,
    });
    const result = await time.drive(phase, 1);
    // 200/s: one every 5 ms, the last one due before 100 ms at 95 ms.
    assert.equal(result.issued, 20, `issued ${result.issued} in 100 ms at 200/s`);
    assert.deepEqual(
      sentAt,
      Array.from({ length: 20 }, (_, i) => 5 * i),
    );
    assert.equal(completions.length, 20);
    assert.ok(completions.every((c) => c.outcome === 'unknown' && c.reason === 'connection closed'));
    assert.ok(
      completions.every((c) => c.latencyUs === 0),
      'sent on time, answered at once',
    );
  });

  test('open loop across a broker outage: the schedule goes on, and what fell due meanwhile waits and is measured from its intended start', async (t) => {
    const time = virtualTime(t);
    const completions: Completion[] = [];
    // Disconnected from 100 to 300 ms: a request sent then waits for the connection (as the
    // client does) and is answered when it is back.
    const back = new Promise<void>((resolve) => setTimeout(resolve, 300));
    const phase = runPhase({
      rateTps: 100,
      concurrency: 4,
      transactions: 40,
      durationMs: null,
      next: () => ({ type: 'intra', from: 1, to: 2, amount: 1 }),
      execute: async () => {
        if (time.now() >= 100 && time.now() < 300) await back;
        return { outcome: 'committed' };
      },
      onCompletion: (c) => completions.push(c),
      now: time.now,
    });
    await time.drive(phase, 1);
    const dueMs = Array.from({ length: 40 }, (_, i) => 10 * i);
    assert.equal(completions.length, 40, 'nothing is dropped');
    // Every request due in the outage is answered at 300 ms: latency 300 - due, from its slot.
    assert.deepEqual(
      completions.map((c) => c.latencyUs / 1000),
      dueMs.map((d) => (d >= 100 && d < 300 ? 300 - d : 0)),
    );
    // The 4 sent at 100..130 waited in the client; the rest waited in the schedule, unsent.
    assert.deepEqual(
      completions.map((c) => c.serviceUs / 1000),
      dueMs.map((d) => (d >= 100 && d < 140 ? 300 - d : 0)),
    );
  });

  test('open loop: when the timer fires late, the requests due meanwhile go at once and their lateness counts', async (t) => {
    const time = virtualTime(t);
    const completions: Completion[] = [];
    const phase = runPhase({
      rateTps: 200,
      concurrency: 8,
      transactions: 10,
      durationMs: null,
      next: () => ({ type: 'read', account: 1 }),
      execute: async () => ({ outcome: 'committed' }),
      onCompletion: (c) => completions.push(c),
      now: time.now,
    });
    // Time moves in steps of 12 ms: a timer set for 5 ms fires at 12 ms, and so on.
    await time.drive(phase, 12);
    const dueMs = Array.from({ length: 10 }, (_, i) => 5 * i);
    assert.deepEqual(
      completions.map((c) => c.answeredAtMs),
      dueMs.map((d) => Math.ceil(d / 12) * 12),
    );
    assert.deepEqual(
      completions.map((c) => c.latencyUs),
      dueMs.map((d) => (Math.ceil(d / 12) * 12 - d) * 1000),
    );
    assert.ok(completions.every((c) => c.serviceUs === 0));
  });
});

/**
 * Virtual time for the scheduler, so these tests do not depend on how loaded the machine is:
 * `now` (the scheduler's injectable clock) reads it, and setTimeout (the scheduler's waits and
 * the fake server's service times) is mocked to fire as it advances.
 */
function virtualTime(t: TestContext) {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  let clock = 0;
  const now = () => clock;
  /** Advances time `stepMs` at a time, letting the scheduler run in between, until `phase` settles. */
  async function drive<T>(phase: Promise<T>, stepMs: number, limitMs = 10_000): Promise<T> {
    let settled = false;
    const watched = phase.finally(() => (settled = true));
    // setImmediate is not mocked: one turn lets every promise chain of the scheduler settle.
    await new Promise<void>((resolve) => setImmediate(resolve));
    while (!settled) {
      if (clock > limitMs) throw new Error(`the phase did not end within ${limitMs} virtual ms`);
      clock += stepMs;
      t.mock.timers.tick(stepMs);
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    return watched;
  }
  return { now, drive };
}

describe('recorder', () => {
  test('--rate 100 ending with 21 answers in the last 0.1 s: every interval reads 100 ok/s, no spike at the end', () => {
    const r = new Recorder(0);
    for (let second = 0; second < 3; second++)
      for (let i = 0; i < 100; i++)
        r.record({
          type: 'intra',
          outcome: 'committed',
          latencyUs: 5000,
          serviceUs: 5000,
          answeredAtMs: second * 1000 + i * 10 + 5,
        });
    for (let i = 0; i < 21; i++)
      r.record({ type: 'intra', outcome: 'committed', latencyUs: 5000, serviceUs: 5000, answeredAtMs: 3000 + i * 4 });
    r.finish(3100);
    assert.deepEqual(
      r.intervals.map((i) => i.successful / i.lengthS),
      [100, 100, 100],
    );
    assert.equal(r.all.counts.committed, 321, 'the last tenth of a second still counts in the totals');
  });

  test('a run shorter than a second keeps its one interval, at its own length', () => {
    const r = new Recorder(0);
    for (let i = 0; i < 30; i++)
      r.record({ type: 'intra', outcome: 'committed', latencyUs: 5000, serviceUs: 5000, answeredAtMs: i * 7 });
    r.finish(210);
    assert.deepEqual(
      r.intervals.map((i) => [i.lengthS, i.successful]),
      [[0.21, 30]],
    );
  });

  test('one interval per second, empty seconds included; the partial second the run ends in is left out of the timeline, not of the totals', () => {
    const r = new Recorder(1000);
    const answer = (atMs: number, outcome: Completion['outcome']) =>
      r.record({ type: 'intra', outcome, latencyUs: 5000, serviceUs: 5000, answeredAtMs: atMs });
    answer(1100, 'committed');
    answer(1900, 'aborted');
    assert.deepEqual(r.takeClosed(), []);
    answer(3500, 'committed');
    assert.deepEqual(
      r.takeClosed().map((i) => i.second),
      [1, 2],
      'an answer in second 3 closes seconds 1 and 2',
    );
    r.finish(3750);
    assert.deepEqual(r.takeClosed(), []);
    assert.deepEqual(
      r.intervals.map((i) => [i.second, i.lengthS, i.completed, i.successful, i.errors]),
      [
        [1, 1, 2, 1, 1],
        [2, 1, 0, 0, 0],
      ],
    );
    assert.equal(r.all.counts.committed, 2);
    assert.equal(r.byType.intra.latency.totalCount, 3);
  });
});
