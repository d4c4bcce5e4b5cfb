import type { Generated } from 'kysely';

/**
 * The SQLite tables as Kysely sees them. Column names are snake_case (SQL); the store maps rows
 * to the camelCase domain types at its edge. Every integer fits a JS number: balances, slots and
 * rounds stay below Number.MAX_SAFE_INTEGER by the ledger's own limits.
 */
export interface StoreTables {
  store_config: StoreConfigTable;
  accounts: AccountsTable;
  paxos_meta: PaxosMetaTable;
  paxos_log: PaxosLogTable;
  client_sessions: ClientSessionsTable;
  coordinator_txns: CoordinatorTxnsTable;
  participant_txns: ParticipantTxnsTable;
  view_changes: ViewChangesTable;
  shard_map: ShardMapTable;
  outbound_moves: OutboundMovesTable;
  transfer_history: TransferHistoryTable;
}

/** Single row (id = 1): what the file was initialised with, checked on every later open. */
export interface StoreConfigTable {
  id: number;
  first_account: number;
  last_account: number;
  initial_balance: number;
}

export interface AccountsTable {
  account: number;
  balance: number;
}

/** Single row (id = 1): the acceptor's promise and how far the state machine has applied. */
export interface PaxosMetaTable {
  id: number;
  promised_round: number;
  promised_node: number;
  applied_index: number;
  /** Log entries at or below this slot were compacted away (migration 0002). */
  log_floor: number;
  /** Bumped by each flush (migration 0004): messages of another generation are dropped. */
  generation: number;
}

export interface PaxosLogTable {
  slot: number;
  ballot_round: number;
  ballot_node: number;
  /** CBOR of the batch; NULL is a NO-OP (distinct from an empty batch). */
  value: Uint8Array | null;
  /** 0 or 1: SQLite has no boolean type. */
  chosen: number;
}

export interface ClientSessionsTable {
  client_id: string;
  seq: number;
  /** JSON of the Outcome: small, and readable with the sqlite3 shell when debugging. */
  outcome: string;
  slot: number;
  /** JSON array of the accounts the command touched (migration 0005); NULL when unknown. */
  accounts: string | null;
}

export interface ViewChangesTable {
  seq: Generated<number>;
  ballot_round: number;
  ballot_node: number;
  leader: number;
  commit_index: number;
  /** CBOR of Array<{ slot, value }>. */
  entries: Uint8Array;
  recorded_at_ms: number;
}

/** Two-Phase Commit records this shard coordinates (migration 0003); `record` is JSON. */
export interface CoordinatorTxnsTable {
  txn_key: string;
  record: string;
}

/** Cross-shard transactions into this shard (migration 0003). */
export interface ParticipantTxnsTable {
  txn_key: string;
  record: string;
}

/** The shard map's entries (migration 0005): where each account that ever moved is now. */
export interface ShardMapTable {
  account: number;
  cluster: number;
  epoch: number;
}

/** Moves this shard gave away and the destination has not acknowledged (migration 0005);
 *  `record` is JSON of the OutboundMove: the money in transit. */
export interface OutboundMovesTable {
  epoch: number;
  record: string;
}

/** The transfer history (migration 0005): one committed transfer's accounts per position. */
export interface TransferHistoryTable {
  position: number;
  from_account: number;
  to_account: number;
}
