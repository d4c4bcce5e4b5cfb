import type { AccountId, ClientId, Slot } from './ids.js';
import type { Session } from './commands.js';
import type { CoordinatorRecord, ParticipantRecord } from './twopc.js';
import type { MapEntry } from './shard-map.js';
import type { OutboundMove } from './moves.js';

/**
 * What applying a batch changed, for the runtime to persist in one SQLite transaction: the disk's
 * side of the ledger state (src/ledger/state.ts builds it, src/storage writes it).
 */
export interface StateWrites {
  appliedIndex: Slot;
  /** Set when a snapshot replaced the whole state: every list below is complete. */
  replaceAll?: true;
  balances: Array<[AccountId, number]>;
  sessions: Session[];
  evictedSessions: ClientId[];
  /** Two-Phase Commit records written (a record) or forgotten (null). */
  coordinatorRecords?: Array<[string, CoordinatorRecord | null]>;
  participantRecords?: Array<[string, ParticipantRecord | null]>;
  /** Accounts that moved away (their rows are deleted); an account that moved in is a balance. */
  removedAccounts?: AccountId[];
  /** Shard map entries written (the map only grows between flushes). */
  mapEntries?: MapEntry[];
  /** Moves this shard gave away and the destination has not acknowledged: written (a record)
   *  or forgotten (null), by epoch. */
  outboundMoves?: Array<[number, OutboundMove | null]>;
  /** The transfer history (src/ledger/history.ts): pairs appended at positions, and every
   *  position at or below `historyFloor` forgotten. */
  historyAppended?: Array<[position: number, from: AccountId, to: AccountId]>;
  historyFloor?: number;
}
