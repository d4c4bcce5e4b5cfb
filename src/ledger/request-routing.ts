import type { AccountId, ClusterId, NodeId, Slot } from '../protocol/ids.js';
import { limits } from '../core/limits.js';
import type { Replica } from '../paxos/replica.js';
import { wrongShardReason, type Command, type Outcome } from '../protocol/commands.js';
import { readServable } from '../twopc/locks.js';
import { coordinatorPrepare } from '../twopc/steps.js';
import { commandKey } from './commands.js';
import type { ClientRequest } from '../protocol/client.js';
import type { LedgerState } from './state.js';

/** What becomes of a client request (ShardServer.request carries it out). */
export type Routing =
  /** Answered now: refused, served from the applied state, or a repeat answered from history. */
  | { kind: 'answer'; outcome: Outcome; slot: Slot | undefined }
  /** Not the leader: handed to the member we believe leads. */
  | { kind: 'forward'; to: NodeId }
  /** Not the leader, and no one to forward to: the client asks elsewhere. */
  | { kind: 'redirect'; leaderHint: NodeId | undefined }
  /** A retry of a command already in flight: answered with it. */
  | { kind: 'join'; key: string }
  /** The leader's queues are full. */
  | { kind: 'busy' }
  /** New work for the leader: `command` (a cross-shard transfer is already its first step). */
  | { kind: 'admit'; key: string; command: Command };

/** What routing looks at. */
export interface RoutingView {
  self: NodeId;
  cluster: ClusterId;
  state: LedgerState;
  replica: Replica<Command[]>;
  clusterOfAccount: (account: AccountId) => ClusterId | undefined;
  /** A request for this command key waits already. */
  isWaiting(key: string): boolean;
  /** The leader's queues are full, or hold this client's share (Admission.fullFor). */
  queuesFull: boolean;
}

/**
 * Routes a client request: refuse what this shard does not hold, serve the reads that need no
 * log round, send followers' requests to the leader, answer repeats from history, and admit the
 * rest. A transfer to another cluster's account becomes the first step of Two-Phase Commit here.
 */
export function routeRequest(req: ClientRequest, view: RoutingView): Routing {
  let { command } = req;
  const { op } = command;
  const { state, replica } = view;
  // Resharding's commands (from `ledger reshard`) go to the leader like a write; each is
  // idempotent by its epoch, so a retry is simply proposed again.
  if (op.kind === 'move-out' || op.kind === 'map-merge') return toLeader(req, view, command);
  const own = op.kind === 'transfer' ? op.from : op.kind === 'balance' ? op.account : undefined;
  if (own === undefined) return refuse(`not a client operation: ${op.kind}`);
  if (!state.hasAccount(own)) return refuse(wrongShardReason(own));
  if (op.kind === 'transfer' && !state.hasAccount(op.to)) {
    // Cross-shard: this cluster (the sender's) coordinates; the receiver's participates.
    const participant = view.clusterOfAccount(op.to);
    if (participant === undefined) return refuse(`account ${op.to} does not exist`);
    // Our map has the account here but our state not yet: a move of it is on its way in.
    if (participant === view.cluster) return { kind: 'busy' };
    command = coordinatorPrepare(command, op, participant);
  }
  // A leader read of an account a cross-shard transfer holds goes through the log instead
  // (it waits for the decision), so a credit whose commit a client was told is never missed.
  const leaderRead =
    op.kind === 'balance' &&
    op.consistency === 'leader' &&
    replica.isServing &&
    readServable(op.account, state.twoPc.lockHolder);
  if (op.kind === 'balance' && (op.consistency === 'any' || leaderRead)) {
    // Served from this replica's applied state, without a log round (see Consistency).
    return {
      kind: 'answer',
      outcome: { status: 'ok', balance: state.committedBalance(op.account) as number },
      slot: undefined,
    };
  }
  if (replica.role === 'leader' && command.op.kind !== 'balance') {
    const prior = state.priorOutcome(command.clientId, command.seq);
    if (prior !== undefined && prior !== 'undecided')
      return { kind: 'answer', outcome: prior.outcome, slot: prior.slot };
  }
  return toLeader(req, view, command);
}

function refuse(reason: string): Routing {
  return { kind: 'answer', outcome: { status: 'rejected', reason }, slot: undefined };
}

/** A write (or a read through the log): forwarded to the leader, or admitted by it. */
function toLeader(req: ClientRequest, view: RoutingView, command: Command): Routing {
  const { state, replica } = view;
  if (replica.role !== 'leader') {
    const hint = replica.leaderHint;
    if (hint !== undefined && hint !== view.self && req.hops < limits.forwardHopsMax)
      return { kind: 'forward', to: hint };
    return { kind: 'redirect', leaderHint: hint };
  }
  const key = commandKey(command.clientId, command.seq);
  // A retry of a command already in flight, or of a cross-shard transfer whose PREPARE is
  // chosen: answered with the others when it is decided.
  if (view.isWaiting(key) || state.twoPc.coordinatorRecord(key) !== undefined) return { kind: 'join', key };
  if (view.queuesFull) return { kind: 'busy' };
  return { kind: 'admit', key, command };
}
