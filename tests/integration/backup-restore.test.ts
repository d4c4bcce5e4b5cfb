import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { cli, TestCluster, waitUntil } from './harness.js';
import { asAdmin, asClient, natsConnectionOf } from '../../src/node/nats-access.js';
import { Load } from './load.js';

const work = mkdtempSync(join(tmpdir(), 'ledger-it-backup-'));
const clusters: TestCluster[] = [];
after(async () => {
  for (const c of clusters) await c.close();
  rmSync(work, { recursive: true, force: true });
});

const sha = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');
const nodeFile = (dataDir: string, node: number) => join(dataDir, 'nodes', `n${node}.sqlite`);

/** Waits until some transfers of `load` have committed. */
async function committed(load: Load, atLeast: number): Promise<void> {
  await waitUntil(
    `${atLeast} transfers committed`,
    20_000,
    async () => load.attempts.filter((a) => a.result.status === 'committed').length >= atLeast,
  );
}

test('a node backed up under load and restored after a wipe catches up, and its replicas agree; bad backups change nothing', async () => {
  const cluster = await TestCluster.start();
  clusters.push(cluster);
  const load = await Load.connect(natsConnectionOf(cluster.config, asClient), { first: 1, last: 1500 });
  try {
    load.start(4, 5);
    await committed(load, 10);
    const backup = join(work, 'n2.sqlite');
    const taken = await cluster.json(['node', 'backup', '2', '--out', backup]);
    assert.equal(taken.node, 2);
    assert.equal(taken.cluster, 1);
    assert.equal(taken.sha256, sha(backup));
    // Transfers go on after the backup: the restored node must learn them from its peers.
    const afterBackup = load.attempts.length;
    await waitUntil('more transfers after the backup', 20_000, async () => load.attempts.length >= afterBackup + 20);

    // An existing file is not overwritten without --force.
    const again = await cluster.cli(['node', 'backup', '2', '--out', backup, '--json']);
    assert.equal(again.code, 2);
    assert.match(again.json.error.message, /already exists/);
    const nowhere = await cluster.cli([
      'node',
      'backup',
      '2',
      '--out',
      join(work, 'no-such-dir', 'x.sqlite'),
      '--json',
    ]);
    assert.equal(nowhere.code, 2);
    assert.match(nowhere.json.error.message, /no such directory/);
    const unknown = await cluster.cli(['node', 'backup', '12', '--out', join(work, 'n12.sqlite'), '--json']);
    assert.equal(unknown.code, 2);
    assert.match(unknown.json.error.message, /node 12 does not exist/);

    // Bad inputs are refused and change nothing: n5's file and process stay as they were.
    const n5Pid = cluster.state.nodes.find((n) => n.node === 5)?.pid;
    const notDb = join(work, 'not-a-db.sqlite');
    writeFileSync(notDb, 'not a database '.repeat(1000));
    const cases: Array<[string, string[], RegExp]> = [
      [
        'a backup of another cluster',
        ['node', 'restore', '5', '--from', backup],
        /backup of cluster 1 \(node 2\), not of cluster 2/,
      ],
      ['a missing file', ['node', 'restore', '5', '--from', join(work, 'missing.sqlite')], /no backup at/],
      ['not a database', ['node', 'restore', '5', '--from', notDb], /not a Ledger node backup/],
      [
        "a node's own live file",
        ['node', 'restore', '5', '--from', nodeFile(cluster.dataDir, 4)],
        /not a backup|not a Ledger/,
      ],
    ];
    const n5Before = readdirSync(join(cluster.dataDir, 'nodes')).filter((f) => f.startsWith('n5.'));
    for (const [what, args, message] of cases) {
      const r = await cluster.cli([...args, '--json']);
      assert.notEqual(r.code, 0, what);
      assert.match(r.json?.error?.message ?? r.stderr, message, what);
    }
    assert.deepEqual(
      readdirSync(join(cluster.dataDir, 'nodes')).filter((f) => f.startsWith('n5.')),
      n5Before,
    );
    assert.equal(cluster.state.nodes.find((n) => n.node === 5)?.pid, n5Pid, 'n5 was not stopped');

    // Wipe n2 (kill it and delete its files), then restore it from the backup under load.
    await cluster.json(['node', 'kill', '2']);
    for (const f of readdirSync(join(cluster.dataDir, 'nodes')).filter((x) => x.startsWith('n2.')))
      rmSync(join(cluster.dataDir, 'nodes', f));
    const restored = await cluster.json(['node', 'restore', '2', '--from', backup, '--wait', '30']);
    assert.equal(restored.fromNode, 2);
    assert.equal(restored.previous, null, 'there was no file to keep');
    assert.ok(restored.caughtUp.appliedIndex >= restored.caughtUp.target);
    cluster.adopt(restored.pid);

    await load.stop();
    const check = await cluster.json(['check', 'consistency', '--wait', '20'], [0, 1]);
    assert.equal(check.ok, true, JSON.stringify(check.clusters[0]));
    const c1 = check.clusters.find((c: any) => c.cluster === 1);
    assert.ok(c1.replicas.find((r: any) => r.node === 2).live, 'n2 serves again and agrees with its peers');
    const { violations } = await load.verify();
    assert.deepEqual(violations, []);
  } finally {
    await load.close();
  }
});

