import type BetterSqlite3 from 'better-sqlite3';
import { type Kysely, sql } from 'kysely';
import { namedParams, prepareBare, prepareNamed } from './named-params.js';
import type { StoreTables } from './schema.js';

export interface PromisedParams {
  round: number;
  node: number;
}
export interface AppliedParams {
  appliedIndex: number;
}
export interface LogRowParams {
  slot: number;
  ballotRound: number;
  ballotNode: number;
  value: Buffer | null;
  chosen: number;
}
export interface BalanceParams {
  account: number;
  balance: number;
}
export interface SessionParams {
  clientId: string;
  seq: number;
  outcome: string;
  slot: number;
}
export interface ClientIdParams {
  clientId: string;
}
export interface ViewParams {
  ballotRound: number;
  ballotNode: number;
  leader: number;
  commitIndex: number;
  entries: Buffer;
  recordedAtMs: number;
}
export interface RecordParams {
  key: string;
  record: string;
}
export interface KeyParams {
  key: string;
}
export interface SlotParams {
  slot: number;
}
export interface InitialBalanceParams {
  initialBalance: number;
}
export interface ResetParams {
  round: number;
  node: number;
  generation: number;
}

/** The single rows of paxos_meta and store_config have id 1; a literal, not a bound value. */
const theRow = sql.lit(1);

/**
 * Every statement the store runs after opening, prepared once. Kysely only writes the SQL text
 * here (typed against StoreTables); better-sqlite3 keeps the compiled statements.
 */
