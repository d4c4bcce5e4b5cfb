import type { RecordedView } from '../protocol/admin.js';
import type { AccountId, Slot } from '../protocol/ids.js';
import type { Batch, Session } from '../protocol/commands.js';
import type { StateWrites } from '../protocol/state-writes.js';
import type { Ballot, LogEntry } from '../protocol/paxos.js';
import type { NewView } from '../paxos/replica.js';
import type { CoordinatorRecord, ParticipantRecord } from '../protocol/twopc.js';
import type { MapEntry } from '../protocol/shard-map.js';
import type { OutboundMove } from '../protocol/moves.js';

/** Everything a node needs from disk to come back after a crash or a restart. */
export interface DurableState {
  promised: Ballot;
  log: LogEntry<Batch>[];
  appliedIndex: Slot;
  /** Log entries at or below this slot were compacted away. */
  logFloor: Slot;
  balances: Map<AccountId, number>;
  sessions: Session[];
  coordinatorRecords: CoordinatorRecord[];
  participantRecords: ParticipantRecord[];
  /** Resharding: the shard map's entries, the moves not yet acknowledged, and the transfer
   *  history (oldest first, `historyStart` the position of its first pair). */
  mapEntries: MapEntry[];
  outboundMoves: OutboundMove[];
  history: Array<[AccountId, AccountId]>;
  historyStart: number;
  /** Which flush this state belongs to (0 before the first). */
  generation: number;
}

/** One step's worth of durable changes, written in a single transaction before any send. */
export interface PersistBatch {
  promised: Ballot | undefined;
  entries: LogEntry<Batch>[];
  newViews: NewView<Batch>[];
  state: StateWrites | undefined;
  /** Delete log entries at or below this slot (after writing `state`). */
  compactedThrough?: Slot | undefined;
  /** false: the writes need not reach the disk before the next send (see mustSyncBeforeSend);
   *  the store may then skip the fsync of this transaction. Absent means true. */
  sync?: boolean;
}

/** A NEW-VIEW this node led, as it recorded it (what `ledger view` shows). */
export type StoredView = RecordedView;

/** The node's storage, declared here by its consumer; src/storage implements it on SQLite. */
export interface NodeStore {
  load(): DurableState;
  /** Synchronous on purpose: the Ready loop persists, then sends, with nothing in between. */
  persist(batch: PersistBatch): void;
  views(): StoredView[];
  /**
   * Flush: back to the initial state in one transaction (balances of the initial range, log,
   * sessions, 2PC records, views, shard map, moves, history), with `promised` as the acceptor's promise and `generation` as the new generation.
   */
  reset(generation: number, promised: Ballot): void;
  /** What synchronous mode the database runs in, as read back after opening. */
  readonly synchronous: 'full' | 'normal';
  close(): void;
}
