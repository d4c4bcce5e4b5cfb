import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { LedgerError } from '../../src/core/errors.js';
import { defaultTopology } from '../../src/ledger/topology.js';
import { checkBackupFits } from '../../src/cluster/backup-check.js';
import { manifestFormat, manifestVersion, parseManifest } from '../../src/cluster/backup-manifest.js';
import { nodeFile } from '../../src/cluster/local-cluster.js';
import { restoreCluster } from '../../src/cluster/cluster-restore.js';
import { accountRange } from '../../src/ledger/topology.js';
import { sha256OfFile } from '../../src/storage/backup-file.js';
import { checkPeersForRestore, placeNodeFile } from '../../src/cluster/node-restore.js';
import type { NodeStatusRow } from '../../src/client/ledger-client.js';
import {
  backupFormat,
  backupVersion,
  copyDatabase,
  readBackup,
  stampBackup,
  type BackupContents,
} from '../../src/storage/backup-file.js';
import { openNodeStore } from '../../src/storage/open.js';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'ledger-backup-test-'));
after(() => fs.rmSync(root, { recursive: true, force: true }));
let n = 0;
const temp = (name: string) => path.join(root, `${++n}-${name}`);

/** A real node file of cluster 1 of the default topology (accounts 1..3000 at 10). */
async function nodeDb(file: string): Promise<void> {
  const store = await openNodeStore({ file, firstAccount: 1, lastAccount: 3000, initialBalance: 10 });
  store.close();
}

function contents(overrides: Partial<BackupContents> = {}): BackupContents {
  return {
    identity: {
      format: backupFormat,
      version: backupVersion,
      cluster: 1,
      node: 2,
      topology: defaultTopology,
      takenAtMs: 1,
    },
    firstAccount: 1,
    lastAccount: 3000,
    initialBalance: 10,
    checkpointSlot: 0,
    generation: 0,
    lastSlot: 0,
    mapEpoch: 0,
    ...overrides,
  };
}

const sha = 'a'.repeat(64);
function manifest(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    format: manifestFormat,
    version: manifestVersion,
    takenAtMs: 5,
    topology: defaultTopology,
    settings: { prefix: 'ledger' },
    cut: { heldMs: 10, attempts: 1 },
    clusters: [1, 2, 3].map((cluster) => ({
      cluster,
      node: cluster * 3 - 2,
      file: `cluster-${cluster}.sqlite`,
      bytes: 4096,
      sha256: sha,
      appliedIndex: 7,
      lastSlot: 8,
      checkpointSlot: 0,
      generation: 0,
      mapEpoch: 0,
      takenAtMs: 5,
    })),
    ...overrides,
  };
}

function refusal(fn: () => unknown): LedgerError {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof LedgerError, `expected a LedgerError, got ${String(error)}`);
    return error;
  }
  assert.fail('expected a refusal');
}

describe('backup manifest', () => {
  test('a manifest as cluster backup writes it is read back', () => {
    const m = parseManifest(JSON.stringify(manifest()), 'm.json');
    assert.deepEqual(
      m.clusters.map((c) => [c.cluster, c.node, c.file]),
      [
        [1, 1, 'cluster-1.sqlite'],
        [2, 4, 'cluster-2.sqlite'],
        [3, 7, 'cluster-3.sqlite'],
      ],
    );
    assert.deepEqual(m.topology, defaultTopology);
  });

  test('anything off shape is refused with the field it is about', () => {
    const cases: Array<[string, string, RegExp]> = [
      ['not JSON', '{', /not JSON/],
      ['another format', JSON.stringify(manifest({ format: 'x' })), /format/],
      ['another version', JSON.stringify(manifest({ version: 99 })), /version 99/],
      [
        'a cluster missing',
        JSON.stringify(manifest({ clusters: (manifest().clusters as unknown[]).slice(0, 2) })),
        /lists clusters 1, 2/,
      ],
    ];
    const withEntry = (patch: Record<string, unknown>) =>
      JSON.stringify(
        manifest({
          clusters: (manifest().clusters as Array<Record<string, unknown>>).map((c, i) =>
            i === 1 ? { ...c, ...patch } : c,
          ),
        }),
      );
    cases.push(['a file outside the directory', withEntry({ file: '../../etc/passwd' }), /plain file name/]);
    cases.push(['a hidden file', withEntry({ file: '.x' }), /plain file name/]);
    cases.push(['a bad checksum', withEntry({ sha256: 'xyz' }), /SHA-256/]);
    cases.push(['a node of another cluster', withEntry({ node: 1 }), /not one of its replicas/]);
    cases.push(['a negative slot', withEntry({ lastSlot: -1 }), /lastSlot/]);
    for (const [what, text, message] of cases) {
      const error = refusal(() => parseManifest(text, 'm.json'));
      assert.equal(error.code, 'bad-input', what);
      assert.match(error.message, message, what);
    }
  });
});

