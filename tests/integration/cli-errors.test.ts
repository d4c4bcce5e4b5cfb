import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { alive, cli, endProcess, TestCluster, waitUntil } from './harness.js';

/** Issue 15 items 2 and 5: what a user reads when a node or a majority is gone. One 2x3
 *  cluster (n1..n3 hold accounts 1..4500, n4..n6 the rest), shared by the tests in order. */
describe('CLI errors on a 2x3 cluster of real processes', () => {
  let cluster: TestCluster;

  before(async () => {
    cluster = await TestCluster.start(['--clusters', '2']);
    // A shorter client deadline (the CLI reads config.json at each command): an unanswered
    // request ends in 2 s instead of 10.
    const file = join(cluster.dataDir, 'config.json');
    const config = JSON.parse(readFileSync(file, 'utf8'));
    config.client.deadlineMs = 2_000;
    writeFileSync(file, JSON.stringify(config));
  });
  after(async () => {
    await cluster?.close();
  });

  test('a command aimed at a killed node prints one error line with a hint to restart it', async () => {
    assert.equal((await cluster.cli(['node', 'kill', '6'])).code, 0);
    try {
      for (const command of [
        ['node', 'fail', '6'],
        ['node', 'isolate', 'n6'],
        ['node', 'lead', '6'],
      ]) {
        const r = await cluster.cli(command);
        assert.equal(r.code, 1, `${command.join(' ')}: ${r.stderr}`);
        assert.equal(
          r.stderr.trim(),
          'error: n6 does not answer (killed or not started)\nhint: start it with `ledger node restart 6`',
          command.join(' '),
        );
      }
      // A rolling restart refuses before it stops anything: n6's cluster has no node to spare.
      const pids = cluster.state.nodes.map((n) => n.pid);
      const roll = await cluster.cli(['cluster', 'restart', '--rolling']);
      assert.equal(roll.code, 1, roll.stderr);
      assert.match(roll.stderr, /^error: a rolling restart needs every node up and serving: n6 is down\nhint: /);
      assert.deepEqual(
        cluster.state.nodes.map((n) => n.pid),
        pids,
      );
    } finally {
      assert.equal((await cluster.cli(['node', 'restart', '6'])).code, 0);
    }
  });

  test('node lead on a failed node fails at once, and its --timeout is in seconds', async () => {
    assert.equal((await cluster.cli(['node', 'fail', '5'])).code, 0);
    try {
      const started = Date.now();
      const r = await cluster.cli(['node', 'lead', '5', '--timeout', '30']);
      const elapsedMs = Date.now() - started;
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stderr, /^error: n5 is failed: it cannot lead\nhint: .*ledger node recover 5/);
      // 30 s of patience, yet it returns well before: the node said it is failed.
      assert.ok(elapsedMs < 15_000, `took ${elapsedMs} ms`);
      assert.match((await cli(['node', 'lead', '--help'])).stdout, /give up after this many seconds/);
    } finally {
      assert.equal((await cluster.cli(['node', 'recover', '5'])).code, 0);
    }
  });

  test('db and view refuse a node the cluster does not have (exit 2)', async () => {
    for (const command of [
      ['db', '--node', '7'],
      ['view', '--node', '10'],
    ]) {
      const r = await cluster.cli(command);
      assert.equal(r.code, 2, `${command.join(' ')}: ${r.stdout}`);
      assert.match(r.stderr, /^error: node (7|10) does not exist\nhint: nodes are n1..n6/);
    }
  });

  test('a flush that leaves a cluster without a majority warns, and status exits 1', async () => {
    const r = await cluster.cli(['cluster', 'flush', '--live', 'n1,n2']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /^warning: cluster 2 has no majority \(0 of 3 live\)/m);
    assert.doesNotMatch(r.stderr, /cluster 1 has no majority/);
    assert.equal((await cluster.cli(['cluster', 'status'])).code, 1);
  });

  test('a leader that is failed leads nobody: status exits 1, and a request names the lost majority', async () => {
    assert.equal((await cluster.cli(['cluster', 'flush', '--live', 'n1,n2,n4,n5'])).code, 0);
    await waitUntil('both clusters led', 10_000, async () => (await cluster.cli(['cluster', 'status'])).code === 0);
    // n1 leads cluster 1 (the first live node), n3 is failed: failing n1 leaves 1 of 3 live, so
    // n1 stays "leader (failed)" and nobody else can be elected.
    assert.equal((await cluster.cli(['node', 'fail', '1'])).code, 0);
    const status = await cluster.cli(['cluster', 'status', '--json']);
    assert.ok(
      status.json.nodes.some((s: any) => s.node === 1 && s.role === 'leader' && s.failed),
      'n1 still calls itself leader',
    );
    assert.equal(status.code, 1, 'cluster 1 has no leader that leads');
    const transfer = await cluster.cli(['transfer', '1', '2', '1']);
    assert.equal(transfer.code, 3, transfer.stdout + transfer.stderr);
    assert.match(transfer.stdout + transfer.stderr, /cluster 1 has no majority \(1 of 3 live\)/);
    const read = await cluster.json(['balance', '2'], [3]);
    assert.equal(read.reason, 'cluster 1 has no majority (1 of 3 live)');
  });
});

