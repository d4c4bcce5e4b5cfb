import type BetterSqlite3 from 'better-sqlite3';
import { type CompiledQuery, type RawBuilder, sql } from 'kysely';
import { assert } from '../core/assert.js';

/**
 * Hot-path statements are built with Kysely (so table and column names are type-checked) but
 * prepared once with better-sqlite3: running them through Kysely would re-prepare the SQL on
 * every call (~30-55 us against ~1.5 us for a cached statement). Values are bound by name
 * (`@slot`), so the argument object's type `P` is what the statement expects, not a position.
 */
export function namedParams<P extends object>(): <K extends keyof P & string>(name: K) => RawBuilder<P[K]> {
  return (name) => sql.raw(`@${name}`);
}

/** Prepares a statement that takes a named-parameter object `P` and returns rows `R`. */
export function prepareNamed<P extends object, R>(
  db: BetterSqlite3.Database,
  query: CompiledQuery<R>,
): BetterSqlite3.Statement<[P], R> {
  assertNoBakedValues(query);
  return db.prepare<[P], R>(query.sql);
}

/** Prepares a statement without parameters. */
export function prepareBare<R>(db: BetterSqlite3.Database, query: CompiledQuery<R>): BetterSqlite3.Statement<[], R> {
  assertNoBakedValues(query);
  return db.prepare<[], R>(query.sql);
}

/** A literal value in the builder would become a positional `?` that nobody binds. */
function assertNoBakedValues(query: CompiledQuery<unknown>): void {
  assert(query.parameters.length === 0, `prepared statement has positional parameters; use named ones: ${query.sql}`);
}
