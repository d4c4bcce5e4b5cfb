import { createHash } from 'node:crypto';
import { closeSync, fsyncSync, openSync, readSync } from 'node:fs';
import Database from 'better-sqlite3';
import type BetterSqlite3 from 'better-sqlite3';
import { LedgerError } from '../core/errors.js';

/**
 * A node's SQLite file copied with SQLite's online backup API (better-sqlite3's `db.backup()`),
 * and the identity a backup carries inside it so that a restore can refuse a file of another
 * node, cluster or topology. The copy is a plain SQLite database in rollback-journal mode (one
 * self-contained file, no -wal beside it); the node sets WAL again when it opens the restored
 * file.
 *
 * The copy is read through its own read-only connection, not asked of the node over an admin
 * command: SQLite's locking is made for a second connection (in WAL mode a reader never blocks
 * the node's writes, and sees one committed snapshot), so no new admin operation, no async admin
 * path in the node and no file path sent over the broker are needed, and a node that is stopped
 * can be backed up too. The price is that the backup runs on the host that holds the file.
 */

/** What a backup says about itself: the `ledger_backup` table (one row) of the copy. */
export interface BackupIdentity {
  format: typeof backupFormat;
  version: number;
  cluster: number;
  node: number;
  /** The deployment's shape (clusters, nodes per cluster, accounts, initial balance). */
  topology: { clusters: number; nodesPerCluster: number; accounts: number; initialBalance: number };
  takenAtMs: number;
}

export const backupFormat = 'ledger-node-backup';
export const backupVersion = 1;

/** What the copy holds, read from its own tables (not from the live node). */
export interface BackupContents {
  identity: BackupIdentity | undefined;
  /** store_config: the accounts the file was created for. */
  firstAccount: number;
  lastAccount: number;
  initialBalance: number;
  /** paxos_meta: how far the file's checkpoint has applied, and its flush generation. */
  checkpointSlot: number;
  generation: number;
  /** The highest slot of the log the file holds (the checkpoint slot when the log is empty). */
  lastSlot: number;
  /** The highest shard-map epoch the file knows (0: no account ever moved). */
  mapEpoch: number;
}

export interface BackupProgress {
  pagesDone: number;
  pagesTotal: number;
}

/** Pages per step of the backup: 4 MiB at SQLite's default page size, so progress moves on a
 *  large file and each step is short. */
const pagesPerStep = 1_024;

/**
 * Copies the database `source` into `target` (which must not exist) with the online backup API,
 * while the node goes on writing. The whole copy is taken inside one read transaction of our
 * connection: every step reads the same WAL snapshot, so the copy is of one moment and the
 * backup never restarts because the node wrote (which it would, step after step, under load).
 * The node's writes are not blocked; its WAL checkpoints stop short of our snapshot until we end.
 */
export async function copyDatabase(
  source: string,
  target: string,
  onProgress: (p: BackupProgress) => void = () => undefined,
): Promise<BackupProgress> {
  const db = openReadOnly(source);
  try {
    db.exec('BEGIN');
    // A read transaction starts at its first read: take the snapshot now.
    db.prepare('SELECT count(*) FROM sqlite_master').get();
    const result = await db.backup(target, {
      progress: ({ totalPages, remainingPages }) => {
        onProgress({ pagesDone: totalPages - remainingPages, pagesTotal: totalPages });
        return pagesPerStep;
      },
    });
    db.exec('COMMIT');
    return { pagesDone: result.totalPages, pagesTotal: result.totalPages };
  } finally {
    db.close();
  }
}

/** Writes the identity into the copy and makes it one self-contained file, synced to disk. */
export function stampBackup(file: string, identity: BackupIdentity): void {
  const db = new Database(file);
  try {
    db.exec('CREATE TABLE IF NOT EXISTS ledger_backup (id INTEGER PRIMARY KEY CHECK (id = 1), identity TEXT NOT NULL)');
    db.prepare('INSERT OR REPLACE INTO ledger_backup (id, identity) VALUES (1, ?)').run(JSON.stringify(identity));
    db.pragma('journal_mode = DELETE');
  } finally {
    db.close();
  }
  syncFile(file);
}

/** Removes the identity from a copy about to become a node's file again: the node's file holds
 *  only its own tables. */
export function unstampBackup(file: string): void {
  const db = new Database(file);
  try {
    db.exec('DROP TABLE IF EXISTS ledger_backup');
  } finally {
    db.close();
  }
  syncFile(file);
}

