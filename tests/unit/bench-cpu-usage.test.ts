import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { cpuSecondsOf, cpuUse, cpuUseText } from '../../bench/cpu-usage.js';

describe('CPU per transfer (bench:quick --cpu, ledger bench)', () => {
  test('a process CPU comes from /proc; a process that is gone is unknown', () => {
    // Burn a little CPU so this process has used some.
    let x = 0;
    for (let i = 0; i < 2e6; i++) x += Math.sqrt(i);
    assert.ok(x > 0);
    const own = cpuSecondsOf(process.pid);
    assert.ok(own > 0 && Number.isFinite(own), `${own}`);
    // PIDs stop well below 2^22 on Linux.
    assert.ok(Number.isNaN(cpuSecondsOf(2 ** 22 + 7)));
  });

  test('CPU between two snapshots, per process and per transfer; unknown stays null, not 0', () => {
    const before = new Map([
      ['nats', 1],
      ['n1', 2],
      ['gone', 5],
    ]);
    const after = new Map([
      ['nats', 1.5],
      ['n1', 3],
      ['gone', Number.NaN],
    ]);
    const use = cpuUse(before, after, 10_000);
    assert.deepEqual(use.seconds, { nats: 0.5, n1: 1, gone: null });
    assert.equal(use.totalSeconds, 1.5);
    // 0.5 s over 10,000 transfers is 50 us each.
    assert.deepEqual(use.usPerTransfer, { nats: 50, n1: 100, gone: null });
    assert.equal(use.totalUsPerTransfer, 150);
    assert.equal(cpuUseText(use), 'nats 0.50, n1 1.00, gone ?; total 1.50 s (150 us a transfer)');
    const none = cpuUse(before, after, 0);
    assert.equal(none.totalUsPerTransfer, null);
    assert.match(cpuUseText(none), /no transfer committed/);
  });
});
