import type BetterSqlite3 from 'better-sqlite3';
import { assert } from '../core/assert.js';
import type { AccountId } from '../protocol/ids.js';
import type { StateWrites } from '../protocol/state-writes.js';
import type { Session } from '../protocol/commands.js';
import type { DurableState, NodeStore, PersistBatch, StoredView } from '../ports/node-store.js';
import type { Ballot, LogEntry } from '../protocol/paxos.js';
import type { Batch } from '../protocol/commands.js';
import {
  decodeBatch,
  decodeOutcome,
  decodeViewEntries,
  encodeBatch,
  encodeOutcome,
  encodeViewEntries,
} from './codec.js';
import type { Durability } from './pragmas.js';
import type { Statements } from './statements.js';
import { decodeCoordinatorRecord, decodeParticipantRecord } from '../codec/ledger-codec.js';
import { decodeOutboundMove } from '../codec/resharding-codec.js';
import { decodeSessionAccounts } from '../codec/session-codec.js';
import type { OutboundMove } from '../protocol/moves.js';
import { LedgerError } from '../core/errors.js';

/** Unchosen entries whose flag-only update the store remembers: a few pipelines' worth
 *  (limits.slotsInFlightMax is 16); an entry beyond it is simply written whole when chosen. */
const unchosenRememberedMax = 256;

/** Parses and checks a JSON column; a damaged row is a storage error, not a crash later. */
function decodeRecord<T>(text: string, what: string, check: (value: unknown, path: string) => T): T {
  try {
    return check(JSON.parse(text), what);
  } catch (error) {
    throw new LedgerError('storage', `${what} is damaged: ${(error as Error).message}`, { cause: error });
  }
}

/**
 * NodeStore on one SQLite file. Everything here is synchronous on purpose: the Ready loop
 * persists and only then sends, and a transaction that awaited anything could interleave with
 * another step. Build it with openNodeStore (open.ts), which migrates and checks the file first.
 */
export class SqliteNodeStore implements NodeStore {
  readonly synchronous: Durability;
  private readonly db: BetterSqlite3.Database;
  private readonly statements: Statements;
  private readonly persistTransaction: BetterSqlite3.Transaction<(batch: PersistBatch) => void>;
  /** Entries written not chosen, by slot, as last written (see writeEntry). */
  private readonly unchosenWritten = new Map<number, LogEntry<Batch>>();

  constructor(init: { db: BetterSqlite3.Database; statements: Statements; synchronous: Durability }) {
    this.db = init.db;
    this.statements = init.statements;
    this.synchronous = init.synchronous;
    this.persistTransaction = this.db.transaction((batch: PersistBatch) => this.writeBatch(batch));
  }

  load(): DurableState {
    const meta = this.statements.selectMeta.get();
    assert(meta !== undefined, 'paxos_meta has no row: openNodeStore initialises it');
    const log = this.statements.selectLog.all().map((row) => ({
      slot: row.slot,
      ballot: { round: row.ballot_round, node: row.ballot_node },
      value: decodeBatch(row.value, `log slot ${row.slot}`),
      chosen: row.chosen === 1,
    }));
    const balances = new Map<AccountId, number>();
    for (const row of this.statements.selectBalances.all()) balances.set(row.account, row.balance);
    const sessions: Session[] = this.statements.selectSessions.all().map((row) => {
      const session: Session = {
        clientId: row.client_id,
        seq: row.seq,
        outcome: decodeOutcome(row.outcome, `session ${row.client_id}`),
        slot: row.slot,
      };
      // NULL in a session written before resharding (migration 0005): it stays without.
      if (row.accounts !== null)
        session.accounts = decodeRecord(row.accounts, `session ${row.client_id} accounts`, decodeSessionAccounts);
      return session;
    });
    const coordinatorRecords = this.statements.selectCoordinatorTxns
      .all()
      .map((row) => decodeRecord(row.record, `coordinator txn ${row.txn_key}`, decodeCoordinatorRecord));
    const participantRecords = this.statements.selectParticipantTxns
      .all()
      .map((row) => decodeRecord(row.record, `participant txn ${row.txn_key}`, decodeParticipantRecord));
    const mapEntries = this.statements.selectMapEntries.all();
    const outboundMoves = this.statements.selectOutboundMoves.all().map((row) => {
      const move = decodeRecord(row.record, `outbound move ${row.epoch}`, decodeOutboundMove);
      if (move.epoch !== row.epoch)
        throw new LedgerError('storage', `outbound move ${row.epoch} is damaged: its record says epoch ${move.epoch}`);
      return move;
    });
    const historyRows = this.statements.selectHistory.all();
    return {
      coordinatorRecords,
      participantRecords,
      promised: { round: meta.promised_round, node: meta.promised_node },
      log,
      appliedIndex: meta.applied_index,
      logFloor: meta.log_floor,
      balances,
      sessions,
      mapEntries,
      outboundMoves,
      history: historyRows.map((row) => [row.from_account, row.to_account]),
      historyStart: historyRows[0]?.position ?? 0,
      generation: meta.generation,
    };
  }

