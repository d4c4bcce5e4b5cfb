import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import type { NodeStatus } from '../../src/protocol/admin.js';
import { stdoutLayout, table, type Layout } from '../../src/cli/render.js';
import { runHead, runRow } from '../../src/cli/run-view.js';
import type { NodeStatusRow } from '../../src/client/ledger-client.js';
import { renderStatus } from '../../src/cli/status-render.js';
import { renderTop } from '../../src/cli/top-render.js';
import { defaultTopology } from '../../src/ledger/topology.js';
import { buildClusterView, type Received } from '../../src/observability/cluster-view.js';
import { sampleSnapshot } from './metrics-fixtures.js';

const terminal80: Layout = { width: 80, plain: false };
const pipe: Layout = { width: Infinity, plain: true };
const wide: Layout = { width: Infinity, plain: false };
const longest = (text: string) => Math.max(...text.split('\n').map((l) => [...l].length));

/** Nine busy nodes with the widest figures a live system shows: five-digit rates and commit
 *  indexes, three-digit latencies, a silent node that was a follower. */
function busyView() {
  const latest = new Map<number, Received>();
  for (let node = 1; node <= 9; node++) {
    const cluster = Math.ceil(node / 3);
    const leader = (cluster - 1) * 3 + 1;
    const role = node === leader ? 'leader' : 'follower';
    latest.set(node, {
      snapshot: sampleSnapshot({
        node,
        cluster,
        role,
        leader,
        ballot: '12.7',
        commitIndex: 123_456,
        lagSlots: 12,
        repliesPerSec: 12_345,
        commitsPerSec: 12_001,
        latencyMsP50: 123.4,
        latencyMsP99: 2999.9,
        pendingRequests: 128,
        pendingCommands: 64,
        batchCommandsMean: 12.5,
        commitsTotal: 1_234_567,
      }),
      receivedAtMs: node === 9 ? 90_000 : 99_800,
    });
  }
  return buildClusterView(defaultTopology, latest, 100_000);
}

function statusRows(): NodeStatusRow[] {
  const rows: NodeStatusRow[] = [];
  for (let node = 1; node <= 9; node++) {
    const cluster = Math.ceil(node / 3);
    if (node === 8) {
      rows.push({ node, cluster, role: 'down', reason: 'no answer within 1000 ms (killed or not started)' });
      continue;
    }
    const leader = (cluster - 1) * 3 + 1;
    rows.push({
      node,
      cluster,
      role: node === leader ? 'leader' : 'follower',
      leader,
      ballot: '123.1',
      commitIndex: 123_456,
      appliedIndex: 123_450,
      failed: node === 5,
      isolated: node === 6,
      pid: 4_194_304,
    } as NodeStatus);
  }
  return rows;
}

describe('the shared table renderer', () => {
  const head = [{ head: 'name' }, { head: 'n', right: true }, { head: 'extra', drop: 1 }, { head: 'more', drop: 2 }];
  const rows = [
    ['alpha', 1, 'x'.repeat(30), 'y'.repeat(30)],
    ['b', 22, '', 'z'],
  ];

  test('a terminal table has a head, one rule under it and one line a row: no rule between rows', () => {
    const lines = table(head, rows, wide).split('\n');
    assert.equal(lines.length, 2 + rows.length);
    assert.match(lines[1] ?? '', /^─+( {2}─+)+$/);
    assert.equal(lines.filter((l) => /─/.test(l)).length, 1);
    assert.match(lines[3] ?? '', /^b {6}22 {2}\s+z$/);
  });

  test('too wide for the terminal, the columns with the highest drop number go first', () => {
    const narrow = table(head, rows, { width: 50, plain: false });
    assert.ok(longest(narrow) <= 50, narrow);
    assert.match(narrow, /^name\s+n\s+extra$/m);
    assert.doesNotMatch(narrow, /more/);
    const tiny = table(head, rows, { width: 20, plain: false });
    assert.match(tiny, /^name\s+n$/m);
  });

  test('into a pipe: every column, no rule, "-" for an empty cell', () => {
    const text = table(head, rows, { width: Infinity, plain: true });
    assert.equal(text.split('\n').length, 3);
    assert.doesNotMatch(text, /[─│┌]/);
    assert.match(text, /^b\s+22\s+-\s+z$/m);
    assert.match(text, /^name\s+n\s+extra\s+more$/m);
  });
});