describe('whether a backup fits a node', () => {
  test('a backup of any replica of the same cluster fits', () => {
    assert.equal(checkBackupFits('f', contents(), defaultTopology, 1), undefined);
  });

  test('a backup of another cluster, another topology, a plain node file or mismatched accounts is refused', () => {
    const cases: Array<[string, BackupContents, RegExp]> = [
      ['another cluster', contents(), /backup of cluster 1 \(node 2\), not of cluster 2/],
      ['no identity', contents({ identity: undefined }), /not a backup/],
      [
        'another topology',
        contents({
          identity: {
            ...(contents().identity as NonNullable<BackupContents['identity']>),
            topology: { ...defaultTopology, accounts: 900 },
          },
        }),
        /another deployment/,
      ],
    ];
    for (const [what, c, message] of cases) {
      const error = checkBackupFits('f', c, defaultTopology, what === 'another cluster' ? 2 : 1);
      assert.ok(error !== undefined, what);
      assert.match(error.message, message, what);
    }
    const wrongRange = checkBackupFits('f', contents({ lastAccount: 2999 }), defaultTopology, 1);
    assert.match(wrongRange?.message ?? '', /holds accounts 1..2999/);
  });
});

describe('backup file', () => {
  test('the copy is of one snapshot while another connection writes, and never restarts', async () => {
    const source = temp('busy.db');
    const writer = new Database(source);
    writer.pragma('journal_mode = WAL');
    writer.exec('CREATE TABLE blobs (id INTEGER PRIMARY KEY, data BLOB); CREATE TABLE counter (n INTEGER)');
    writer.exec('INSERT INTO counter VALUES (0)');
    const insert = writer.prepare('INSERT INTO blobs (data) VALUES (?)');
    // 12 MiB: several steps of the backup.
    writer.transaction(() => {
      for (let i = 0; i < 3_000; i++) insert.run(Buffer.alloc(4_000, i % 256));
    })();
    const bump = writer.prepare('UPDATE counter SET n = n + 1');
    const done: number[] = [];
    const target = temp('copy.db');
    // The node writes between the backup's steps, as it does while a backup runs.
    await copyDatabase(source, target, ({ pagesDone }) => {
      done.push(pagesDone);
      // 12 MiB is 3 to 4 steps; a backup that restarts at each write would never end.
      if (done.length > 50) throw new Error(`the backup keeps restarting: ${done.slice(0, 10).join(',')}...`);
      bump.run();
      insert.run(Buffer.alloc(4_000, 7));
    });
    const writes = (writer.prepare('SELECT n FROM counter').get() as { n: number }).n;
    writer.close();
    assert.ok(done.length >= 3, `several steps (${done.length})`);
    assert.ok(writes >= 3);
    // A restart would start counting pages from 0 again.
    for (let i = 1; i < done.length; i++)
      assert.ok((done[i] as number) >= (done[i - 1] as number), `no restart: ${done.join(',')}`);
    const copy = new Database(target, { readonly: true });
    assert.equal(
      (copy.prepare('SELECT n FROM counter').get() as { n: number }).n,
      0,
      'the copy is of the moment it began',
    );
    assert.equal((copy.prepare('SELECT count(*) AS c FROM blobs').get() as { c: number }).c, 3_000);
    copy.close();
  });

  test('a stamped copy of a node file reads back with its identity; bad files are refused', async () => {
    const file = temp('n1.sqlite');
    await nodeDb(file);
    const copy = temp('n1.backup');
    await copyDatabase(file, copy);
    assert.equal(readBackup(copy).identity, undefined);
    stampBackup(copy, {
      format: backupFormat,
      version: backupVersion,
      cluster: 1,
      node: 1,
      topology: defaultTopology,
      takenAtMs: 9,
    });
    const read = readBackup(copy);
    assert.equal(read.identity?.node, 1);
    assert.deepEqual([read.firstAccount, read.lastAccount, read.initialBalance], [1, 3000, 10]);
    assert.ok(!fs.existsSync(`${copy}-wal`), 'one self-contained file');

    const missing = refusal(() => readBackup(temp('none')));
    assert.equal(missing.code, 'not-found');
    const garbage = temp('garbage');
    fs.writeFileSync(garbage, 'this is not a database, just text long enough to be read as a header '.repeat(100));
    assert.match(refusal(() => readBackup(garbage)).message, /not a Ledger node backup/);
    const other = temp('other.db');
    new Database(other).exec('CREATE TABLE t (x)');
    assert.match(refusal(() => readBackup(other)).message, /no store_config table/);
  });
});