/** Stops the cluster in `dataDir`, then ends by PID any process its cluster.json still names. */
async function stopCluster(dataDir: string): Promise<void> {
  const file = join(dataDir, 'cluster.json');
  const pids: number[] = existsSync(file)
    ? ((s) => [s.natsPid, ...s.nodes.map((n: { pid: number }) => n.pid)])(JSON.parse(readFileSync(file, 'utf8')))
    : [];
  await cli(['cluster', 'stop', '--data-dir', dataDir]);
  for (const pid of pids) if (alive(pid)) endProcess(pid);
}

/** Issue 15 item 6: a busy --port, and a failed start that must not block the next one. */
describe('cluster start on a busy port', () => {
  let dataDir: string;
  let squatter: Server;
  let port: number;

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'ledger-it-'));
    squatter = createServer();
    await new Promise<void>((resolve) => squatter.listen(0, '127.0.0.1', resolve));
    port = (squatter.address() as { port: number }).port;
  });
  after(async () => {
    await stopCluster(dataDir);
    await new Promise((resolve) => squatter.close(resolve));
    rmSync(dataDir, { recursive: true, force: true });
  });

  test('names the busy port, leaves no config, and a start with another topology then works', async () => {
    const r = await cli(['cluster', 'start', '--detach', '--port', String(port), '--data-dir', dataDir]);
    assert.equal(r.code, 1, r.stdout);
    assert.match(r.stderr, new RegExp(`^error: port ${port} is already in use`));
    assert.doesNotMatch(r.stderr, /cannot reach NATS/);
    assert.equal(existsSync(join(dataDir, 'config.json')), false, 'a failed start leaves no config.json');
    const next = await cli([
      'cluster',
      'start',
      '--detach',
      '--clusters',
      '1',
      '--nodes-per-cluster',
      '1',
      '--data-dir',
      dataDir,
      '--json',
    ]);
    assert.equal(next.code, 0, next.stderr);
    assert.equal(next.json.nodes.length, 1);
  });

  test('a start that times out leaves nothing that blocks the next one', async () => {
    const other = mkdtempSync(join(tmpdir(), 'ledger-it-'));
    try {
      // Ticks of a minute: no node stands for election within the 1 s ready timeout.
      const r = await cli([
        'cluster',
        'start',
        '--detach',
        '--clusters',
        '1',
        '--tick-ms',
        '60000',
        '--ready-timeout',
        '1',
        '--data-dir',
        other,
      ]);
      assert.equal(r.code, 1, r.stdout);
      assert.match(r.stderr, /a leader in every cluster did not happen/);
      assert.equal(existsSync(join(other, 'config.json')), false, 'a failed start leaves no config.json');
      const next = await cli([
        'cluster',
        'start',
        '--detach',
        '--clusters',
        '1',
        '--nodes-per-cluster',
        '1',
        '--data-dir',
        other,
        '--json',
      ]);
      assert.equal(next.code, 0, next.stderr);
    } finally {
      await stopCluster(other);
      rmSync(other, { recursive: true, force: true });
    }
  });
});
