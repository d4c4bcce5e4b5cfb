import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { SeededRandom } from '../../src/core/random.js';
import { heldBytesMax, heldDeliveriesMax, TransportFaults, type FaultTimers } from '../../src/node/transport-faults.js';

/**
 * The transport failpoint of `ledger node disturb`, on a virtual clock and a seeded random
 * source: what it delivers, when, how often, and that what it holds stays bounded.
 */

/** Timers on a virtual clock: `advance` runs what falls due, in time order (ties: set order). */
class VirtualTimers implements FaultTimers {
  nowMs = 0;
  private timers: Array<{ at: number; order: number; run: () => void; cancelled: boolean }> = [];
  private order = 0;

  after(ms: number, run: () => void): () => void {
    const timer = { at: this.nowMs + ms, order: this.order++, run, cancelled: false };
    this.timers.push(timer);
    return () => void (timer.cancelled = true);
  }

  get waiting(): number {
    return this.timers.filter((t) => !t.cancelled).length;
  }

  advance(ms: number): void {
    const until = this.nowMs + ms;
    for (;;) {
      const due = this.timers
        .filter((t) => !t.cancelled && t.at <= until)
        .sort((a, b) => a.at - b.at || a.order - b.order)[0];
      if (due === undefined) break;
      this.timers.splice(this.timers.indexOf(due), 1);
      this.nowMs = due.at;
      due.run();
    }
    this.nowMs = until;
  }
}

function setup(seed = 1) {
  const timers = new VirtualTimers();
  const effects: string[] = [];
  const faults = new TransportFaults(new SeededRandom(seed), timers, (effect) => void effects.push(effect));
  const delivered: Array<{ message: number; atMs: number }> = [];
  const send = (message: number, bytes = 100) =>
    faults.deliver(message, bytes, (m) => void delivered.push({ message: m, atMs: timers.nowMs }));
  return { timers, faults, effects, delivered, send };
}

