import type { AccountId, ClientId, Slot } from './ids.js';
import type { Session } from './commands.js';
import type { CoordinatorRecord, ParticipantRecord } from './twopc.js';

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
}
