import type { AccountId, ClientId, ClusterId } from './ids.js';
import type { OutboundMove } from './moves.js';
import type { Outcome } from './outcomes.js';

export type { Outcome, Session } from './outcomes.js';
import type { MapEntry } from './shard-map.js';

/**
 * How fresh a read must be (the simulator checks each promise: tests/sim/read-checker.ts):
 * - `linearizable` (default): goes through the log like a write; reflects every transfer
 *   acknowledged before it was asked, and waits while a transaction holds the account;
 * - `leader`: the applied state of the node that leads and has finished its view change, no log
 *   round. No lease: a leader cut off from its majority answers until check-quorum deposes it,
 *   up to 2 x electionTicksMin + heartbeatTicks of its own clock after it last heard from a
 *   majority, and such an answer misses what a newer leader committed meanwhile (a forced
 *   transfer, `ledger node lead`, opens the same window). An account held by an undecided
 *   cross-shard transfer is read through the log like `linearizable`, so a credit whose commit
 *   a client was told is never missed by a leader that still leads;
 * - `any`: whichever replica is asked, from its own state: fastest, stale by any amount.
 * None returns a tentative value: every answer is the balance after some prefix of the chosen
 * log without the transfers still undecided there.
 */
export type Consistency = 'linearizable' | 'leader' | 'any';
export const consistencies: readonly Consistency[] = ['linearizable', 'leader', 'any'];

/** The resharding commands a client (the reshard driver, src/reshard) may send a leader. */
export type ReshardOperation =
  /** Source: give `accounts` (all of this cluster's, none held by a transaction) to `to`, as the
   *  move of `epoch`; refused whole when any is not here or is held. */
  | { kind: 'move-out'; accounts: AccountId[]; to: ClusterId; epoch: number }
  /** Any cluster: learn where accounts went (an entry older than the one held is ignored). */
  | { kind: 'map-merge'; entries: MapEntry[] };

/** What a client may ask a shard to do. */
export type ClientOperation =
  | { kind: 'transfer'; from: AccountId; to: AccountId; amount: number }
  | { kind: 'balance'; account: AccountId; consistency?: Consistency }
  | ReshardOperation;

/**
 * What a shard's log holds: client operations, and the steps of Two-Phase Commit that the
 * cluster's leader chooses (never sent by clients: the request decoder refuses them).
 * `abort` marks a step the leader decided to refuse (say, its locks stayed taken too long), so
 * the refusal is itself chosen and a retry of the same (client, sequence) gets the same answer.
 */
export type Operation =
  | { kind: 'transfer'; from: AccountId; to: AccountId; amount: number; abort?: string }
  | { kind: 'balance'; account: AccountId; consistency?: Consistency }
  /** Coordinator (sender's cluster): lock and debit `from`, keep an undo record. */
  | {
      kind: 'x-prepare-coordinator';
      from: AccountId;
      to: AccountId;
      amount: number;
      participant: ClusterId;
      abort?: string;
    }
  /** Participant (receiver's cluster): lock and credit `to`, keep an undo record; or vote no. */
  | {
      kind: 'x-prepare-participant';
      to: AccountId;
      amount: number;
      coordinator: ClusterId;
      /** The sender's account at the coordinator (see ParticipantRecord.from). */
      from?: AccountId;
      /** Its epoch there (see ParticipantRecord.fromEpoch). */
      fromEpoch?: number;
      abort?: string;
    }
  /** The decision, chosen first in the coordinator's log, then in the participant's.
   *  `prepareSlot` on a commit: the participant's preparation it commits (see CoordinatorRecord). */
  | {
      kind: 'x-decide';
      role: 'coordinator' | 'participant';
      decision: 'commit' | 'abort';
      reason?: string;
      peer?: ClusterId;
      prepareSlot?: number;
      /** A coordinator's abort for a transaction it had no record of when a participant asked
       *  (a presumed abort): applied, it changes nothing where the PREPARE was chosen before it,
       *  and elsewhere records the abort in the client's session, so the PREPARE can never be
       *  chosen after it (see decideCoordinator in src/twopc/apply-step.ts). */
      presumed?: true;
      /** With `presumed`: the sender's account, as the participant's record names it. */
      from?: AccountId;
      /** With `presumed`: its epoch, as the participant's record names it. */
      fromEpoch?: number;
    }
  /** The participant acknowledged the decision: the coordinator forgets the transaction. */
  | { kind: 'x-end' }
  | ReshardOperation
  /** Destination: take the accounts of a move the source chose (its record travels whole). */
  | { kind: 'move-in'; move: OutboundMove }
  /** Source: the destination chose the move of `epoch`: forget its record. */
  | { kind: 'move-done'; epoch: number };

/**
 * A command as it is replicated: (clientId, seq) identifies it, so a retry after a leader
 * change is recognised and answered with the first result instead of running twice. For the
 * steps of a cross-shard transfer it is the transaction id.
 */
export interface Command {
  clientId: ClientId;
  seq: number;
  op: Operation;
  /** The shard map epoch of the command's own account (a transfer's sender) as the client knew
   *  it when it sent this attempt (absent: 0). A write runs only where its account arrived at or
   *  before that epoch: a copy sent before a move (a late duplicate on the network) never runs
   *  at the account's new home, where the client's session may not have followed it. */
  mapEpoch?: number;
}

/**
 * The reasons of aborted and rejected outcomes (and of 2PC votes and records) that code acts on,
 * not only shows: the cores that give them and the client that reads them spell each one here.
 */
/** A transfer met an account held by an undecided cross-shard transfer (or held by others at
 *  the leader for too long): refused without effect, safe to retry. */
export const lockedReason = 'locked';
/** The answer to a client command older than its session's last one, with no record left:
 *  the ledger no longer knows its outcome (a rejection, never a claim that it did not run). */
export const staleSequence = 'stale-sequence';
/** The vote reason for a PREPARE of a transaction this participant already committed (the
 *  client learns that the ledger no longer knows this request's outcome). */
export const duplicatePrepare = 'duplicate';
/** What a read of an account held by an undecided cross-shard transfer gets when it is
 *  applied: never a client's answer (the leader proposes the read again, see isHeldRead). */
export const heldReadReason = 'held-by-undecided-transfer';
/** Why a participant's preparation was undone by a commit of an earlier preparation. */
export const supersededReason = 'superseded';

/** The rejection of a command whose account this cluster does not hold (never held, or moved
 *  away): the client asks the owner the answer names (Response.owner), with the same sequence,
 *  since nothing ran here. Not recorded in the session, for that reason. */
export function wrongShardReason(account: AccountId): string {
  return `account ${account} is not in this shard`;
}
export function isWrongShard(outcome: Outcome): boolean {
  return (
    (outcome.status === 'rejected' || outcome.status === 'aborted') && outcome.reason.endsWith(' is not in this shard')
  );
}

/** The value chosen in one Paxos slot: a batch of client commands (null is a NO-OP). */
export type Batch = Command[];