describe('stdoutLayout: plain into a pipe, fitted on a terminal', () => {
  test('stdout not a terminal: plain, no width limit; a terminal: its width, or none with --wide', () => {
    const saved = { isTTY: process.stdout.isTTY, columns: process.stdout.columns };
    try {
      Object.assign(process.stdout, { isTTY: false });
      assert.deepEqual(stdoutLayout(), { width: Infinity, plain: true });
      assert.deepEqual(stdoutLayout({ wide: true }), { width: Infinity, plain: true });
      Object.assign(process.stdout, { isTTY: true, columns: 80 });
      assert.deepEqual(stdoutLayout(), { width: 80, plain: false });
      assert.deepEqual(stdoutLayout({ wide: true }), { width: Infinity, plain: false });
    } finally {
      Object.assign(process.stdout, saved);
    }
  });
});

describe('nine nodes at 80 columns', () => {
  test('ledger top fits 80 columns, keeping node, role, leader, lag, rates and latency; --wide and a pipe show all 15 columns', () => {
    const text = renderTop(busyView(), undefined, terminal80);
    assert.ok(longest(text) <= 80, `${longest(text)} columns:\n${text}`);
    assert.equal(text.split('\n').length, 1 + 2 + 9);
    for (const h of ['node', 'role', 'leader', 'lag', 'ops/s', 'p50 ms', 'p99 ms'])
      assert.match(text.split('\n')[1] ?? '', new RegExp(`\\b${h.replace('/', '\\/')}\\b`));
    assert.match(text, /^n9\s+3\s+silent/m);
    for (const layout of [wide, pipe]) {
      const all = renderTop(busyView(), undefined, layout);
      for (const h of ['ballot', 'commit', 'commits/s', 'queue', 'batch', 'commits', 'seen'])
        assert.ok(all.split('\n')[1]?.includes(h), `${h} in\n${all}`);
    }
  });

  test('ledger cluster status fits 80 columns in 11 lines, the pid column has a head, a down node keeps its reason in a pipe', () => {
    const text = renderStatus(statusRows(), terminal80);
    assert.ok(longest(text) <= 80, `${longest(text)} columns:\n${text}`);
    assert.equal(text.split('\n').length, 11);
    assert.match(text.split('\n')[0] ?? '', /^node\s+cluster\s+role\s+leader\s+ballot\s+commit\s+applied\s+pid$/);
    assert.match(text, /^n1\s+1\s+leader\s+n1\s+123\.1\s+123456\s+123450\s+4194304$/m);
    assert.match(text, /^n8\s+3\s+down: no answer/m);
    const piped = renderStatus(statusRows(), pipe);
    assert.match(piped, /down: no answer within 1000 ms \(killed or not started\)\s+-\s+-/);
  });

  test('ledger run rows fit 80 columns on one line each, the latency whole; a pipe gets the full outcome', () => {
    const transfer = { op: 'transfer' as const, from: 1001, to: 4001, amount: 10, line: 123 };
    const result = {
      op: 'transfer' as const,
      from: 1001,
      to: 4001,
      amount: 10,
      status: 'unknown' as const,
      reason: 'no answer in 3000 ms: cluster 2 has no majority',
      latencyMs: 3002.4,
      servedBy: 4,
    };
    const head = runHead(terminal80);
    const row = runRow(transfer, result, undefined, terminal80);
    for (const line of [head, row]) assert.ok([...line].length <= 80, `${[...line].length}: ${line}`);
    assert.doesNotMatch(row, /\n/);
    assert.match(row, /^ {2}123 {4}\(1001, 4001, 10\)\s+unknown: no answer.*…\s+3002\.4 ms {2}n4$/);
    assert.equal(
      head.indexOf('latency') + 'latency'.length,
      row.lastIndexOf(' ms') + ' ms'.length,
      'the latency column lines up with its head',
    );
    assert.match(runRow(transfer, result, undefined, pipe), /cluster 2 has no majority\s+3002\.4 ms/);
    // A demo note that does not fit goes under its row.
    const noted = runRow(transfer, result, 'the cluster of n4 has no majority, so the transfer waits', terminal80);
    assert.equal(noted.split('\n').length, 2);
    for (const line of noted.split('\n')) assert.ok([...line].length <= 80, line);
  });
});
