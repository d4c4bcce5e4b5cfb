import { accessSync, constants, existsSync, rmSync, renameSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { LedgerError } from '../core/errors.js';
import type { ClusterId, NodeId, Slot } from '../protocol/ids.js';
import type { Topology } from '../ledger/topology.js';
import {
  backupFormat,
  backupVersion,
  copyDatabase,
  readBackup,
  sha256OfFile,
  stampBackup,
  syncFile,
  type BackupProgress,
} from '../storage/backup-file.js';
import { checkNodeExists } from './backup-check.js';
import { nodeFile } from './local-cluster.js';

/** What `ledger node backup` wrote. */
export interface NodeBackupResult {
  node: NodeId;
  cluster: ClusterId;
  file: string;
  bytes: number;
  pages: number;
  sha256: string;
  /** The file's log reaches this slot; its checkpoint this one. */
  lastSlot: Slot;
  checkpointSlot: Slot;
  generation: number;
  mapEpoch: number;
  takenAtMs: number;
  ms: number;
}

export interface NodeBackupOptions {
  /** Replace an existing file at `out`. */
  force: boolean;
  onProgress?: (p: BackupProgress) => void;
}

/**
 * Copies node N's SQLite file to `out` with SQLite's online backup API while the node serves
 * (src/storage/backup-file.ts says how, and why the CLI reads the file rather than the node).
 * The copy is written beside `out` under a temporary name and renamed into place once it is
 * complete, stamped and synced, so `out` is never a half-written backup; a failure removes the
 * temporary file and leaves an existing `out` as it was.
 */
export async function backupNode(
  dataDir: string,
  topology: Topology,
  node: NodeId,
  outPath: string,
  options: NodeBackupOptions,
): Promise<NodeBackupResult> {
  const cluster = checkNodeExists(topology, node);
  const source = nodeFile(dataDir, node);
  if (!existsSync(source))
    throw new LedgerError('not-found', `node ${node} has no database at ${source}`, {
      hint: 'has the node ever started in this data dir? see `ledger cluster status`',
    });
  const out = resolve(outPath);
  checkWritable(out, options.force);
  const started = Date.now();
  const partial = `${out}.partial-${process.pid}`;
  rmSync(partial, { force: true });
  try {
    const progress = await copyDatabase(source, partial, options.onProgress);
    const takenAtMs = Date.now();
    stampBackup(partial, { format: backupFormat, version: backupVersion, cluster, node, topology, takenAtMs });
    const contents = readBackup(partial);
    renameSync(partial, out);
    syncFile(dirname(out));
    return {
      node,
      cluster,
      file: out,
      bytes: statSync(out).size,
      pages: progress.pagesTotal,
      sha256: sha256OfFile(out),
      lastSlot: contents.lastSlot,
      checkpointSlot: contents.checkpointSlot,
      generation: contents.generation,
      mapEpoch: contents.mapEpoch,
      takenAtMs,
      ms: Date.now() - started,
    };
  } catch (error) {
    rmSync(partial, { force: true });
    if (error instanceof LedgerError) throw error;
    throw new LedgerError('storage', `backup of node ${node} failed: ${(error as Error).message}`, {
      hint: 'check free space where the backup goes, and that the node file is readable',
      cause: error,
    });
  }
}

/** Refuses, before anything is written, an `out` that exists (unless forced), is a directory,
 *  or lies in a directory that is missing or not writable. */
export function checkWritable(out: string, force: boolean): void {
  if (existsSync(out)) {
    if (statSync(out).isDirectory())
      throw new LedgerError('bad-input', `${out} is a directory`, {
        hint: 'give the path of the backup file to write',
      });
    if (!force)
      throw new LedgerError('bad-input', `${out} already exists`, {
        hint: 'pass --force to replace it, or choose another path',
      });
  }
  const dir = dirname(out);
  try {
    accessSync(dir, constants.W_OK);
  } catch {
    throw new LedgerError(
      'bad-input',
      `cannot write to ${dir}: ${existsSync(dir) ? 'not writable' : 'no such directory'}`,
      {
        hint: 'create the directory, or choose a writable path',
      },
    );
  }
}