describe('placing a backup as a node file', () => {
  test('the old file and its WAL are kept aside, the backup is in place without its identity', async () => {
    const dataDir = temp('data');
    fs.mkdirSync(path.join(dataDir, 'nodes'), { recursive: true });
    const file = nodeFile(dataDir, 2);
    await nodeDb(file);
    fs.writeFileSync(`${file}-wal`, 'old wal');
    const backup = temp('b.sqlite');
    await copyDatabase(file, backup);
    stampBackup(backup, {
      format: backupFormat,
      version: backupVersion,
      cluster: 1,
      node: 1,
      topology: defaultTopology,
      takenAtMs: 9,
    });
    const oldBytes = fs.readFileSync(file);
    const placed = placeNodeFile(dataDir, 2, backup, 'T1');
    assert.equal(placed.previous, `${file}.before-restore-T1`);
    assert.deepEqual(fs.readFileSync(placed.previous), oldBytes);
    assert.equal(fs.readFileSync(`${placed.previous}-wal`, 'utf8'), 'old wal');
    assert.ok(!fs.existsSync(`${file}-wal`), 'the old WAL is not left beside the new file');
    assert.equal(readBackup(file).identity, undefined, "the node's file holds only its own tables");
    // And a node opens it.
    const store = await openNodeStore({ file, firstAccount: 1, lastAccount: 3000, initialBalance: 10 });
    store.close();
  });

  test('a backup that cannot be copied leaves the node file untouched', async () => {
    const dataDir = temp('data');
    fs.mkdirSync(path.join(dataDir, 'nodes'), { recursive: true });
    const file = nodeFile(dataDir, 2);
    await nodeDb(file);
    const before = fs.readFileSync(file);
    refusal(() => placeNodeFile(dataDir, 2, temp('missing.sqlite'), 'T2'));
    assert.deepEqual(fs.readFileSync(file), before);
    assert.deepEqual(
      fs.readdirSync(path.join(dataDir, 'nodes')).filter((f) => f.includes('restor')),
      [],
    );
  });
});

