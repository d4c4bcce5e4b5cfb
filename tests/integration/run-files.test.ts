import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { isAlive } from '../../src/cluster/processes.js';
import { peerDir } from '../helpers/peer-files.js';
import { cli, ledgerBin, waitUntil } from './harness.js';

/**
 * `ledger run` end to end on the four peer files (docs/test-files.md, "The peer files"):
 * every set of every file, each file three times (the three runs at once, each with its own
 * nats-server and nodes, to keep the wall time down), results compared between runs, and for the
 * official Fall-2025 file every outcome checked against what the rules say it must be.
 */

const root = mkdtempSync(join(tmpdir(), 'ledger-run-'));
const started = new Set<number>();
after(() => {
  for (const pid of started) if (isAlive(pid)) process.kill(pid, 'SIGKILL');
  rmSync(root, { recursive: true, force: true });
});

/** Generous: the three runs share two cores with everything else, and a failover or a lost
 *  quorum must still end the same way. A transfer only ends unknown where no quorum exists. */
const deadlineMs = 5_000;

interface Run {
  code: number;
  stderr: string;
  doc: any;
}

/** `ledger run FILE --json` as a real process; every process its cluster started is ended. */
async function runFile(file: string, extra: string[] = []): Promise<Run> {
  const dataDir = mkdtempSync(join(root, 'd-'));
  const child = spawn(
    process.execPath,
    [
      ledgerBin,
      'run',
      file,
      '--json',
      '--no-interactive',
      '--deadline-ms',
      String(deadlineMs),
      '--data-dir',
      dataDir,
      ...extra,
    ],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  if (child.pid !== undefined) started.add(child.pid);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const code = await new Promise<number>((resolve) => child.on('close', (c) => resolve(c ?? 1)));
  // The runner stops its cluster itself; should it not have, nothing it started may outlive us.
  const clusterFile = join(dataDir, 'run', 'cluster.json');
  if (existsSync(clusterFile)) {
    const state = JSON.parse(readFileSync(clusterFile, 'utf8')) as { natsPid: number; nodes: Array<{ pid: number }> };
    for (const pid of [state.natsPid, ...state.nodes.map((n) => n.pid)]) if (isAlive(pid)) process.kill(pid, 'SIGKILL');
    assert.fail(`the run left its cluster running (${clusterFile})`);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(stdout);
  } catch {
    doc = undefined;
  }
  return { code, stderr, doc };
}

/** A result as the rules see it: what happened, without latencies or who served it. */
function outcome(r: any): string {
  switch (r.op) {
    case 'transfer':
      return r.status;
    case 'balance':
      return r.balance === null ? 'no answer' : `balance ${r.balance}`;
    default:
      return `${r.op} n${r.node}`;
  }
}

function outcomesBySet(doc: any): Map<number, string[]> {
  return new Map(doc.sets.map((s: any) => [s.set, s.results.map(outcome)]));
}

/** Runs a file three times at once; checks each run and that all three agree. */
async function runThrice(name: string): Promise<Run[]> {
  const file = join(peerDir(), name);
  const runs = await Promise.all([runFile(file), runFile(file), runFile(file)]);
  for (const r of runs) assert.equal(r.code, 0, `ledger run ${name} exited ${r.code}: ${r.stderr.slice(-2000)}`);
  const rows = countCommandRows(readFileSync(file, 'utf8'));
  for (const r of runs) {
    assert.deepEqual(
      r.doc.sets.map((s: any) => s.results.length),
      rows,
      'exactly one result per command row, set by set',
    );
    for (const s of r.doc.sets) {
      assert.equal(typeof s.performance.throughputPerSecond, 'number');
      assert.ok(s.performance.latencyMs.p50 <= s.performance.latencyMs.p99);
    }
  }
  const [first, ...others] = runs.map((r) => outcomesBySet(r.doc));
  for (const other of others)
    assert.deepEqual(other, first, `${name}: a sequential run gives the same outcomes every time`);
  return runs;
}

/** Command rows per set, counted from the raw text (independently of the parser). */
function countCommandRows(text: string): number[] {
  const counts: number[] = [];
  for (const line of text.split(/\r?\n/)) {
    if (line.trim() === '' || line.startsWith('Set')) continue;
    if (/^\d/.test(line)) counts.push(0);
    if (/^\d*,\s*"?\s*[-(FR0-9]/.test(line)) counts[counts.length - 1] = (counts[counts.length - 1] ?? 0) + 1;
  }
  return counts;
}

describe('ledger run on the peer files', () => {
  test('CSE535-F25-Project-3-Testcases.csv: every outcome is what the rules say, three runs alike', async () => {
    const [run] = await runThrice('CSE535-F25-Project-3-Testcases.csv');
    const got = outcomesBySet((run as Run).doc);
    const c = 'committed';
    // Every set starts flushed: each account holds 10, the first node of each cluster leads.
    // Cluster 1 holds 1..3000 on n1-n3, cluster 2 3001..6000 on n4-n6, cluster 3 6001..9000 on n7-n9.
    const expected = new Map<number, string[]>([
      // Set 1: all up. Three intra-shard transfers; 1002 and 3002 each received 1.
      [1, [c, c, c, 'balance 11', 'balance 11']],
      // Set 2: n3, n6, n9 down, so each cluster runs on 2 of 3. After F(n2), cluster 1 is n1
      // alone: (1005, 1006) can never be chosen and ends unknown. (3001, 3002) still commits on
      // n4+n5; after F(n5), cluster 2 is n4 alone: (3003, 3004) unknown. Neither cluster can
      // serve a linearizable read any more: (3004) and (1005) get no answer.
      [2, [c, c, 'fail n2', 'unknown', c, 'fail n5', 'unknown', 'no answer', 'no answer']],
      // Set 3: cluster 3 only. F(n9) leaves n7+n8; R(n9) brings it back; F(n7) fails the leader
      // and n8/n9 elect a new one (a NEW-VIEW), so every transfer commits. 6005 and 6011 each
      // sent 1: 9.
      [3, [c, c, 'fail n9', c, 'recover n9', c, c, 'fail n7', c, c, 'balance 9', 'balance 9']],
      // Set 4: 3001 -> 9, 3004 -> 9, then 3004 sends its 9 (-> 0, 3006 -> 19); 3001 holds 9 and
      // cannot send 10: insufficient funds. Reads: 3001 = 9, 3002 = 11, 3003 = 10 (untouched).
      [4, [c, c, c, 'insufficient-funds', 'balance 9', 'balance 11', 'balance 10']],
      // Set 5: 2 of 3 up in every cluster, so every cross-shard transfer commits by 2PC.
      // 1001 sent 1 (9), 3001 received 1 (11), 6001 received 1 (11).
      [5, [c, c, c, 'balance 9', 'balance 11', 'balance 11']],
      // Set 6: one follower of each cluster fails in turn (n3, n6, n9: never the leader), each
      // cluster keeps a majority: all commit. 6 sent 1 (9); 7 received 1 from 3006 (11); 6008
      // sent 1 (9).
      [
        6,
        [c, c, c, c, 'fail n3', c, c, c, c, 'fail n6', c, c, c, 'fail n9', c, 'balance 9', 'balance 11', 'balance 9'],
      ],
      // Set 7: n6 and n9 down. (3001, 3002) commits on n4+n5. F(n4) leaves n5 alone: the
      // cross-shard (3, 3003) cannot prepare in cluster 2 and the coordinator aborts it at its
      // vote timeout. (4, 6001) commits (n7+n8). F(n7) leaves n8 alone: (5, 6002) aborts the
      // same way. 4 sent 1: 9. Cluster 3 cannot serve (6002): no answer.
      [7, [c, 'fail n4', 'aborted', c, 'fail n7', 'aborted', 'balance 9', 'no answer']],
      // Set 8: three leader failures, one per cluster, three NEW-VIEWs; a new leader takes over
      // each time and everything commits. 6001 received 1 from 3004: 11.
      [8, [c, 'fail n1', c, c, 'fail n4', c, c, 'fail n7', 'balance 11']],
      // Set 9: all up, cross- and intra-shard transfers among 1..6 and 3001; every sender holds
      // at least 9 when it sends 1: all commit.
      [9, [c, c, c, c, c, c, c]],
      // Set 10: 300 intra-shard transfers of 1 between distinct pairs: all commit.
      [10, Array.from({ length: 300 }, () => c)],
    ]);
    assert.deepEqual(got, expected);
    // Set 8's three NEW-VIEWs: after each failure a new leader served the cluster's next request.
    const set8 = (run as Run).doc.sets.find((s: any) => s.set === 8);
    assert.notEqual(set8.results[2].servedBy, 1, '(3, 3001) after F(n1)');
    assert.notEqual(set8.results[5].servedBy, 4, '(3004, 6001) after F(n4)');
    assert.notEqual(set8.results[8].servedBy, 7, '(6001) after F(n7)');
    // Set 7's two aborts: the participant's lone member, knowing of no leader, answers the
    // PREPARE no-leader, so the coordinator aborts no-quorum after half its vote timeout.
    const set7 = (run as Run).doc.sets.find((s: any) => s.set === 7);
    assert.deepEqual(
      [set7.results[2].reason, set7.results[5].reason],
      ['no-quorum', 'no-quorum'],
      'a cluster without a majority says so (docs/transfers.md)',
    );
  });

  test('CSE535-F25-Project-3-New-Testcases.csv: all eleven sets, set 15 on 5 clusters x 5 nodes, three runs alike', async () => {
    const [run] = await runThrice('CSE535-F25-Project-3-New-Testcases.csv');
    const doc = (run as Run).doc;
    assert.deepEqual(
      doc.sets.map((s: any) => s.set),
      [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 15],
    );
    const set15 = doc.sets.find((s: any) => s.set === 15);
    assert.equal(set15.shape, '5 clusters x 5 nodes, 9000 accounts');
    assert.deepEqual(
      set15.leaders.map((l: any) => l.node),
      [1, 6, 11, 16, 21],
    );
    assert.ok(
      set15.results.every((r: any) => r.status === 'committed'),
      'every cluster has 3 of 5 up: all ten cross-shard transfers commit',
    );
    // Set 7: cluster 2 loses its majority (n6 down, then F(n4)): a cross-shard transfer into it
    // aborts, and one it coordinates, (3004, 6003), cannot even start: unknown.
    const set7 = outcomesBySet(doc).get(7);
    assert.deepEqual(set7, [
      'committed',
      'committed',
      'fail n4',
      'aborted',
      'committed',
      'fail n7',
      'fail n1',
      'aborted',
      'unknown',
    ]);
  });

  test('CSE535-F25-Project-3-Demo-Tests.csv: every set, three runs alike', async () => {
    const [run] = await runThrice('CSE535-F25-Project-3-Demo-Tests.csv');
    const got = outcomesBySet((run as Run).doc);
    // Set 2: after F(n1), F(n4), F(n2) cluster 1 is n3 alone: (4001, 1004) cannot prepare there.
    assert.deepEqual(got.get(2), ['committed', 'committed', 'fail n1', 'fail n4', 'committed', 'fail n2', 'aborted']);
    assert.deepEqual(got.get(4), ['committed']);
  });

  test('New_Test_Cases_-_Lab3.csv (four columns): state carries over, contact servers lead, three runs alike', async () => {
    const [run] = await runThrice('New_Test_Cases_-_Lab3.csv');
    const doc = (run as Run).doc;
    assert.equal(doc.dialect, 'four-column');
    assert.deepEqual(
      doc.sets.map((s: any) => s.flushed),
      [true, false, false, false, false, false, false, false, false, false],
    );
    const set4 = doc.sets.find((s: any) => s.set === 4);
    assert.deepEqual(
      set4.leaders.map((l: any) => l.node),
      [1, 5, 7],
      'set 4 names S5 as the contact server of cluster 2',
    );
    assert.equal(set4.results[2].servedBy, 5);
    const got = outcomesBySet(doc);
    // Set 3: 2995 sends 5 of its 10, then cannot send 7 (state is kept within and across sets).
    assert.deepEqual(got.get(3), ['committed', 'committed', 'committed', 'insufficient-funds']);
    // Set 5: S8 and S9 down: cluster 3 (2001..3000) has no majority: (2975, 2970) ends unknown.
    assert.deepEqual(got.get(5), ['committed', 'committed', 'committed', 'committed', 'unknown']);
  });

  test('--concurrent runs the transactions between F/R in parallel and keeps one result per row in file order', async () => {
    // 150 disjoint transfers, then F(n1) (cluster 1's leader), then 20 more in cluster 1 and a read.
    const rows = ['Set Number,Transactions,Live Nodes'];
    for (let i = 0; i < 150; i++) {
      const base = (i % 3) * 3000 + 2 * Math.floor(i / 3) + 1;
      rows.push(
        `${i === 0 ? '1' : ''},"(${base}, ${base + 1}, 1)",${i === 0 ? '"[n1, n2, n3, n4, n5, n6, n7, n8, n9]"' : ''}`,
      );
    }
    rows.push(',F(n1),');
    for (let i = 0; i < 20; i++) rows.push(`,"(${1001 + 2 * i}, ${1002 + 2 * i}, 1)",`);
    rows.push(',(2),');
    const file = join(mkdtempSync(join(root, 'conc-')), 'concurrent.csv');
    writeFileSync(file, `${rows.join('\n')}\n`);
    const r = await runFile(file, ['--concurrent']);
    assert.equal(r.code, 0, r.stderr);
    const [set] = r.doc.sets;
    assert.equal(set.results.length, 172, 'one result per row');
    assert.deepEqual(
      set.results.slice(0, 3).map((x: any) => [x.from, x.to]),
      [
        [1, 2],
        [3001, 3002],
        [6001, 6002],
      ],
      'in file order',
    );
    const transfers = set.results.filter((x: any) => x.op === 'transfer');
    assert.ok(
      transfers.every((x: any) => x.status === 'committed'),
      'disjoint pairs: all commit in parallel too',
    );
    const before = set.results.slice(0, 150).reduce((sum: number, x: any) => sum + x.latencyMs, 0);
    assert.ok(
      before > set.performance.seconds * 1000,
      `in parallel: the latencies add up to more than the set took (${before} ms vs ${set.performance.seconds} s)`,
    );
    // F/R order is kept: every transfer after F(n1) was served by cluster 1's new leader.
    assert.deepEqual(set.results[150], { op: 'fail', node: 1 });
    assert.ok(set.results.slice(151, 171).every((x: any) => x.servedBy !== 1 && x.servedBy !== undefined));
    assert.equal(set.results[171].balance, 11);
  });
});

describe('ledger run stops what it started', () => {
  test('SIGTERM mid-run: nats-server and every node it started are gone, and so is the run', async () => {
    const dataDir = mkdtempSync(join(root, 'term-'));
    const child = spawn(
      process.execPath,
      [
        ledgerBin,
        'run',
        join(peerDir(), 'CSE535-F25-Project-3-Testcases.csv'),
        '--no-interactive',
        '--data-dir',
        dataDir,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const runPid = child.pid as number;
    started.add(runPid);
    let stdout = '';
    child.stdout.on('data', (d) => (stdout += d));
    const exited = new Promise<number | null>((resolve) =>
      child.on('close', (code, signal) => resolve(code ?? (signal === null ? null : 128))),
    );
    const clusterFile = join(dataDir, 'run', 'cluster.json');
    await waitUntil('the run is in its second set', 60_000, async () => stdout.includes('Set 2 ('));
    const state = JSON.parse(readFileSync(clusterFile, 'utf8')) as { natsPid: number; nodes: Array<{ pid: number }> };
    const pids = [state.natsPid, ...state.nodes.map((n) => n.pid)];
    for (const pid of pids) started.add(pid);
    assert.equal(pids.length, 10);
    process.kill(runPid, 'SIGTERM');
    assert.equal(await exited, 143, 'the exit code of SIGTERM');
    await waitUntil('every process of the run is gone', 20_000, async () => pids.every((pid) => !isAlive(pid)));
    assert.equal(existsSync(clusterFile), false);
  });
});

describe('ledger demo (what npm start runs)', () => {
  test('runs the bundled file: a leader failure with its NEW-VIEW, a cluster without quorum, a recovery; then PrintBalance and Performance; stops its cluster', async () => {
    const dataDir = mkdtempSync(join(root, 'demo-'));
    const r = await cli(['demo', '--json', '--data-dir', dataDir]);
    assert.equal(r.code, 0, r.stderr);
    const [set1, set2] = r.json.run.sets.map((s: any) => s.results.map(outcome));
    // Set 1: 1001 -> 1002 (3), 3001 -> 3002 (5), 6001 -> 6002 (10, emptying 6001), 6001 cannot
    // send 1 more, then two cross-shard transfers. 1001 = 10 - 3 - 1 = 6; 6002 = 10 + 10 - 15 = 5.
    assert.deepEqual(set1, [
      'committed',
      'committed',
      'committed',
      'insufficient-funds',
      'committed',
      'committed',
      'balance 6',
      'balance 5',
    ]);
    // Set 2: F(n1) then a new leader; F(n5), F(n6) leave n4 alone: its own transfer has no
    // answer, a cross-shard one into cluster 2 aborts; R(n5) and cluster 2 commits again.
    assert.deepEqual(set2, [
      'committed',
      'fail n1',
      'committed',
      'committed',
      'fail n5',
      'fail n6',
      'unknown',
      'aborted',
      'recover n5',
      'committed',
      'balance 11',
      'balance 11',
    ]);
    assert.ok(r.json.views >= 2, `PrintView shows the NEW-VIEWs of clusters 1 and 2, got ${r.json.views}`);
    assert.deepEqual(
      r.json.balances.find((b: any) => b.account === 1001).replicas.map((x: any) => x.node),
      [1, 2, 3],
    );
    assert.equal(r.json.performance.outcomes.committed + r.json.performance.outcomes['insufficient-funds'], 2000);
    assert.equal(existsSync(join(dataDir, 'demo', 'cluster.json')), false, 'the demo stopped its cluster');
  });
});

describe('ledger run refuses a bad file before anything runs', { concurrency: true }, () => {
  const SET = '1,"(1001, 1002, 1)","[n1, n2, n3, n4, n5, n6, n7, n8, n9]"';
  const cases: Array<[string, string, RegExp]> = [
    ['a transfer without its amount', `${SET}\n,"(1001, 1002)",\n`, /line 2: .*\(1001, 1002\)/],
    ['a zero amount', `${SET}\n,"(1001, 1002, 0)",\n`, /line 2: .*amount "0"/],
    ['a negative amount', `${SET}\n,"(1001, 1002, -5)",\n`, /line 2: .*amount "-5"/],
    ['a fractional amount', `${SET}\n,"(1001, 1002, 1.5)",\n`, /line 2: .*amount "1\.5"/],
    ['a sender that is not a number', `${SET}\n,"(abc, 1002, 1)",\n`, /line 2: .*sender "abc"/],
    ['garbage in the transactions column', `${SET}\n,transfer 1 to 2,\n`, /line 2: .*is not a transaction/],
    ['an unknown node form', `${SET}\n,F(x4),\n`, /line 2: .*F\(x4\)/],
    ['a live list without brackets', `${SET}\n2,"(1, 2, 3)","n1, n2"\n`, /line 2: .*is not a live list/],
    ['a repeated set number', `${SET}\n1,"(1, 2, 3)","[n1]"\n`, /line 2: .*repeats set number 1/],
    ['an unquoted transfer split into columns', `${SET}\n,(1001, 1002, 1),\n`, /line 2: .*has 4 columns/],
    [
      'a command before any set',
      `Set Number,Transactions,Live Nodes\n,"(1001, 1002, 1)",\n${SET}\n`,
      /line 2: .*comes before any set/,
    ],
    [
      'an account beyond the topology',
      `${SET}\n,"(1001, 9001, 1)",\n`,
      /line 2 \(set 1\): account 9001 does not exist/,
    ],
    [
      'a node typo n42 in a live list (would have started 14 clusters x 3)',
      `${SET}\n2,"(1001, 1002, 1)","[n1, n2, n42]"\n`,
      /line 2 \(set 2\): n42 is outside every shape the runner supports: expected n1\.\.n25/,
    ],
    ['a node past n25 in an F/R', `${SET}\n,R(n30),\n`, /line 2 \(set 1\): n30 is outside every shape/],
    ['an empty file', '', /line 1: the file has no rows/],
    ['an unclosed quote', `${SET}\n,"(1001, 1002, 1),\n`, /line 2/],
  ];
  for (const [what, text, message] of cases) {
    test(`${what}: exit 2, the line and what was expected, and no cluster started`, async () => {
      const dir = mkdtempSync(join(root, 'bad-'));
      const file = join(dir, 'bad.csv');
      writeFileSync(file, text);
      const r = await cli(['run', file, '--no-interactive', '--data-dir', join(dir, 'data')]);
      assert.equal(r.code, 2, `exit 2 for bad input: ${r.stderr}`);
      assert.match(r.stderr, message);
      assert.equal(r.stdout.trim(), '', 'nothing ran');
      assert.equal(existsSync(join(dir, 'data', 'run')), false, 'no cluster was started');
    });
  }

  test('a missing file: exit 2 with a hint, and --json gives the error as JSON', async () => {
    mkdirSync(join(root, 'none'), { recursive: true });
    const r = await cli(['run', join(root, 'none', 'nope.csv'), '--json', '--data-dir', join(root, 'none')]);
    assert.equal(r.code, 2);
    assert.equal(r.json.error.code, 'bad-input');
    assert.match(r.json.error.message, /cannot read .*nope\.csv: ENOENT/);
  });
});
