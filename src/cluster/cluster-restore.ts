import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { LedgerError } from '../core/errors.js';
import type { ClusterId, NodeId } from '../protocol/ids.js';
import { nodesOfCluster } from '../ledger/topology.js';
import { makeConfig, readConfig } from '../node/config.js';
import { readBackup, sha256OfFile } from '../storage/backup-file.js';
import { checkBackupFits, sameTopology } from './backup-check.js';
import { manifestFileName, parseManifest, type ClusterBackupManifest } from './backup-manifest.js';
import { clusterProcesses, paths } from './local-cluster.js';
import { fileStamp, placeNodeFile, type PlacedFile } from './node-restore.js';

export interface ClusterRestoreResult {
  dataDir: string;
  from: string;
  takenAtMs: number;
  /** Whether restore wrote the data dir's config.json (a fresh data dir) from the manifest. */
  wroteConfig: boolean;
  clusters: Array<{ cluster: ClusterId; fromNode: NodeId; nodes: PlacedFile[] }>;
}

/**
 * `ledger cluster restore --from DIR`: puts a `ledger cluster backup` set in place as every node's
 * file of a stopped system (each replica of a cluster gets its cluster's backup: they start
 * equal, and elect a leader among themselves). Everything is checked before any file changes:
 * the manifest, each file's checksum, and that each file is a backup of its cluster in the
 * manifest's topology, which must be the data dir's when it has one. A fresh data dir gets the
 * manifest's settings as its config.json. The replaced files are kept (see placeNodeFile).
 */
export function restoreCluster(dataDir: string, fromDir: string, nowMs: number): ClusterRestoreResult {
  const from = resolve(fromDir);
  const manifestPath = join(from, manifestFileName);
  if (!existsSync(manifestPath))
    throw new LedgerError('not-found', `no ${manifestFileName} in ${from}`, {
      hint: 'pass the directory `ledger cluster backup --out DIR` wrote',
    });
  const manifest = parseManifest(readFileSync(manifestPath, 'utf8'), manifestPath);
  const running = clusterProcesses(dataDir);
  if (running.natsPid !== null || running.nodes.length > 0)
    throw new LedgerError('unavailable', `a cluster is running in ${dataDir}`, {
      hint: 'stop it first with `ledger cluster stop` (a whole-system restore replaces every node file)',
    });
  const p = paths(dataDir);
  const existing = existsSync(p.config) ? readConfig(p.config) : undefined;
  if (existing !== undefined && !sameTopology(existing.topology, manifest.topology))
    throw new LedgerError(
      'bad-input',
      `${dataDir} holds a system of another topology (${JSON.stringify(existing.topology)}) than the backup (${JSON.stringify(manifest.topology)})`,
      { hint: 'restore into a new --data-dir' },
    );
  for (const entry of manifest.clusters) checkEntry(from, manifest, entry);

  let wroteConfig = false;
  if (existing === undefined) {
    mkdirSync(dataDir, { recursive: true });
    // natsUrl is set again by `ledger cluster start`.
    const config = makeConfig({
      ...manifest.settings,
      topology: manifest.topology,
      natsUrl: 'nats://127.0.0.1:4222',
      dataDir,
    });
    writeFileSync(p.config, `${JSON.stringify(config, null, 2)}\n`);
    wroteConfig = true;
  }
  const stamp = fileStamp(nowMs);
  const clusters = manifest.clusters.map((entry) => ({
    cluster: entry.cluster,
    fromNode: entry.node,
    nodes: nodesOfCluster(manifest.topology, entry.cluster).map((node) =>
      placeNodeFile(dataDir, node, join(from, entry.file), stamp),
    ),
  }));
  return { dataDir, from, takenAtMs: manifest.takenAtMs, wroteConfig, clusters };
}

function checkEntry(
  dir: string,
  manifest: ClusterBackupManifest,
  entry: ClusterBackupManifest['clusters'][number],
): void {
  const file = join(dir, entry.file);
  if (!existsSync(file))
    throw new LedgerError('not-found', `cluster ${entry.cluster}'s backup ${file} is missing`, {
      hint: 'a backup set is restored whole: copy every file the manifest names',
    });
  const sum = sha256OfFile(file);
  if (sum !== entry.sha256)
    throw new LedgerError('bad-input', `${file} does not match its checksum in the manifest (damaged or replaced)`, {
      hint: 'restore from an intact copy of the backup set',
    });
  const misfit = checkBackupFits(file, readBackup(file), manifest.topology, entry.cluster);
  if (misfit !== undefined) throw misfit;
}
