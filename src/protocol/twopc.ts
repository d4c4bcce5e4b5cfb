import type { AccountId, ClientId, ClusterId } from './ids.js';

/**
 * Messages between the leaders of two clusters. Each is sent to the other cluster's subject
 * (`ledger.c{C}.2pc`), which reaches whoever leads it; every one carries the transaction id, so
 * duplicates and stale copies are recognised by the replicated records and dropped.
 */
export interface TxnId {
  clientId: ClientId;
  seq: number;
}

export type TwoPcMessage =
  /** Coordinator -> participant: lock `to`, credit it tentatively, and vote. Sent when the
   *  coordinator proposes its own PREPARE, not once it is chosen (parallel commit, see
   *  docs/transfers.md). `orAbort`: the coordinator heard no vote in time and asks for a
   *  tombstone: with no record of the transaction, choose an ABORT for it (so a late PREPARE
   *  copy can never be prepared) and vote no; with a record, answer from it. */
  | {
      type: 'prepare';
      txn: TxnId;
      coordinator: ClusterId;
      to: AccountId;
      amount: number;
      /** The sender's account, kept in the participant's record and named back in its queries,
       *  so a presumed abort knows whether the transfer could still be prepared there. */
      from?: AccountId;
      /** The epoch of the sender's account at the coordinator when it sent this (the map
       *  epoch of its last move there), kept and named back with `from`: see ParticipantRecord. */
      fromEpoch?: number;
      orAbort?: true;
    }
  /** Participant -> coordinator, after its PREPARE (or ABORT) is chosen in its own log. A yes
   *  names the participant's slot that chose the PREPARE (see ParticipantRecord.slot). */
  | { type: 'vote'; txn: TxnId; participant: ClusterId; vote: 'yes' | 'no'; reason?: string; prepareSlot?: number }
  /** Coordinator -> participant, after the decision is chosen in the coordinator's log. A
   *  commit names the preparation whose yes it followed: only that one may be committed. */
  | { type: 'decision'; txn: TxnId; coordinator: ClusterId; decision: 'commit' | 'abort'; prepareSlot?: number }
  /** Participant -> coordinator, once the decision is chosen in the participant's log. */
  | { type: 'ack'; txn: TxnId; participant: ClusterId }
  /** Participant -> coordinator: "I voted yes and heard nothing: what was decided?" (`from`:
   *  the sender's account, as the PREPARE named it). */
  | { type: 'query'; txn: TxnId; participant: ClusterId; from?: AccountId; fromEpoch?: number };

export interface TwoPcOutbound {
  toCluster: ClusterId;
  message: TwoPcMessage;
}

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
  /** The slot that chose its PREPARE (absent in records written before it was kept). A leader
   *  may abort on the participant's silence only a PREPARE chosen in its own term: see
   *  TwoPcDriver.mayAbortOnSilence. */
  slot?: number;
}

/** The receiver's cluster (participant) side: the last transaction of each client. */
export interface ParticipantRecord {
  clientId: ClientId;
  seq: number;
  to: AccountId;
  amount: number;
  coordinator: ClusterId;
  /** The sender's account at the coordinator, as its PREPARE named it. */
  from?: AccountId;
  /** Its epoch there when that PREPARE was sent. A presumed abort leaves no tombstone where the
   *  account arrived again since: that PREPARE is refused there anyway (an old map epoch), and
   *  the transfer may have run elsewhere meanwhile (see decideCoordinator). */
  fromEpoch?: number;
  state: 'prepared' | 'committed' | 'aborted';
  reason?: string;
  /** The slot that last wrote it: decided records are forgotten oldest first, in the same
   *  order on every replica, restarted or not. */
  slot: number;
}
