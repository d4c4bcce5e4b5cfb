import { copyFileSync, existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { LedgerError } from '../core/errors.js';
import type { ClusterId, NodeId, Slot } from '../protocol/ids.js';
import { nodesOfCluster, type Topology } from '../ledger/topology.js';
import type { LedgerClient } from '../client/ledger-client.js';
import { readBackup, syncFile, unstampBackup, type BackupContents } from '../storage/backup-file.js';
import { checkBackupFits, checkNodeExists } from './backup-check.js';
import { nodeFile } from './local-cluster.js';
import { waitFor } from './processes.js';

/**
 * Reads and checks a backup for node N: a Ledger backup of N's cluster in this topology, or a
 * clear error. Nothing is changed.
 */
export function checkNodeBackup(
  from: string,
  topology: Topology,
  node: NodeId,
): { cluster: ClusterId; contents: BackupContents; file: string } {
  const cluster = checkNodeExists(topology, node);
  const file = resolve(from);
  if (!existsSync(file))
    throw new LedgerError('not-found', `no backup at ${file}`, {
      hint: 'pass the file `ledger node backup --out` wrote',
    });
  const contents = readBackup(file);
  const misfit = checkBackupFits(file, contents, topology, cluster);
  if (misfit !== undefined) throw misfit;
  return { cluster, contents, file };
}

/** Where a replaced node file went (its -wal beside it, under the same new name). */
export interface PlacedFile {
  node: NodeId;
  file: string;
  /** The node's previous file, kept: `nN.sqlite.before-restore-<time>`; null if there was none. */
  previous: string | null;
}

/**
 * Puts a checked backup in place as node N's file, the node being stopped. The copy is made
 * beside the file first (`.restoring`), its backup identity removed and synced; only then is the
 * old file renamed aside to `nN.sqlite.before-restore-<time>` (with its -wal, which belongs to
 * it: left beside the new file, SQLite would replay it into the wrong database) and the copy
 * renamed into place. A failure before the renames leaves the node's file untouched; after the
 * first, the old file is still there under its new name (docs/durability.md, "Backup and
 * restore").
 */
export function placeNodeFile(dataDir: string, node: NodeId, backup: string, stamp: string): PlacedFile {
  const file = nodeFile(dataDir, node);
  mkdirSync(dirname(file), { recursive: true });
  const incoming = `${file}.restoring`;
  rmSync(incoming, { force: true });
  try {
    copyFileSync(backup, incoming);
    unstampBackup(incoming);
  } catch (error) {
    rmSync(incoming, { force: true });
    throw new LedgerError('storage', `could not copy the backup for node ${node}: ${(error as Error).message}`, {
      hint: 'check free space in the data dir',
      cause: error,
    });
  }
  let previous: string | null = null;
  if (existsSync(file)) {
    previous = `${file}.before-restore-${stamp}`;
    renameSync(file, previous);
    if (existsSync(`${file}-wal`)) renameSync(`${file}-wal`, `${previous}-wal`);
  }
  // The shared-memory index describes the old WAL; SQLite rebuilds it.
  rmSync(`${file}-shm`, { force: true });
  rmSync(`${file}-wal`, { force: true });
  renameSync(incoming, file);
  syncFile(dirname(file));
  return { node, file, previous };
}

/** A time stamp for file names: 20261202T051500Z. */
export function fileStamp(ms: number): string {
  return new Date(ms).toISOString().replace(/[-:]/g, '').replace(/\.\d+/, '');
}

/**
 * A restored replica has forgotten what it promised and accepted after its backup was taken.
 * That is safe while the replicas that remember are a majority without it (they alone can form
 * every quorum until it has caught up), so a restore into a running cluster asks for a majority
 * of the cluster among the other replicas, answering and not failed. And the backup must be of
 * their flush generation: a node of another one drops every message of its peers.
 */
export async function checkPeersForRestore(
  client: Pick<LedgerClient, 'status'>,
  topology: Topology,
  node: NodeId,
  backupGeneration: number,
): Promise<{ peersLive: NodeId[] }> {
  const cluster = checkNodeExists(topology, node);
  const peers = nodesOfCluster(topology, cluster).filter((n) => n !== node);
  const statuses = await client.status(1_000);
  const live = statuses.flatMap((s) => (peers.includes(s.node) && s.role !== 'down' && !s.failed ? [s] : []));
  const majority = Math.floor(topology.nodesPerCluster / 2) + 1;
  if (live.length < majority)
    throw new LedgerError(
      'unavailable',
      `only ${live.length} of node ${node}'s peers in cluster ${cluster} are live (need ${majority}): restoring now could lose committed transfers`,
      { hint: 'start or recover the other replicas first, or stop the whole system and use `ledger cluster restore`' },
    );
  const generation = Math.max(...live.map((s) => s.generation));
  if (generation !== backupGeneration)
    throw new LedgerError(
      'bad-input',
      `the backup is of flush generation ${backupGeneration}, cluster ${cluster} is in generation ${generation} (flushed since the backup)`,
      { hint: 'take a new backup: a node of another generation cannot rejoin its cluster' },
    );
  return { peersLive: live.map((s) => s.node) };
}

/** Waits until node N has applied what its cluster had committed when it started: caught up. */
export async function waitCaughtUp(
  client: LedgerClient,
  topology: Topology,
  cluster: ClusterId,
  node: NodeId,
  timeoutMs: number,
): Promise<{ appliedIndex: Slot; target: Slot }> {
  const peers = nodesOfCluster(topology, cluster).filter((n) => n !== node);
  let target = 0;
  for (const s of await client.status(1_000))
    if (peers.includes(s.node) && s.role !== 'down') target = Math.max(target, s.commitIndex);
  const appliedIndex = await waitFor(
    `node ${node} to catch up to slot ${target}`,
    timeoutMs,
    async () => {
      try {
        const s = await client.nodeStatus(node, 500);
        return s.appliedIndex >= target ? s.appliedIndex : undefined;
      } catch {
        return undefined;
      }
    },
    100,
  );
  return { appliedIndex, target };
}