  /**
   * One transaction for the whole step. IMMEDIATE takes the write lock at BEGIN, so a reader
   * holding the file (a CLI, a backup) makes us wait busy_timeout instead of failing half-way
   * when a deferred transaction tries to upgrade its lock.
   */
  persist(batch: PersistBatch): void {
    // synchronous is per connection and costs no I/O to change. A transaction committed at
    // NORMAL is in the WAL, and the next one at FULL makes it durable too (one fsync of the WAL
    // covers every frame before it), so what a power loss can take is only a suffix of them.
    const relaxed = this.synchronous === 'full' && batch.sync === false;
    if (relaxed) this.statements.synchronousNormal.run();
    try {
      this.persistTransaction.immediate(batch);
    } finally {
      if (relaxed) this.statements.synchronousFull.run();
    }
  }

  reset(generation: number, promised: Ballot): void {
    const s = this.statements;
    this.unchosenWritten.clear();
    this.db
      .transaction(() => {
        s.deleteAllLog.run();
        s.deleteAllViews.run();
        s.deleteAllSessions.run();
        s.deleteAllCoordinatorTxns.run();
        s.deleteAllParticipantTxns.run();
        s.deleteAllMapEntries.run();
        s.deleteAllOutboundMoves.run();
        s.deleteAllHistory.run();
        // Back to the initial range: accounts that moved in go, those that moved away return.
        s.deleteAllAccounts.run();
        s.insertInitialAccounts.run();
        s.resetMeta.run({ round: promised.round, node: promised.node, generation });
      })
      .immediate();
  }

  views(): StoredView[] {
    return this.statements.selectViews.all().map((row) => ({
      seq: row.seq,
      ballot: { round: row.ballot_round, node: row.ballot_node },
      leader: row.leader,
      commitIndex: row.commit_index,
      entries: decodeViewEntries(row.entries, `view ${row.seq}`),
      recordedAtMs: row.recorded_at_ms,
    }));
  }

  close(): void {
    if (this.db.open) this.db.close();
  }

  private writeBatch(batch: PersistBatch): void {
    const s = this.statements;
    if (batch.promised !== undefined) this.writePromised(batch.promised);
    for (const entry of batch.entries) this.writeEntry(entry);
    // Wall clock for display only (PrintView); nothing orders by it.
    const recordedAtMs = Date.now();
    for (const view of batch.newViews) {
      s.insertView.run({
        ballotRound: view.ballot.round,
        ballotNode: view.ballot.node,
        leader: view.leader,
        commitIndex: view.commitIndex,
        entries: encodeViewEntries(view.entries),
        recordedAtMs,
      });
    }
    if (batch.state !== undefined) this.writeState(batch.state);
    if (batch.compactedThrough !== undefined) {
      s.deleteLogThrough.run({ slot: batch.compactedThrough });
      s.updateLogFloor.run({ slot: batch.compactedThrough });
    }
  }

  /**
   * Every slot is written twice on every replica: accepted, then learned chosen. The second time
   * only the flag changes (the replica marks the same entry object chosen, same ballot, same
   * value), so it is an UPDATE of the flag instead of encoding and writing the whole batch again.
   * The store remembers the entries it wrote unchosen, a bounded few: a slot it no longer
   * remembers is written whole, which is always correct.
   */
  private writeEntry(entry: LogEntry<Batch>): void {
    const s = this.statements;
    const written = this.unchosenWritten.get(entry.slot);
    this.unchosenWritten.delete(entry.slot);
    if (
      entry.chosen &&
      written !== undefined &&
      written.value === entry.value &&
      written.ballot.round === entry.ballot.round &&
      written.ballot.node === entry.ballot.node
    ) {
      // A row that is not there (whatever the reason) is written whole below.
      if (s.markLogChosen.run({ slot: entry.slot }).changes === 1) {
        this.entryMarksChosen++;
        return;
      }
    }
    s.upsertLog.run({
      slot: entry.slot,
      ballotRound: entry.ballot.round,
      ballotNode: entry.ballot.node,
      value: encodeBatch(entry.value),
      chosen: entry.chosen ? 1 : 0,
    });
    if (entry.chosen) return;
    this.unchosenWritten.set(entry.slot, entry);
    // Map order is insertion order: forget the oldest beyond the bound.
    if (this.unchosenWritten.size > unchosenRememberedMax) {
      const oldest = this.unchosenWritten.keys().next().value as number;
      this.unchosenWritten.delete(oldest);
    }
  }