describe('restoring a node into a running cluster', () => {
  /** Status rows as the client reports them: live peers at `generation`, the rest down. */
  const rows = (live: number[], generation = 0, failed: number[] = []) => ({
    status: async (): Promise<NodeStatusRow[]> =>
      [1, 2, 3, 4, 5, 6, 7, 8, 9].map((node) =>
        live.includes(node)
          ? ({
              node,
              cluster: Math.ceil(node / 3),
              role: 'follower',
              failed: failed.includes(node),
              generation,
            } as unknown as NodeStatusRow)
          : { node, cluster: Math.ceil(node / 3), role: 'down', reason: 'not answering' },
      ),
  });
  const refused = async (p: Promise<unknown>): Promise<LedgerError> => {
    try {
      await p;
    } catch (error) {
      assert.ok(error instanceof LedgerError);
      return error;
    }
    assert.fail('expected a refusal');
  };

  test("goes ahead when the live peers are a majority of the cluster, in the backup's generation", async () => {
    assert.deepEqual((await checkPeersForRestore(rows([5, 6]), defaultTopology, 4, 0)).peersLive, [5, 6]);
    assert.deepEqual((await checkPeersForRestore(rows([1, 2, 3]), defaultTopology, 2, 0)).peersLive, [1, 3]);
  });

  test('is refused when the peers that remember are no majority without the node', async () => {
    const down = await refused(checkPeersForRestore(rows([4, 5]), defaultTopology, 4, 0));
    assert.equal(down.code, 'unavailable');
    assert.match(down.message, /only 1 of node 4's peers in cluster 2 are live \(need 2\)/);
    const failed = await refused(checkPeersForRestore(rows([4, 5, 6], 0, [6]), defaultTopology, 4, 0));
    assert.match(failed.message, /only 1 of node 4's peers/);
  });

  test('is refused when the cluster was flushed since the backup', async () => {
    const flushed = await refused(checkPeersForRestore(rows([5, 6], 3), defaultTopology, 4, 2));
    assert.equal(flushed.code, 'bad-input');
    assert.match(flushed.message, /generation 2, cluster 2 is in generation 3/);
  });
});

describe('restoring a whole system from a backup set', () => {
  /** A set as `cluster backup` writes it: one stamped node file per cluster and the manifest. */
  async function backupSet(): Promise<{ dir: string; manifest: Record<string, any> }> {
    const dir = temp('set');
    fs.mkdirSync(dir);
    const m = manifest() as Record<string, any>;
    for (const entry of m.clusters) {
      const range = accountRange(defaultTopology, entry.cluster);
      const live = temp(`c${entry.cluster}.sqlite`);
      const store = await openNodeStore({
        file: live,
        firstAccount: range.first,
        lastAccount: range.last,
        initialBalance: 10,
      });
      store.close();
      const file = path.join(dir, entry.file);
      await copyDatabase(live, file);
      stampBackup(file, {
        format: backupFormat,
        version: backupVersion,
        cluster: entry.cluster,
        node: entry.node,
        topology: defaultTopology,
        takenAtMs: 1,
      });
      entry.sha256 = sha256OfFile(file);
      entry.bytes = fs.statSync(file).size;
    }
    fs.writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify(m));
    return { dir, manifest: m };
  }

  test("every replica of each cluster gets its cluster's backup, and a fresh data dir its config", async () => {
    const { dir } = await backupSet();
    const dataDir = temp('fresh');
    const result = restoreCluster(dataDir, dir, Date.UTC(2026, 0, 1));
    assert.equal(result.wroteConfig, true);
    assert.deepEqual(
      result.clusters.map((c) => c.nodes.map((n) => n.node)),
      [
        [1, 2, 3],
        [4, 5, 6],
        [7, 8, 9],
      ],
    );
    for (const node of [1, 5, 9]) {
      const read = readBackup(nodeFile(dataDir, node));
      assert.equal(read.identity, undefined);
      assert.equal(read.firstAccount, accountRange(defaultTopology, Math.ceil(node / 3)).first);
    }
    assert.equal(JSON.parse(fs.readFileSync(path.join(dataDir, 'config.json'), 'utf8')).topology.accounts, 9000);
  });

  test('a set whose files do not match their clusters or checksums is refused before any file is written', async () => {
    const { dir, manifest: m } = await backupSet();
    // Cluster 1's entry names cluster 2's file (with its right checksum).
    const swapped = {
      ...m,
      clusters: m.clusters.map((e: any, i: number) => (i === 0 ? { ...m.clusters[1], cluster: 1, node: 1 } : e)),
    };
    fs.writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify(swapped));
    const dataDir = temp('untouched');
    assert.match(
      refusal(() => restoreCluster(dataDir, dir, 0)).message,
      /backup of cluster 2 \(node 4\), not of cluster 1/,
    );
    assert.equal(fs.existsSync(dataDir), false);
    const wrongSum = {
      ...m,
      clusters: m.clusters.map((e: any, i: number) => (i === 2 ? { ...e, sha256: 'b'.repeat(64) } : e)),
    };
    fs.writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify(wrongSum));
    assert.match(refusal(() => restoreCluster(dataDir, dir, 0)).message, /checksum/);
    assert.equal(fs.existsSync(dataDir), false);
    assert.equal(refusal(() => restoreCluster(dataDir, temp('no-set'), 0)).code, 'not-found');
  });
});