export function prepareStatements(kysely: Kysely<StoreTables>, db: BetterSqlite3.Database) {
  const promised = namedParams<PromisedParams>();
  const applied = namedParams<AppliedParams>();
  const log = namedParams<LogRowParams>();
  const balance = namedParams<BalanceParams>();
  const session = namedParams<SessionParams>();
  const client = namedParams<ClientIdParams>();
  const view = namedParams<ViewParams>();
  const initial = namedParams<InitialBalanceParams>();
  const slot = namedParams<SlotParams>();
  const rec = namedParams<RecordParams>();
  const key = namedParams<KeyParams>();
  const reset = namedParams<ResetParams>();

  return {
    selectMeta: prepareBare(
      db,
      kysely
        .selectFrom('paxos_meta')
        .select(['promised_round', 'promised_node', 'applied_index', 'log_floor', 'generation'])
        .where('id', '=', theRow)
        .compile(),
    ),
    selectLog: prepareBare(
      db,
      kysely
        .selectFrom('paxos_log')
        .select(['slot', 'ballot_round', 'ballot_node', 'value', 'chosen'])
        .orderBy('slot')
        .compile(),
    ),
    selectBalances: prepareBare(
      db,
      kysely.selectFrom('accounts').select(['account', 'balance']).orderBy('account').compile(),
    ),
    // Slot order is the sessions' recency order, which LedgerState's LRU eviction relies on.
    selectSessions: prepareBare(
      db,
      kysely
        .selectFrom('client_sessions')
        .select(['client_id', 'seq', 'outcome', 'slot'])
        .orderBy('slot')
        .orderBy('client_id')
        .compile(),
    ),
    selectViews: prepareBare(db, kysely.selectFrom('view_changes').selectAll().orderBy('seq').compile()),
    updatePromised: prepareNamed<PromisedParams, unknown>(
      db,
      kysely
        .updateTable('paxos_meta')
        .set({ promised_round: promised('round'), promised_node: promised('node') })
        .where('id', '=', theRow)
        .compile(),
    ),
    updateApplied: prepareNamed<AppliedParams, unknown>(
      db,
      kysely
        .updateTable('paxos_meta')
        .set({ applied_index: applied('appliedIndex') })
        .where('id', '=', theRow)
        .compile(),
    ),
    upsertLog: prepareNamed<LogRowParams, unknown>(
      db,
      kysely
        .insertInto('paxos_log')
        .values({
          slot: log('slot'),
          ballot_round: log('ballotRound'),
          ballot_node: log('ballotNode'),
          value: log('value'),
          chosen: log('chosen'),
        })
        .onConflict((oc) =>
          oc.column('slot').doUpdateSet((eb) => ({
            ballot_round: eb.ref('excluded.ballot_round'),
            ballot_node: eb.ref('excluded.ballot_node'),
            value: eb.ref('excluded.value'),
            chosen: eb.ref('excluded.chosen'),
          })),
        )
        .compile(),
    ),
    updateBalance: prepareNamed<BalanceParams, unknown>(
      db,
      kysely
        .updateTable('accounts')
        .set({ balance: balance('balance') })
        .where('account', '=', balance('account'))
        .compile(),
    ),
    upsertSession: prepareNamed<SessionParams, unknown>(
      db,
      kysely
        .insertInto('client_sessions')
        .values({
          client_id: session('clientId'),
          seq: session('seq'),
          outcome: session('outcome'),
          slot: session('slot'),
        })
        .onConflict((oc) =>
          oc.column('client_id').doUpdateSet((eb) => ({
            seq: eb.ref('excluded.seq'),
            outcome: eb.ref('excluded.outcome'),
            slot: eb.ref('excluded.slot'),
          })),
        )
        .compile(),
    ),
    updateLogFloor: prepareNamed<SlotParams, unknown>(
      db,
      kysely
        .updateTable('paxos_meta')
        .set({ log_floor: slot('slot') })
        .where('id', '=', theRow)
        .compile(),
    ),
    deleteLogThrough: prepareNamed<SlotParams, unknown>(
      db,
      kysely.deleteFrom('paxos_log').where('slot', '<=', slot('slot')).compile(),
    ),
    deleteAllSessions: prepareBare(db, kysely.deleteFrom('client_sessions').compile()),
    selectCoordinatorTxns: prepareBare(
      db,
      kysely.selectFrom('coordinator_txns').select(['txn_key', 'record']).compile(),
    ),
    selectParticipantTxns: prepareBare(
      db,
      kysely.selectFrom('participant_txns').select(['txn_key', 'record']).compile(),
    ),
    upsertCoordinatorTxn: prepareNamed<RecordParams, unknown>(
      db,
      kysely
        .insertInto('coordinator_txns')
        .values({ txn_key: rec('key'), record: rec('record') })
        .onConflict((oc) => oc.column('txn_key').doUpdateSet((eb) => ({ record: eb.ref('excluded.record') })))
        .compile(),
    ),
    upsertParticipantTxn: prepareNamed<RecordParams, unknown>(
      db,
      kysely
        .insertInto('participant_txns')
        .values({ txn_key: rec('key'), record: rec('record') })
        .onConflict((oc) => oc.column('txn_key').doUpdateSet((eb) => ({ record: eb.ref('excluded.record') })))
        .compile(),
    ),
    deleteCoordinatorTxn: prepareNamed<KeyParams, unknown>(
      db,
      kysely.deleteFrom('coordinator_txns').where('txn_key', '=', key('key')).compile(),
    ),
    deleteParticipantTxn: prepareNamed<KeyParams, unknown>(
      db,
      kysely.deleteFrom('participant_txns').where('txn_key', '=', key('key')).compile(),
    ),
    deleteAllCoordinatorTxns: prepareBare(db, kysely.deleteFrom('coordinator_txns').compile()),
    deleteAllParticipantTxns: prepareBare(db, kysely.deleteFrom('participant_txns').compile()),
    deleteSession: prepareNamed<ClientIdParams, unknown>(
      db,
      kysely.deleteFrom('client_sessions').where('client_id', '=', client('clientId')).compile(),
    ),
    // PRAGMA synchronous for one transaction (see SqliteNodeStore.persist).
    synchronousNormal: db.prepare('PRAGMA synchronous = NORMAL'),
    synchronousFull: db.prepare('PRAGMA synchronous = FULL'),
    // ---- flush (rare: not on the hot path, prepared here all the same) ----
    resetMeta: prepareNamed<ResetParams, unknown>(
      db,
      kysely
        .updateTable('paxos_meta')
        .set({
          promised_round: reset('round'),
          promised_node: reset('node'),
          applied_index: sql.lit(0),
          log_floor: sql.lit(0),
          generation: reset('generation'),
        })
        .where('id', '=', theRow)
        .compile(),
    ),
    resetBalances: prepareNamed<InitialBalanceParams, unknown>(
      db,
      kysely
        .updateTable('accounts')
        .set({ balance: initial('initialBalance') })
        .where('balance', '!=', initial('initialBalance'))
        .compile(),
    ),
    deleteAllLog: prepareBare(db, kysely.deleteFrom('paxos_log').compile()),
    deleteAllViews: prepareBare(db, kysely.deleteFrom('view_changes').compile()),
    insertView: prepareNamed<ViewParams, unknown>(
      db,
      kysely
        .insertInto('view_changes')
        .values({
          ballot_round: view('ballotRound'),
          ballot_node: view('ballotNode'),
          leader: view('leader'),
          commit_index: view('commitIndex'),
          entries: view('entries'),
          recorded_at_ms: view('recordedAtMs'),
        })
        .compile(),
    ),
  };
}

export type Statements = ReturnType<typeof prepareStatements>;
