import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { batchText } from '../../src/cli/render.js';
import { commandText, outcomeText, performanceLines } from '../../src/cli/run-view.js';
import type { Command } from '../../src/protocol/commands.js';
import type { SetPerformance } from '../../src/testfile/runner.js';

describe('commandText: a command as the file writes it', () => {
  test('a transfer, a read, a fail and a recover read as (s, r, amt), (s), F(nK), R(nK)', () => {
    assert.equal(commandText({ op: 'transfer', from: 1001, to: 3002, amount: 7, line: 4 }), '(1001, 3002, 7)');
    assert.equal(commandText({ op: 'balance', account: 1002, line: 5 }), '(1002)');
    assert.equal(commandText({ op: 'fail', node: 4, line: 6 }), 'F(n4)');
    assert.equal(commandText({ op: 'recover', node: 12, line: 7 }), 'R(n12)');
  });
});

describe('outcomeText: what became of a command', () => {
  const transfer = { op: 'transfer' as const, from: 1, to: 2, amount: 3, latencyMs: 1.5 };

  test('a committed transfer reads "committed", whatever reason it carries', () => {
    assert.equal(outcomeText({ ...transfer, status: 'committed' }), 'committed');
    assert.equal(outcomeText({ ...transfer, status: 'committed', reason: 'ignored' }), 'committed');
  });

  test('insufficient-funds with a reason shows both', () => {
    assert.equal(
      outcomeText({ ...transfer, status: 'insufficient-funds', reason: 'balance 2' }),
      'insufficient-funds: balance 2',
    );
  });

  test('aborted and unknown show their status, and their reason when there is one', () => {
    assert.equal(outcomeText({ ...transfer, status: 'aborted' }), 'aborted');
    assert.equal(outcomeText({ ...transfer, status: 'aborted', reason: 'locked' }), 'aborted: locked');
    assert.equal(
      outcomeText({ ...transfer, status: 'unknown', reason: 'no answer in 5000 ms' }),
      'unknown: no answer in 5000 ms',
    );
  });

  test('a long reason is kept whole (the row cuts it to the terminal, a pipe gets it all)', () => {
    const text = outcomeText({ ...transfer, status: 'aborted', reason: 'x'.repeat(100) });
    assert.equal(text, `aborted: ${'x'.repeat(100)}`);
  });

  test('a read with a balance shows it, zero included', () => {
    assert.equal(outcomeText({ op: 'balance', account: 7, balance: 12, latencyMs: 2 }), 'balance 12');
    assert.equal(outcomeText({ op: 'balance', account: 7, balance: 0, latencyMs: 2 }), 'balance 0');
  });

  test('a read with no balance says it had no answer, and why', () => {
    assert.equal(
      outcomeText({ op: 'balance', account: 7, balance: null, latencyMs: 2, reason: 'no quorum' }),
      'no answer: no quorum',
    );
  });

  test('fail and recover name the node', () => {
    assert.equal(outcomeText({ op: 'fail', node: 3 }), 'n3 failed');
    assert.equal(outcomeText({ op: 'recover', node: 21 }), 'n21 recovered');
  });
});

describe('performanceLines', () => {
  test('show the transactions, time, throughput, latency percentiles and every count given', () => {
    const p: SetPerformance = {
      transactions: 37,
      seconds: 2.5,
      throughputPerSecond: 14.8,
      latencyMs: { p50: 3.25, p90: 11.5, p99: 42.75, max: 120.5 },
      transfers: { committed: 29, 'insufficient-funds': 3, aborted: 2, unknown: 1, unavailable: 4 },
      reads: { answered: 5, unanswered: 6, notSent: 7 },
    };
    const lines = performanceLines(p);
    assert.equal(lines.length, 5, 'transfers (two lines) and reads on lines of their own, each within 80 columns');
    for (const line of lines) assert.ok(line.length <= 80, line);
    const text = lines.join('\n');
    assert.match(lines[0] ?? '', /37 transactions in 2\.50 s: 14\.8 per second/);
    assert.match(lines[1] ?? '', /p50 3\.\d ms, p90 11\.5 ms, p99 42\.\d ms, max 120\.5 ms/);
    for (const part of [
      'committed 29',
      'insufficient-funds 3',
      'aborted 2',
      'unknown 1',
      'unavailable (not sent) 4',
      'answered 5',
      'unanswered 6',
      'not sent 7',
    ])
      assert.ok(text.includes(part), `has "${part}": ${text}`);
  });
});

describe('batchText: a log slot as PrintView shows it', () => {
  const cmd = (op: Command['op']): Command => ({ clientId: 'c1', seq: 1, op });

  test('an empty slot (null) is NO-OP, an empty batch "empty", anything else "?"', () => {
    assert.equal(batchText(null), 'NO-OP');
    assert.equal(batchText(undefined), 'NO-OP');
    assert.equal(batchText([]), 'empty');
    assert.equal(batchText({ op: { kind: 'transfer' } }), '?');
  });

  test('a transfer and a read read as the file writes them, several in one slot separated by spaces', () => {
    assert.equal(batchText([cmd({ kind: 'transfer', from: 1001, to: 1002, amount: 3 })]), '(1001, 1002, 3)');
    assert.equal(batchText([cmd({ kind: 'balance', account: 1005 })]), '(1005)');
    assert.equal(
      batchText([cmd({ kind: 'transfer', from: 1001, to: 1002, amount: 3 }), cmd({ kind: 'balance', account: 1005 })]),
      '(1001, 1002, 3) (1005)',
    );
  });

  test('a refused transfer says so, with the reason', () => {
    assert.equal(
      batchText([cmd({ kind: 'transfer', from: 1, to: 2, amount: 3, abort: 'locked' })]),
      '(1, 2, 3) refused: locked',
    );
  });

  test('a coordinator prepare shows the transfer', () => {
    assert.equal(
      batchText([cmd({ kind: 'x-prepare-coordinator', from: 1001, to: 4001, amount: 2, participant: 2 })]),
      '2PC prepare (1001, 4001, 2)',
    );
    assert.equal(
      batchText([
        cmd({ kind: 'x-prepare-coordinator', from: 1001, to: 4001, amount: 2, participant: 2, abort: 'locked' }),
      ]),
      '2PC prepare (1001, 4001, 2) refused: locked',
    );
  });

  test('a participant prepare shows the coordinator cluster, the account credited and the amount', () => {
    assert.equal(
      batchText([cmd({ kind: 'x-prepare-participant', to: 4001, amount: 2, coordinator: 1 })]),
      '2PC prepare (c1 -> 4001, 2)',
    );
    assert.equal(
      batchText([cmd({ kind: 'x-prepare-participant', to: 4001, amount: 2, coordinator: 1, abort: 'locked' })]),
      '2PC prepare (c1 -> 4001, 2) refused: locked',
    );
  });

  test('a decision shows commit or abort, and the reason when there is one', () => {
    assert.equal(
      batchText([cmd({ kind: 'x-decide', role: 'coordinator', decision: 'commit', peer: 2 })]),
      '2PC commit',
    );
    assert.equal(
      batchText([cmd({ kind: 'x-decide', role: 'participant', decision: 'abort', reason: 'participant-aborted' })]),
      '2PC abort (participant-aborted)',
    );
  });

  test('the end of a transaction reads "2PC end"', () => {
    assert.equal(batchText([cmd({ kind: 'x-end' })]), '2PC end');
  });

  test('an entry of unknown kind reads "?" beside the ones it knows', () => {
    assert.equal(batchText([{ op: { kind: 'mystery' } }, cmd({ kind: 'x-end' })]), '? 2PC end');
  });
});