test('a whole system restored from a cluster backup taken under cross-shard load passes the audit', async () => {
  const cluster = await TestCluster.start();
  clusters.push(cluster);
  // Every transfer crosses shards, each between two accounts no other touches: after the
  // restore a pair reads 9/11 (in the backup) or 10/10 (not), never half of it.
  const pairs: Array<[number, number]> = [];
  // Enough pairs (each runs once) for the load to outlast the backup: with parallel commit 900
  // were all done before the backup was, and no transfer came after it.
  for (let i = 1; i <= 2900; i++)
    pairs.push(i % 3 === 0 ? [i, 3000 + i] : i % 3 === 1 ? [3000 + i, 6000 + i] : [6000 + i, i]);
  const load = await Load.withPairs(natsConnectionOf(cluster.config, asClient), pairs);
  const set = join(work, 'set');
  let backupStartedAtMs = 0;
  try {
    load.start(8, 20);
    await committed(load, 20);
    backupStartedAtMs = performance.now();
    const manifest = await cluster.json(['cluster', 'backup', '--out', set, '--timeout', '30']);
    assert.deepEqual(
      manifest.clusters.map((c: any) => c.cluster),
      [1, 2, 3],
    );
    for (const c of manifest.clusters) assert.equal(c.sha256, sha(join(set, c.file)));
    await committed(load, load.attempts.filter((a) => a.result.status === 'committed').length + 10);
  } finally {
    await load.close();
  }
  // Acknowledged before the backup began: these must be in the restored system.
  const before = load.attempts.filter((a) => a.answeredAtMs < backupStartedAtMs && a.result.status === 'committed');
  assert.ok(before.length >= 20);
  await cluster.cli(['cluster', 'stop']);

  // A damaged set is refused before anything is written.
  const damaged = join(work, 'damaged');
  cpSync(set, damaged, { recursive: true });
  const victim = join(damaged, 'cluster-2.sqlite');
  const bytes = readFileSync(victim);
  bytes[bytes.length - 100] = (bytes[bytes.length - 100] as number) ^ 0xff;
  writeFileSync(victim, bytes);
  const refusedDir = join(work, 'refused');
  const refused = await cli(['cluster', 'restore', '--from', damaged, '--data-dir', refusedDir, '--json']);
  assert.equal(refused.code, 2);
  assert.match(refused.json.error.message, /checksum/);
  assert.equal(existsSync(join(refusedDir, 'nodes')), false, 'nothing written');
  // A running system is not restored over.
  const busy = await TestCluster.start();
  clusters.push(busy);
  const running = await busy.cli(['cluster', 'restore', '--from', set, '--json']);
  assert.notEqual(running.code, 0);
  assert.match(running.json.error.message, /running/);

  // The whole system from the set, in a fresh data dir.
  const fresh = join(work, 'fresh');
  const restore = await cli(['cluster', 'restore', '--from', set, '--data-dir', fresh, '--json']);
  assert.equal(restore.code, 0, restore.stderr + restore.stdout);
  assert.equal(restore.json.wroteConfig, true);
  const restored = await TestCluster.startIn(fresh);
  clusters.push(restored);

  const audit = await restored.json(['check', 'consistency', '--wait', '20'], [0, 1]);
  assert.equal(audit.ok, true, JSON.stringify(audit));
  assert.equal(audit.money.actual, audit.money.expected);
  // No half-applied transfer, read from each cluster's leader's state (every changed account).
  // The nodes' own state is an admin request.
  const reader = await Load.withPairs(natsConnectionOf(restored.config, asAdmin), []);
  try {
    const balances = new Map<number, number>();
    for (const node of [1, 4, 7]) {
      await waitUntil(`n${node} answers`, 15_000, async () => {
        try {
          for (const a of (await reader.client.modifiedAccounts(node)).accounts) balances.set(a.account, a.balance);
          return true;
        } catch {
          return false;
        }
      });
    }
    const half: string[] = [];
    let applied = 0;
    for (const [from, to] of pairs) {
      const pair = `${balances.get(from) ?? 10}/${balances.get(to) ?? 10}`;
      if (pair === '9/11') applied++;
      else if (pair !== '10/10') half.push(`${from} -> ${to}: ${pair}`);
    }
    assert.deepEqual(half, [], 'no cross-shard transfer is half-applied');
    const lost = before.filter((a) => `${balances.get(a.from)}/${balances.get(a.to)}` !== '9/11');
    assert.deepEqual(
      lost.map((a) => `${a.from}->${a.to}`),
      [],
      'nothing acknowledged before the backup is lost',
    );
    assert.ok(applied >= before.length);
    // And the restored system takes new cross-shard transfers.
    const t = await restored.json(['transfer', '2999', '3999', '1']);
    assert.equal(t.status, 'committed');
  } finally {
    await reader.close();
  }
});
