import Database from 'better-sqlite3';
import type BetterSqlite3 from 'better-sqlite3';
import { Kysely, SqliteDialect, type SqliteDatabase } from 'kysely';
import { LedgerError } from '../core/errors.js';
import type { NodeStore } from '../ports/node-store.js';
import { migrateToLatest } from './migrations.js';
import { applyPragmas, type Durability } from './pragmas.js';
import type { StoreTables } from './schema.js';
import { SqliteNodeStore } from './sqlite-node-store.js';
import { prepareStatements } from './statements.js';
import { initialiseOrCheck } from './store-config.js';

export interface OpenNodeStoreOptions {
  /** Path of the node's SQLite file; created when missing (its directory must exist). */
  file: string;
  firstAccount: number;
  lastAccount: number;
  initialBalance: number;
  /** 'full' (default) refuses to open unless synchronous=FULL sticks; 'normal' is for benchmarks. */
  durability?: Durability;
}

/**
 * Opens (creating if needed) a node's SQLite file: pragmas, Kysely migrations, first-time
 * account creation or a check that the file matches this configuration, then the prepared
 * statements. Async only because Kysely is; the returned store is fully synchronous.
 */
export async function openNodeStore(options: OpenNodeStoreOptions): Promise<NodeStore> {
  const durability = options.durability ?? 'full';
  const db = openFile(options.file);
  // Kysely gets a view of the connection whose close() does nothing: the store, not Kysely,
  // owns the file's lifetime, so destroying Kysely once set-up is done leaves the file open.
  const kysely = new Kysely<StoreTables>({ dialect: new SqliteDialect({ database: borrowed(db) }) });
  try {
    const synchronous = applyPragmas(db, options.file, durability);
    await migrateToLatest(kysely, options.file);
    await initialiseOrCheck(kysely, options.file, options);
    const statements = prepareStatements(kysely, db);
    return new SqliteNodeStore({ db, statements, synchronous });
  } catch (error) {
    db.close();
    throw error;
  } finally {
    await kysely.destroy();
  }
}

function openFile(file: string): BetterSqlite3.Database {
  try {
    return new Database(file);
  } catch (cause) {
    throw new LedgerError('storage', `cannot open database ${file}`, {
      hint: 'check that the data directory exists and is writable',
      cause,
    });
  }
}

function borrowed(db: BetterSqlite3.Database): SqliteDatabase {
  return {
    prepare: (sqlText) => db.prepare(sqlText),
    close: () => {},
  };
}
