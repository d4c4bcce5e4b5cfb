import type { AccountId, NodeId, Slot } from './ids.js';
import type { Batch, Command, Outcome, Session } from './commands.js';
import type { PaxosMessage } from './paxos.js';
import type { CoordinatorRecord, ParticipantRecord } from './twopc.js';
import type { MapEntry } from './shard-map.js';
import type { OutboundMove } from './moves.js';

/** What one piece of a snapshot holds: a share of each part of the state machine's state. */
export interface SnapshotPiece {
  balances: Array<[AccountId, number]>;
  sessions: Session[];
  coordinatorRecords: CoordinatorRecord[];
  participantRecords: ParticipantRecord[];
  /** Resharding's share of the state (optional: a piece of another kind leaves them out). */
  mapEntries?: MapEntry[];
  outboundMoves?: OutboundMove[];
  /** The transfer history, oldest first, with the position of its first pair. */
  history?: Array<[AccountId, AccountId]>;
  historyStart?: number;
}

/**
 * One piece of a snapshot: the state machine's state at `appliedIndex`, sent to a member that
 * asked for slots this replica had compacted away. Pieces keep each message within its byte
 * budget (payloadBudgets); the receiver installs the snapshot once it holds all `chunks` of them.
 */
export interface SnapshotChunk extends SnapshotPiece {
  type: 'snapshot';
  from: NodeId;
  appliedIndex: Slot;
  chunk: number;
  chunks: number;
}

/** Everything the members of a cluster send each other. */
export type ShardMessage = PaxosMessage<Batch> | SnapshotChunk;

/** A client request as the runtime hands it in; `reqId` is the runtime's handle for the reply. */
export interface ClientRequest {
  reqId: number;
  command: Command;
  /** How many nodes already forwarded it. */
  hops: number;
}

export type Response =
  /** `slot`: where the command took effect (an earlier slot for a repeat; undefined when unknown). */
  | {
      kind: 'outcome';
      outcome: Outcome;
      servedBy: NodeId;
      slot: Slot | undefined;
      /** With a wrong-shard rejection: where this node's map says the account is. */
      owner?: MapEntry;
    }
  /** Not the leader: ask `leaderHint` (or any other member when unknown). Not a final answer. */
  | { kind: 'redirect'; leaderHint: NodeId | undefined }
  /** The leader's queues are full, or this client's share of them (Admission.fullFor): back off
   *  and retry. Not a final answer. `locked`: the command waited its lock wait at the leader for
   *  an account another transfer holds, and nothing of it was chosen (lockWaitEnd in
   *  src/twopc/locks.ts): send the same (client id, seq) again after a short pause. */
  | { kind: 'busy'; locked?: true }
  /** The node could not accept the request (too large, not CBOR, not a request envelope, a field
   *  out of shape or range): `reason` says what. A final answer: nothing happened, and the same
   *  bytes would be refused again. */
  | { kind: 'refused'; reason: string };

/** One request of a client's batch (docs/transfers.md, "Batches"): `id` names it within the
 *  client's batches, so its answer finds it whichever message carries it. */
export interface BatchedRequest {
  id: number;
  command: Command;
}

/** The answer to the batched request `id`. */
export interface BatchedResponse {
  id: number;
  response: Response;
}
