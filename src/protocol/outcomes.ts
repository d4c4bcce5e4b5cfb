import type { AccountId, ClientId, Slot } from './ids.js';

/** The result of applying a command, decided deterministically on every replica. */
export type Outcome =
  | { status: 'committed' }
  | { status: 'insufficient-funds'; balance: number }
  | { status: 'ok'; balance: number }
  /** Refused without effect, with the reason (`locked`, `participant-aborted`, `timeout`, …). */
  | { status: 'aborted'; reason: string }
  /** Not a valid command here (wrong shard, stale sequence): a client or routing error. */
  | { status: 'rejected'; reason: string };

/** The last answer a client got, kept so that its retry gets the same answer. */
export interface Session {
  clientId: ClientId;
  seq: number;
  outcome: Outcome;
  slot: Slot;
  /** The accounts the command touched: a move carries the sessions of its accounts (absent in
   *  sessions written before resharding existed: such a session moves with none). */
  accounts?: AccountId[];
}
