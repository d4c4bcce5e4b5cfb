import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { killNode, restartNode } from '../../src/cluster/local-cluster.js';
import { freePort, natsServerBinary, portAccepts } from '../../src/cluster/processes.js';
import { connectNats } from '../../src/transport/nats.js';
import { NotSentError, TransportTimeoutError } from '../../src/transport/transport.js';
import { alive, endProcess, killBroker, ledgerBin, restartBroker, TestCluster, waitUntil } from './harness.js';

/**
 * Long-running clients against a nats-server that is SIGKILLed under load and started again
 * with the same configuration on the same port (issue 17): the transport refuses to send while
 * disconnected and reconnects; `ledger bench` and `ledger run` go on once the broker is back,
 * the outage shows as latency (or as `unavailable: not sent`), never as `unknown` for requests
 * that did not leave, and the ledger stays consistent.
 */

const started = new Set<number>();
const dirs: string[] = [];
after(() => {
  for (const pid of started) endProcess(pid);
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** How long the broker stays down: the outage simulated, not a wait for a condition. */
const outageMs = 3_000;
const later = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** A process whose output the test watches as it runs. */
function watch(args: string[]): { child: ChildProcess; out: () => string; err: () => string; exited: Promise<number> } {
  const child = spawn(process.execPath, [ledgerBin, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  if (child.pid !== undefined) started.add(child.pid);
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr?.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const exited = new Promise<number>((resolve) => child.once('close', (code) => resolve(code ?? 1)));
  return { child, out: () => stdout, err: () => stderr, exited };
}

describe('the NATS transport across a broker restart', () => {
  test('refuses to send while disconnected, says so, and a long-running one reconnects; a one-shot one closes', async () => {
    const port = await freePort();
    const startBroker = async () => {
      const child = spawn(natsServerBinary(), ['-a', '127.0.0.1', '-p', String(port)], {
        stdio: 'ignore',
        detached: true,
      });
      started.add(child.pid as number);
      child.unref();
      await waitUntil('nats-server up', 10_000, () => portAccepts(port));
      return child.pid as number;
    };
    const first = await startBroker();
    const url = `nats://127.0.0.1:${port}`;
    const longLived = await connectNats({ url, name: 'it-long', longRunning: true });
    const oneShot = await connectNats({ url, name: 'it-once', longRunning: false });
    try {
      assert.equal(longLived.connection().connected, true);
      // A request that left, to a subscriber that never answers: in flight at the kill.
      oneShot.subscribe('x.silent', () => undefined);
      await oneShot.flush();
      const inFlight = oneShot.request('x.silent', new Uint8Array(1), 20_000);
      await oneShot.flush();
      endProcess(first);
      await waitUntil(
        'both see the broker gone',
        10_000,
        async () => !longLived.connection().connected && !oneShot.connection().connected,
      );
      await assert.rejects(
        longLived.request('x.y', new Uint8Array(1), 1_000),
        (e: unknown) =>
          e instanceof NotSentError &&
          /^not sent: no connection to NATS \(reconnecting, attempt \d+\)$/.test(e.message),
      );
      // The one-shot connection gives up after 3 attempts 200 ms apart: closed for good.
      assert.equal(await oneShot.whenConnected(10_000), false);
      assert.equal(oneShot.connection().closed, true);
      await assert.rejects(
        oneShot.request('x.y', new Uint8Array(1), 1_000),
        (e: unknown) => e instanceof NotSentError && /the connection to NATS is closed/.test(e.message),
      );
      // What had left stays sent when its connection closes: no answer, never `not sent`.
      await assert.rejects(
        inFlight,
        (e: unknown) =>
          e instanceof TransportTimeoutError && /no answer on x\.silent: connection closed/.test(e.message),
      );
      await waitUntil('reconnect attempts counted', 10_000, async () => longLived.connection().reconnectAttempt >= 2);
      await startBroker();
      assert.equal(await longLived.whenConnected(10_000), true);
      const state = longLived.connection();
      assert.equal(state.disconnects, 1);
      assert.equal(state.reconnectAttempt, 0);
      assert.ok(state.disconnectedMs > 300, `${state.disconnectedMs} ms disconnected`);
    } finally {
      await longLived.close();
      await oneShot.close();
    }
  });
});

describe('ledger bench across a broker restart', () => {
  test('commits again within 5 s of the broker coming back; not-sent is never unknown; no hot loop; consistent after; top and one-shot commands', async (t) => {
    const cluster = await TestCluster.start();
    // `ledger top` live beside the bench: not a terminal, so one frame after another.
    const top = watch(['top', '--interval', '0.5', '--data-dir', cluster.dataDir]);
    try {
      const concurrency = 16;
      const bench = watch([
        'bench',
        '--cluster',
        'existing',
        '--read-ratio',
        '0.1',
        '--cross-shard',
        '0.4',
        '--concurrency',
        String(concurrency),
        '--duration',
        '11s',
        '--warmup',
        '0',
        '--seed',
        '17',
        '--json',
        '--data-dir',
        cluster.dataDir,
      ]);
      await waitUntil('the bench measures', 30_000, async () => /^\[\s+2 s\]\s+[1-9]\d* ok\/s/m.test(bench.err()));
      const killedAt = Date.now();
      await killBroker(cluster.dataDir);
      await waitUntil('the progress line says the connection is lost', 5_000, async () =>
        /disconnected from NATS, reconnecting \(attempt \d+\)/.test(bench.err()),
      );
      await waitUntil('top says so too', 5_000, async () =>
        /^9 nodes, .*\(disconnected from NATS, reconnecting \(attempt \d+\)\)$/m.test(top.out()),
      );
      // A one-shot command fails fast, with a clear message and a hint.
      const oneShot = await cluster.cli(['transfer', '1', '2', '1']);
      assert.equal(oneShot.code, 1);
      assert.match(oneShot.stderr, /^error: cannot reach NATS at nats:\/\/127\.0\.0\.1:\d+\nhint: /);
      assert.ok(Date.now() - killedAt < outageMs, 'the checks fit in the outage');
      await later(outageMs - (Date.now() - killedAt));
      const pid = await restartBroker(cluster.dataDir);
      started.add(pid);
      cluster.adopt(pid);
      const backAt = Date.now();
      const topFramesAtRestart = top.out().length;
      // top reconnects: a frame after the restart with every cluster led, and no outage note.
      await waitUntil('top sees the nodes again', 15_000, async () =>
        /^9 nodes, 3 of 3 clusters led with a quorum, [1-9]\d* answers\/s$/m.test(top.out().slice(topFramesAtRestart)),
      );
      const code = await bench.exited;
      assert.equal(code, 0, bench.err());
      const report = JSON.parse(bench.out());

      // The gap in the commits: from the last commit before the kill to the first after.
      const startedAt = Date.parse(report.startedAt);
      const gap = report.outage.longestWithoutCommit;
      const firstCommitAfter = startedAt + gap.toS * 1000;
      t.diagnostic(
        `broker down ${backAt - killedAt} ms; commit gap from the kill to the first commit after the restart ${firstCommitAfter - killedAt} ms (first commit ${firstCommitAfter - backAt} ms after the broker was back); longest without a commit ${gap.seconds.toFixed(2)} s; disconnected ${report.outage.disconnectedS.toFixed(2)} s`,
      );
      t.diagnostic(`outcomes ${JSON.stringify(report.all.counts)}; reasons ${JSON.stringify(report.reasons)}`);
      assert.equal(report.outage.disconnects, 1);
      assert.ok(
        report.outage.disconnectedS > 1 && report.outage.disconnectedS < 10,
        `disconnected ${report.outage.disconnectedS} s`,
      );
      // Wall clocks of two processes on one machine: allow 50 ms for the rounding of dates.
      assert.ok(startedAt + gap.fromS * 1000 <= killedAt + 50, 'the longest gap is the outage');
      assert.ok(firstCommitAfter >= backAt - 50, 'nothing committed while the broker was down');
      assert.ok(
        firstCommitAfter - backAt <= 5_000,
        `first commit ${firstCommitAfter - backAt} ms after the broker came back`,
      );
      assert.ok(report.all.counts.committed > 100, JSON.stringify(report.all.counts));
      // Only a request sent before the kill can be unknown: at most one per worker in flight.
      assert.ok(report.all.counts.unknown <= concurrency, `unknown ${report.all.counts.unknown}`);
      // No hot loop: at most ~100 tries a second per worker while disconnected.
      const failed = report.all.counts.unknown + report.all.counts.unavailable;
      assert.ok(
        failed <= 100 * concurrency * report.outage.disconnectedS,
        `${failed} failed requests in ${report.outage.disconnectedS} s`,
      );
      const consistency = await cluster.json(['check', 'consistency', '--wait', '10']);
      assert.equal(consistency.ok, true, JSON.stringify(consistency));
      assert.equal(consistency.money.actual, consistency.money.expected);
    } finally {
      top.child.kill('SIGTERM');
      await top.exited;
      await cluster.close();
    }
  });
});

describe('ledger run across a broker restart', () => {
  test('the set goes on once the broker is back, and no money is made or lost', async () => {
    const root = mkdtempSync(join(tmpdir(), 'ledger-run-restart-'));
    dirs.push(root);
    // 24 accounts in two shards, each starting at 10; 600 transfers of 1 unit around them
    // (every fourth one cross-shard), then a read of each account: their sum must be 240.
    const accounts = [
      ...Array.from({ length: 12 }, (_, i) => 1 + i),
      ...Array.from({ length: 12 }, (_, i) => 3001 + i),
    ];
    const rows: string[] = [];
    for (let i = 0; i < 600; i++) {
      const from = accounts[i % accounts.length] as number;
      const to = accounts[(i % 4 === 0 ? i + 12 : i % 12 === 11 ? i - 11 : i + 1) % accounts.length] as number;
      rows.push(`"(${from}, ${to}, 1)"`);
    }
    for (const a of accounts) rows.push(`(${a})`);
    const file = join(root, 'restart.csv');
    writeFileSync(
      file,
      `Set Number,Transactions,Live Nodes\n1,${rows[0]},"[n1, n2, n3, n4, n5, n6, n7, n8, n9]"\n${rows
        .slice(1)
        .map((r) => `,${r},`)
        .join('\n')}\n`,
    );
    const dataDir = join(root, 'data');
    const clusterDir = join(dataDir, 'run');
    const run = watch(['run', file, '--no-interactive', '--deadline-ms', '20000', '--data-dir', dataDir]);
    const resultRows = () =>
      run
        .out()
        .split('\n')
        .filter((l) => /^\s+\d+\s+\(/.test(l));
    try {
      await waitUntil('the set is under way', 60_000, async () => resultRows().length >= 100);
      const state = JSON.parse(readFileSync(join(clusterDir, 'cluster.json'), 'utf8')) as {
        nodes: Array<{ pid: number }>;
      };
      for (const n of state.nodes) started.add(n.pid);
      await killBroker(clusterDir);
      const rowsAtKill = resultRows().length;
      await later(outageMs);
      const pid = await restartBroker(clusterDir);
      started.add(pid);
      const rowsAtRestart = resultRows().length;
      assert.ok(
        rowsAtRestart <= rowsAtKill + 1,
        `at most the request in flight finished while the broker was down (${rowsAtKill} -> ${rowsAtRestart})`,
      );
      const code = await run.exited;
      assert.equal(code, 0, run.err());
      const results = resultRows();
      assert.equal(results.length, 600 + accounts.length, 'every row ran');
      const transfers = results.slice(0, 600);
      const notCommitted = transfers.filter((l) => !/\bcommitted\b|insufficient-funds/.test(l));
      assert.deepEqual(
        notCommitted,
        [],
        'every transfer committed or was refused for funds: none unknown or unavailable',
      );
      const balances = results.slice(600).map((l) => Number(/balance (\d+)/.exec(l)?.[1] ?? Number.NaN));
      assert.equal(
        balances.reduce((a, b) => a + b, 0),
        10 * accounts.length,
        `balances ${balances.join(' ')}`,
      );
      assert.match(run.out(), /unknown 0, unavailable \(not sent\) 0\n\s+reads: answered 24, unanswered 0, not sent 0/);
    } finally {
      run.child.kill('SIGKILL');
      if (existsSync(join(clusterDir, 'cluster.json'))) {
        const state = JSON.parse(readFileSync(join(clusterDir, 'cluster.json'), 'utf8')) as {
          nodes: Array<{ pid: number }>;
        };
        for (const n of state.nodes) if (alive(n.pid)) endProcess(n.pid);
      }
    }
  });
});

describe('nodes started while the broker is down', () => {
  // Found by the chaos suite (`npm run test:chaos -- --seed 100`: a kill-all whose restart of
  // every node raced a broker restart): a node whose first connection failed exited ("cannot
  // reach NATS"), so the whole-system restart lost nodes for good. This replays that schedule,
  // with the race made certain: every node killed, the broker killed, every node started again
  // while it is down, then the broker.
  test('wait for the broker, saying so in their logs, and serve once it is back', async () => {
    const cluster = await TestCluster.start();
    try {
      const nodes = cluster.state.nodes.map((n) => n.node);
      for (const node of nodes) await killNode(cluster.dataDir, node);
      await killBroker(cluster.dataDir);
      for (const node of nodes) cluster.adopt((await restartNode(cluster.dataDir, node)).pid);
      const pids = cluster.state.nodes.map((n) => n.pid);
      for (const node of nodes) {
        const logFile = join(cluster.dataDir, 'logs', `n${node}.log`);
        const waiting = () =>
          readFileSync(logFile, 'utf8').split('"msg":"node started"').at(-1)?.includes('waiting for NATS');
        await waitUntil(
          `n${node} to say it waits for NATS`,
          20_000,
          async () => existsSync(logFile) && waiting() === true,
        );
      }
      assert.deepEqual(
        pids.map((pid) => alive(pid)),
        pids.map(() => true),
        'every node still runs while the broker is down',
      );
      cluster.adopt(await restartBroker(cluster.dataDir));
      await waitUntil('every node to answer its status', 30_000, async () => {
        const status = await cluster.cli(['cluster', 'status', '--json']);
        return status.json !== undefined && status.json.nodes.every((n: any) => n.role !== 'down');
      });
      assert.deepEqual(
        pids.map((pid) => alive(pid)),
        pids.map(() => true),
        'the same processes serve',
      );
      for (const [from, to] of [
        [1, 2],
        [3001, 3002],
        [6001, 6002],
      ])
        assert.equal((await cluster.json(['transfer', String(from), String(to), '1'])).status, 'committed');
    } finally {
      await cluster.close();
    }
  });
});