/**
 * Reads what a backup file holds, refusing with a clear error anything that is not a Ledger
 * database in good shape: a missing file, a file that is not SQLite, a SQLite file without the
 * node's tables, a damaged one (PRAGMA quick_check).
 */
export function readBackup(file: string): BackupContents {
  const db = openReadOnly(file);
  try {
    const tables = new Set(
      (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as Array<{ name: string }>).map(
        (r) => r.name,
      ),
    );
    for (const needed of ['store_config', 'paxos_meta', 'paxos_log', 'accounts'])
      if (!tables.has(needed)) throw notLedger(file, `it is a SQLite database but has no ${needed} table`);
    const check = db.pragma('quick_check', { simple: true });
    if (check !== 'ok') throw notLedger(file, `SQLite's quick_check reports: ${String(check)}`);
    const config = db.prepare('SELECT first_account, last_account, initial_balance FROM store_config').get() as
      { first_account: number; last_account: number; initial_balance: number } | undefined;
    const meta = db.prepare('SELECT applied_index, generation FROM paxos_meta').get() as
      { applied_index: number; generation: number } | undefined;
    if (config === undefined || meta === undefined) throw notLedger(file, 'it was never initialised by a node');
    const lastLogged = (db.prepare('SELECT max(slot) AS slot FROM paxos_log').get() as { slot: number | null }).slot;
    const mapEpoch = tables.has('shard_map')
      ? ((db.prepare('SELECT max(epoch) AS epoch FROM shard_map').get() as { epoch: number | null }).epoch ?? 0)
      : 0;
    const identityText = tables.has('ledger_backup')
      ? (db.prepare('SELECT identity FROM ledger_backup WHERE id = 1').get() as { identity: string } | undefined)
          ?.identity
      : undefined;
    return {
      identity: identityText === undefined ? undefined : parseIdentity(file, identityText),
      firstAccount: config.first_account,
      lastAccount: config.last_account,
      initialBalance: config.initial_balance,
      checkpointSlot: meta.applied_index,
      generation: meta.generation,
      lastSlot: Math.max(lastLogged ?? 0, meta.applied_index),
      mapEpoch,
    };
  } catch (error) {
    if (error instanceof LedgerError) throw error;
    throw notLedger(file, (error as Error).message);
  } finally {
    db.close();
  }
}

function parseIdentity(file: string, text: string): BackupIdentity {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw notLedger(file, 'its backup identity is not JSON');
  }
  const o = value as Partial<BackupIdentity> | null;
  const int = (n: unknown) => typeof n === 'number' && Number.isSafeInteger(n) && n >= 0;
  const t = o?.topology;
  if (
    o === null ||
    typeof o !== 'object' ||
    o.format !== backupFormat ||
    !int(o.version) ||
    !int(o.cluster) ||
    !int(o.node) ||
    !int(o.takenAtMs) ||
    typeof t !== 'object' ||
    t === null ||
    ![t.clusters, t.nodesPerCluster, t.accounts, t.initialBalance].every(int)
  )
    throw notLedger(file, 'its backup identity is not one `ledger node backup` writes');
  if (o.version !== backupVersion)
    throw new LedgerError(
      'bad-input',
      `${file} is a backup of format version ${o.version}, this ledger reads ${backupVersion}`,
    );
  return o as BackupIdentity;
}

function notLedger(file: string, why: string): LedgerError {
  return new LedgerError('bad-input', `${file} is not a Ledger node backup: ${why}`, {
    hint: 'pass a file written by `ledger node backup` or `ledger cluster backup`',
  });
}

function openReadOnly(file: string): BetterSqlite3.Database {
  try {
    return new Database(file, { readonly: true, fileMustExist: true });
  } catch (cause) {
    throw new LedgerError('not-found', `cannot open ${file}: ${(cause as Error).message}`, {
      hint: 'check the path (a backup is one file, written by `ledger node backup`)',
      cause,
    });
  }
}

/** SHA-256 of a file, hex (the manifest's checksum). */
export function sha256OfFile(file: string): string {
  const hash = createHash('sha256');
  const chunk = Buffer.alloc(1 << 20);
  const fd = openSync(file, 'r');
  try {
    for (let n = readSync(fd, chunk); n > 0; n = readSync(fd, chunk)) hash.update(chunk.subarray(0, n));
  } finally {
    closeSync(fd);
  }
  return hash.digest('hex');
}

/** fsync a file (or a directory, so that a rename in it is durable). */
export function syncFile(path: string): void {
  const fd = openSync(path, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
