import type BetterSqlite3 from 'better-sqlite3';
import { LedgerError } from '../core/errors.js';

export type Durability = 'full' | 'normal';

/** SQLite's numeric values for PRAGMA synchronous. */
const synchronousCode: Record<Durability, number> = { normal: 1, full: 2 };

/** How long a statement waits for another connection's lock (a CLI reading the file, a
 *  backup) before failing with SQLITE_BUSY. Longer than any transaction this store runs. */
const busyTimeoutMs = 5_000;

/**
 * Sets the per-connection pragmas and reads back the ones durability depends on. synchronous is
 * not stored in the file, and the SQLite bundled with better-sqlite3 opens WAL databases at
 * NORMAL, where a power loss can drop transactions that already returned: so it is set on every
 * open and checked, and a node that asked for FULL refuses to run without it.
 */
export function applyPragmas(db: BetterSqlite3.Database, file: string, durability: Durability): Durability {
  const journalMode = db.pragma('journal_mode = WAL', { simple: true });
  if (journalMode !== 'wal') {
    throw new LedgerError('storage', `${file} runs in journal mode ${String(journalMode)}, not WAL`, {
      hint: 'use a database file on a local disk (WAL needs shared memory, and in-memory databases cannot use it)',
    });
  }
  db.pragma(`busy_timeout = ${busyTimeoutMs}`);
  // No foreign keys today; on, so that any a later migration declares are enforced.
  db.pragma('foreign_keys = ON');
  db.pragma(`synchronous = ${synchronousCode[durability]}`);
  const readBack = db.pragma('synchronous', { simple: true });
  if (readBack !== synchronousCode[durability]) {
    throw new LedgerError(
      'storage',
      `${file}: asked for synchronous=${durability.toUpperCase()} but SQLite reports ${String(readBack)}`,
      {
        hint: 'acknowledged writes could be lost on power failure; check the SQLite build, or pass --durability normal for a benchmark only',
      },
    );
  }
  return durability;
}