describe('transport faults', () => {
  test('calm, it delivers every message at once, once, in order, and holds nothing', () => {
    const { faults, delivered, send, timers, effects } = setup();
    assert.equal(faults.armed, null);
    for (let i = 0; i < 100; i++) send(i);
    assert.deepEqual(
      delivered.map((d) => d.message),
      Array.from({ length: 100 }, (_, i) => i),
    );
    assert.equal(timers.waiting, 0);
    assert.deepEqual(effects, []);
    assert.deepEqual(faults.counts, { delayed: 0, duplicated: 0, overflowed: 0, held: 0 });
  });

  test('0 and 0 disarm it: afterwards it delivers at once again', () => {
    const { faults, delivered, send } = setup();
    faults.arm({ duplicatePercent: 100, delayMsMax: 0 });
    assert.deepEqual(faults.armed, { duplicatePercent: 100, delayMsMax: 0 });
    send(1);
    faults.arm({ duplicatePercent: 0, delayMsMax: 0 });
    assert.equal(faults.armed, null);
    send(2);
    assert.deepEqual(
      delivered.map((d) => d.message),
      [1, 1, 2],
    );
  });

  test('it duplicates about the share it is given, and every message arrives at least once', () => {
    for (const percent of [10, 50, 90]) {
      const { faults, delivered, send } = setup(percent);
      faults.arm({ duplicatePercent: percent, delayMsMax: 0 });
      const n = 4_000;
      for (let i = 0; i < n; i++) send(i);
      const copies = new Map<number, number>();
      for (const d of delivered) copies.set(d.message, (copies.get(d.message) ?? 0) + 1);
      assert.equal(copies.size, n, 'none lost');
      assert.ok(
        [...copies.values()].every((c) => c === 1 || c === 2),
        'none more than twice',
      );
      const twice = [...copies.values()].filter((c) => c === 2).length;
      assert.equal(faults.counts.duplicated, twice);
      // 4000 draws: the share is within a few points of the setting (binomial sd <= 0.8 %).
      assert.ok(Math.abs((twice / n) * 100 - percent) < 3, `${percent} %: ${twice} of ${n} duplicated`);
    }
  });

  test('random delays up to the bound reorder messages, and all of them arrive within it', () => {
    const { faults, delivered, send, timers } = setup(7);
    faults.arm({ duplicatePercent: 0, delayMsMax: 50 });
    for (let i = 0; i < 200; i++) {
      send(i);
      timers.advance(1);
    }
    assert.ok(faults.counts.held > 0, 'some wait');
    timers.advance(50);
    assert.equal(faults.counts.held, 0);
    assert.equal(delivered.length, 200, 'each once');
    assert.deepEqual(new Set(delivered.map((d) => d.message)).size, 200);
    // Message i was sent at i ms, so it arrives within [i, i + 50].
    for (const d of delivered) assert.ok(d.atMs >= d.message && d.atMs <= d.message + 50, JSON.stringify(d));
    const overtaken = delivered.filter((d, k) => k > 0 && d.message < delivered[k - 1]!.message).length;
    assert.ok(overtaken > 20, `only ${overtaken} arrived after a later message`);
    assert.ok(faults.counts.delayed > 150, `${faults.counts.delayed} delayed`);
  });

  test('a duplicate waits its own delay: it may arrive before or after the original', () => {
    const { faults, delivered, send, timers } = setup(3);
    faults.arm({ duplicatePercent: 100, delayMsMax: 100 });
    for (let i = 0; i < 50; i++) send(i);
    timers.advance(100);
    const times = new Map<number, number[]>();
    for (const d of delivered) times.set(d.message, [...(times.get(d.message) ?? []), d.atMs]);
    assert.equal(times.size, 50);
    assert.ok([...times.values()].every((t) => t.length === 2));
    assert.ok(
      [...times.values()].filter(([a, b]) => a !== b).length > 40,
      'the two copies of a message arrive at different times',
    );
  });

  test('it holds at most heldDeliveriesMax deliveries: beyond that it delivers at once and counts it', () => {
    const { faults, delivered, send, timers, effects } = setup(5);
    faults.arm({ duplicatePercent: 0, delayMsMax: 2_000 });
    const n = heldDeliveriesMax + 2_000;
    for (let i = 0; i < n; i++) send(i, 1);
    const { held, overflowed, delayed } = faults.counts;
    assert.equal(held, heldDeliveriesMax);
    assert.ok(overflowed > 1_500, `${overflowed} overflowed`);
    assert.equal(delayed, heldDeliveriesMax, 'none delivered yet: every delay taken is still held');
    assert.equal(effects.filter((e) => e === 'overflowed').length, overflowed);
    timers.advance(2_000);
    assert.equal(delivered.length, n, 'nothing lost at the bound');
    assert.equal(faults.counts.held, 0);
  });

  test('it holds at most heldBytesMax bytes', () => {
    const { faults, delivered, send, timers } = setup(9);
    faults.arm({ duplicatePercent: 0, delayMsMax: 2_000 });
    const mib = 1_048_576;
    for (let i = 0; i < 40; i++) send(i, mib);
    assert.ok(faults.counts.held <= heldBytesMax / mib, `${faults.counts.held} MiB held`);
    assert.ok(faults.counts.overflowed >= 40 - heldBytesMax / mib);
    timers.advance(2_000);
    assert.equal(delivered.length, 40);
  });

  test('disarmed while messages wait: they still arrive, within their delay; stop drops them', () => {
    const { faults, delivered, send, timers } = setup(11);
    faults.arm({ duplicatePercent: 0, delayMsMax: 500 });
    for (let i = 0; i < 100; i++) send(i);
    const waiting = faults.counts.held;
    assert.ok(waiting > 90);
    faults.arm({ duplicatePercent: 0, delayMsMax: 0 });
    timers.advance(500);
    assert.equal(delivered.length, 100);

    faults.arm({ duplicatePercent: 0, delayMsMax: 500 });
    for (let i = 0; i < 100; i++) send(i);
    const before = delivered.length;
    faults.stop();
    assert.equal(faults.counts.held, 0);
    timers.advance(500);
    assert.equal(timers.waiting, 0, 'timers cancelled');
    assert.ok(delivered.length - before < 10, 'held ones dropped (only delay-0 ones went at once)');
  });

  test('one seed replays the same deliveries', () => {
    const run = () => {
      const { faults, delivered, send, timers } = setup(42);
      faults.arm({ duplicatePercent: 30, delayMsMax: 20 });
      for (let i = 0; i < 300; i++) {
        send(i);
        timers.advance(1);
      }
      timers.advance(20);
      return delivered;
    };
    assert.deepEqual(run(), run());
  });
});
