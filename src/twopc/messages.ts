import type { AccountId, ClientId, ClusterId } from '../core/ids.js';

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
  /** Coordinator -> participant: lock `to`, credit it tentatively, and vote. */
  | { type: 'prepare'; txn: TxnId; coordinator: ClusterId; to: AccountId; amount: number }
  /** Participant -> coordinator, after its PREPARE (or ABORT) is chosen in its own log. A yes
   *  names the participant's slot that chose the PREPARE (see ParticipantRecord.slot). */
  | { type: 'vote'; txn: TxnId; participant: ClusterId; vote: 'yes' | 'no'; reason?: string; prepareSlot?: number }
  /** Coordinator -> participant, after the decision is chosen in the coordinator's log. A
   *  commit names the preparation whose yes it followed: only that one may be committed. */
  | { type: 'decision'; txn: TxnId; coordinator: ClusterId; decision: 'commit' | 'abort'; prepareSlot?: number }
  /** Participant -> coordinator, once the decision is chosen in the participant's log. */
  | { type: 'ack'; txn: TxnId; participant: ClusterId }
  /** Participant -> coordinator: "I voted yes and heard nothing: what was decided?" */
  | { type: 'query'; txn: TxnId; participant: ClusterId };

export interface TwoPcOutbound {
  toCluster: ClusterId;
  message: TwoPcMessage;
}
