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
  /** JSON of Session.accounts, NULL without them. */
  accounts: string | null;
}
export interface AccountParams {
  account: number;
}
export interface MapEntryParams {
  account: number;
  cluster: number;
  epoch: number;
}
export interface MoveParams {
  epoch: number;
  record: string;
}
export interface EpochParams {
  epoch: number;
}
export interface HistoryParams {
  position: number;
  from: number;
  to: number;
}
export interface PositionParams {
  position: number;
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
  const slot = namedParams<SlotParams>();
  const rec = namedParams<RecordParams>();
  const key = namedParams<KeyParams>();
  const reset = namedParams<ResetParams>();
  const account = namedParams<AccountParams>();
  const entry = namedParams<MapEntryParams>();
  const move = namedParams<MoveParams>();
  const epoch = namedParams<EpochParams>();
  const history = namedParams<HistoryParams>();
  const position = namedParams<PositionParams>();

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
        .select(['client_id', 'seq', 'outcome', 'slot', 'accounts'])
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
    // An upsert: an account that moved in is a new row.
    upsertBalance: prepareNamed<BalanceParams, unknown>(
      db,
      kysely
        .insertInto('accounts')
        .values({ account: balance('account'), balance: balance('balance') })
        .onConflict((oc) => oc.column('account').doUpdateSet((eb) => ({ balance: eb.ref('excluded.balance') })))
        .compile(),
    ),
    deleteAccount: prepareNamed<AccountParams, unknown>(
      db,
      kysely.deleteFrom('accounts').where('account', '=', account('account')).compile(),
    ),
    deleteAllAccounts: prepareBare(db, kysely.deleteFrom('accounts').compile()),
    upsertSession: prepareNamed<SessionParams, unknown>(
      db,
      kysely
        .insertInto('client_sessions')
        .values({
          client_id: session('clientId'),
          seq: session('seq'),
          outcome: session('outcome'),
          slot: session('slot'),
          accounts: session('accounts'),
        })
        .onConflict((oc) =>
          oc.column('client_id').doUpdateSet((eb) => ({
            seq: eb.ref('excluded.seq'),
            outcome: eb.ref('excluded.outcome'),
            slot: eb.ref('excluded.slot'),
            accounts: eb.ref('excluded.accounts'),
          })),
        )
        .compile(),
    ),
    /** Marks a stored entry chosen without writing its value again (see SqliteNodeStore.writeEntry). */
    markLogChosen: prepareNamed<SlotParams, unknown>(
      db,
      kysely
        .updateTable('paxos_log')
        .set({ chosen: sql<number>`1` })
        .where('slot', '=', slot('slot'))
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
    // ---- resharding (migration 0005) ----
    selectMapEntries: prepareBare(
      db,
      kysely.selectFrom('shard_map').select(['account', 'cluster', 'epoch']).orderBy('account').compile(),
    ),
    upsertMapEntry: prepareNamed<MapEntryParams, unknown>(
      db,
      kysely
        .insertInto('shard_map')
        .values({ account: entry('account'), cluster: entry('cluster'), epoch: entry('epoch') })
        .onConflict((oc) =>
          oc.column('account').doUpdateSet((eb) => ({
            cluster: eb.ref('excluded.cluster'),
            epoch: eb.ref('excluded.epoch'),
          })),
        )
        .compile(),
    ),
    deleteAllMapEntries: prepareBare(db, kysely.deleteFrom('shard_map').compile()),
    selectOutboundMoves: prepareBare(
      db,
      kysely.selectFrom('outbound_moves').select(['epoch', 'record']).orderBy('epoch').compile(),
    ),
    upsertOutboundMove: prepareNamed<MoveParams, unknown>(
      db,
      kysely
        .insertInto('outbound_moves')
        .values({ epoch: move('epoch'), record: move('record') })
        .onConflict((oc) => oc.column('epoch').doUpdateSet((eb) => ({ record: eb.ref('excluded.record') })))
        .compile(),
    ),
    deleteOutboundMove: prepareNamed<EpochParams, unknown>(
      db,
      kysely.deleteFrom('outbound_moves').where('epoch', '=', epoch('epoch')).compile(),
    ),
    deleteAllOutboundMoves: prepareBare(db, kysely.deleteFrom('outbound_moves').compile()),
    // Position order is the history's order (oldest first).
    selectHistory: prepareBare(
      db,
      kysely
        .selectFrom('transfer_history')
        .select(['position', 'from_account', 'to_account'])
        .orderBy('position')
        .compile(),
    ),
    // A position written again takes the pair written last (the state machine's word).
    upsertHistory: prepareNamed<HistoryParams, unknown>(
      db,
      kysely
        .insertInto('transfer_history')
        .values({ position: history('position'), from_account: history('from'), to_account: history('to') })
        .onConflict((oc) =>
          oc.column('position').doUpdateSet((eb) => ({
            from_account: eb.ref('excluded.from_account'),
            to_account: eb.ref('excluded.to_account'),
          })),
        )
        .compile(),
    ),
    deleteHistoryThrough: prepareNamed<PositionParams, unknown>(
      db,
      kysely.deleteFrom('transfer_history').where('position', '<=', position('position')).compile(),
    ),
    deleteAllHistory: prepareBare(db, kysely.deleteFrom('transfer_history').compile()),
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
    // The initial range of store_config, each account at the initial balance, in one statement
    // (after deleteAllAccounts: accounts that moved in are gone, those that moved away are back).
    insertInitialAccounts: prepareBare(
      db,
      kysely
        .withRecursive('initial_range(account)', (cte) =>
          cte
            .selectFrom('store_config')
            .select('first_account as account')
            .where('id', '=', theRow)
            .unionAll((next) =>
              next
                .selectFrom('initial_range')
                .innerJoin('store_config', (join) => join.on('store_config.id', '=', theRow))
                .select((eb) => eb('initial_range.account', '+', sql.lit(1)).as('account'))
                .whereRef('initial_range.account', '<', 'store_config.last_account'),
            ),
        )
        .insertInto('accounts')
        .columns(['account', 'balance'])
        .expression((eb) =>
          eb
            .selectFrom('initial_range')
            .innerJoin('store_config', (join) => join.on('store_config.id', '=', theRow))
            .select(['initial_range.account', 'store_config.initial_balance']),
        )
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
