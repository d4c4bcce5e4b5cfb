import type { AccountId, ClientId, ClusterId } from '../core/ids.js';

/**
 * The replicated records of Two-Phase Commit. A cross-shard transfer's id is the client's
 * (client id, sequence), so a retry never starts a second transaction. Every record lives in
 * the cluster's replicated state, written by a chosen log entry: a new leader finds every
 * transaction in flight there and drives it to its end.
 */

/** The sender's cluster (coordinator) side, from PREPARE until the participant acknowledged. */
export interface CoordinatorRecord {
  clientId: ClientId;
  seq: number;
  from: AccountId;
  to: AccountId;
  amount: number;
  participant: ClusterId;
  state: 'prepared' | 'committed' | 'aborted';
  reason?: string;
  /** Once committed: the participant's slot that chose the PREPARE whose yes vote this commit
   *  followed. A participant that forgot the transaction and prepared it again from a late
   *  PREPARE copy holds another preparation, which the commit must not credit a second time. */
  prepareSlot?: number;
}

/** The receiver's cluster (participant) side: the last transaction of each client. */
export interface ParticipantRecord {
  clientId: ClientId;
  seq: number;
  to: AccountId;
  amount: number;
  coordinator: ClusterId;
  state: 'prepared' | 'committed' | 'aborted';
  reason?: string;
  /** The slot that last wrote it: decided records are forgotten oldest first, in the same
   *  order on every replica, restarted or not. */
  slot: number;
}

export function txnKey(clientId: ClientId, seq: number): string {
  return `${clientId}#${seq}`;
}