  /** Entries marked chosen by the flag alone since opening (tests read it). */
  entryMarksChosen = 0;

  private writePromised(promised: Ballot): void {
    this.statements.updatePromised.run({ round: promised.round, node: promised.node });
  }

  private writeState(state: StateWrites): void {
    const s = this.statements;
    // A snapshot replaces the whole state: every list is complete (its accounts too, since
    // moves may have changed which accounts the shard holds).
    if (state.replaceAll) {
      s.deleteAllSessions.run();
      s.deleteAllCoordinatorTxns.run();
      s.deleteAllParticipantTxns.run();
      s.deleteAllAccounts.run();
      s.deleteAllMapEntries.run();
      s.deleteAllOutboundMoves.run();
      s.deleteAllHistory.run();
    }
    for (const [key, record] of state.coordinatorRecords ?? []) {
      if (record === null) s.deleteCoordinatorTxn.run({ key });
      else s.upsertCoordinatorTxn.run({ key, record: JSON.stringify(record) });
    }
    for (const [key, record] of state.participantRecords ?? []) {
      if (record === null) s.deleteParticipantTxn.run({ key });
      else s.upsertParticipantTxn.run({ key, record: JSON.stringify(record) });
    }
    this.writeAccounts(state);
    for (const session of state.sessions) {
      s.upsertSession.run({
        clientId: session.clientId,
        seq: session.seq,
        outcome: encodeOutcome(session.outcome),
        slot: session.slot,
        accounts: session.accounts === undefined ? null : JSON.stringify(session.accounts),
      });
    }
    for (const clientId of state.evictedSessions) s.deleteSession.run({ clientId });
    for (const { account, cluster, epoch } of state.mapEntries ?? []) s.upsertMapEntry.run({ account, cluster, epoch });
    for (const [epoch, move] of state.outboundMoves ?? []) this.writeOutboundMove(epoch, move);
    for (const [position, from, to] of state.historyAppended ?? []) s.upsertHistory.run({ position, from, to });
    // After the appends: a pair appended and already past the capacity goes at once.
    if (state.historyFloor !== undefined) s.deleteHistoryThrough.run({ position: state.historyFloor });
    s.updateApplied.run({ appliedIndex: state.appliedIndex });
  }

  /**
   * Balances are upserts (an account that moved in is a new row) and removed accounts are
   * deleted. The two lists say where each account ends, so one account in both is a bug of the
   * state machine, as is removing an account this store does not hold (outside a snapshot,
   * which deleted every row first) or a row that is not an account id and an integer.
   */
  private writeAccounts(state: StateWrites): void {
    const s = this.statements;
    const removed = state.removedAccounts ?? [];
    if (removed.length > 0) {
      const set = new Set(removed);
      for (const [account] of state.balances)
        assert(!set.has(account), `account ${account} is both written and removed in one step`);
    }
    for (const [account, balance] of state.balances) {
      assert(
        Number.isSafeInteger(account) && account >= 1 && Number.isSafeInteger(balance),
        `balance write ${balance} for account ${account}: not an account and a balance`,
      );
      s.upsertBalance.run({ account, balance });
    }
    for (const account of removed) {
      const { changes } = s.deleteAccount.run({ account });
      assert(
        changes === 1 || state.replaceAll === true,
        `removal of account ${account}, which this store does not hold`,
      );
    }
  }

  private writeOutboundMove(epoch: number, move: OutboundMove | null): void {
    if (move === null) {
      this.statements.deleteOutboundMove.run({ epoch });
      return;
    }
    assert(move.epoch === epoch, `outbound move written under epoch ${epoch} but its record says ${move.epoch}`);
    this.statements.upsertOutboundMove.run({ epoch, record: JSON.stringify(move) });
  }
}
