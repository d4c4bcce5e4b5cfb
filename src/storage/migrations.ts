import { type Kysely, type Migration, type MigrationProvider, Migrator, sql } from 'kysely';
import { LedgerError } from '../core/errors.js';
import type { StoreTables } from './schema.js';

/**
 * The schema history, in code: a compiled build carries its migrations with it, so there is no
 * migrations folder to ship or to get out of step. Kysely applies them in name order and records
 * them in its own kysely_migration table. Never edit a migration that has shipped; add one.
 * Migrations get an untyped Kysely because they run against the schema as it was back then.
 */
const migrations: Record<string, Migration> = {
  '0001_initial': {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('store_config')
        .addColumn('id', 'integer', (c) => c.primaryKey().check(sql`id = 1`))
        .addColumn('first_account', 'integer', (c) => c.notNull())
        .addColumn('last_account', 'integer', (c) => c.notNull())
        .addColumn('initial_balance', 'integer', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('accounts')
        .addColumn('account', 'integer', (c) => c.primaryKey())
        .addColumn('balance', 'integer', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('paxos_meta')
        .addColumn('id', 'integer', (c) => c.primaryKey().check(sql`id = 1`))
        .addColumn('promised_round', 'integer', (c) => c.notNull())
        .addColumn('promised_node', 'integer', (c) => c.notNull())
        .addColumn('applied_index', 'integer', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('paxos_log')
        .addColumn('slot', 'integer', (c) => c.primaryKey())
        .addColumn('ballot_round', 'integer', (c) => c.notNull())
        .addColumn('ballot_node', 'integer', (c) => c.notNull())
        .addColumn('value', 'blob')
        .addColumn('chosen', 'integer', (c) => c.notNull().check(sql`chosen in (0, 1)`))
        .execute();
      await db.schema
        .createTable('client_sessions')
        .addColumn('client_id', 'text', (c) => c.primaryKey())
        .addColumn('seq', 'integer', (c) => c.notNull())
        .addColumn('outcome', 'text', (c) => c.notNull())
        .addColumn('slot', 'integer', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('view_changes')
        .addColumn('seq', 'integer', (c) => c.primaryKey().autoIncrement())
        .addColumn('ballot_round', 'integer', (c) => c.notNull())
        .addColumn('ballot_node', 'integer', (c) => c.notNull())
        .addColumn('leader', 'integer', (c) => c.notNull())
        .addColumn('commit_index', 'integer', (c) => c.notNull())
        .addColumn('entries', 'blob', (c) => c.notNull())
        .addColumn('recorded_at_ms', 'integer', (c) => c.notNull())
        .execute();
    },
  },
  /** Checkpoints and compaction: the log keeps only slots above the floor. */
  '0002_log_floor': {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .alterTable('paxos_meta')
        .addColumn('log_floor', 'integer', (c) => c.notNull().defaultTo(0))
        .execute();
    },
  },
  /** Cross-shard transfers: the replicated Two-Phase Commit records (the 2PC write-ahead log). */
  '0003_twopc_records': {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('coordinator_txns')
        .addColumn('txn_key', 'text', (c) => c.primaryKey())
        .addColumn('record', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('participant_txns')
        .addColumn('txn_key', 'text', (c) => c.primaryKey())
        .addColumn('record', 'text', (c) => c.notNull())
        .execute();
    },
  },
  /** Flush (`ledger cluster flush`, the test-file runner): the generation of the instance. */
  '0004_generation': {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .alterTable('paxos_meta')
        .addColumn('generation', 'integer', (c) => c.notNull().defaultTo(0))
        .execute();
    },
  },
  /** Resharding: the shard map's entries, the moves not yet acknowledged, the transfer history,
   *  and the accounts each session's command touched (NULL in sessions written before). */
  '0005_resharding': {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('shard_map')
        .addColumn('account', 'integer', (c) => c.primaryKey())
        .addColumn('cluster', 'integer', (c) => c.notNull())
        .addColumn('epoch', 'integer', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('outbound_moves')
        .addColumn('epoch', 'integer', (c) => c.primaryKey())
        .addColumn('record', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('transfer_history')
        .addColumn('position', 'integer', (c) => c.primaryKey())
        .addColumn('from_account', 'integer', (c) => c.notNull())
        .addColumn('to_account', 'integer', (c) => c.notNull())
        .execute();
      await db.schema.alterTable('client_sessions').addColumn('accounts', 'text').execute();
    },
  },
};

const provider: MigrationProvider = {
  getMigrations: () => Promise.resolve(migrations),
};

/** Brings the file's schema up to date; a failure leaves the file as the last good migration left it. */
export async function migrateToLatest(db: Kysely<StoreTables>, file: string): Promise<void> {
  const { error } = await new Migrator({ db, provider }).migrateToLatest();
  if (error !== undefined) {
    throw new LedgerError('storage', `cannot migrate the schema of ${file}`, {
      hint: 'the file may come from a newer version or be damaged; restore a backup or start from an empty data directory',
      cause: error,
    });
  }
}
