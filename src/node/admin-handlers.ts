import { decodeEnvelope, DecodeError } from '../codec/envelope.js';
import { AssertionError } from '../core/assert.js';
import type { ClusterId, NodeId } from '../protocol/ids.js';
import { accountBalance, changedAccounts } from '../ledger/pending.js';
import type { ShardServer } from '../ledger/shard-server.js';
import type {
  AdminErrorCode,
  AdminOp,
  AdminRefusal,
  AdminReplies,
  AdminReply,
  AdminRequest,
  AdminRequestContext,
  AdminRequestOf,
  DisturbSettings,
  FaultOp,
  FlushArgs,
  NodeStatus,
} from '../protocol/admin.js';
import type { NodeStore } from '../ports/node-store.js';

/**
 * The node's side of the admin RPC (src/protocol/admin.ts): one handler per op, in a table. The
 * codec has checked the request's shape; a handler checks what only the node can know (is the
 * account here, is the flush ahead of us) and refuses with a code.
 */

/** What the handlers need of the node they run in. */
export interface AdminHost {
  readonly node: NodeId;
  readonly cluster: ClusterId;
  readonly members: readonly NodeId[];
  readonly initialBalance: number;
  readonly tickMs: number;
  /** The node's flush generation now. */
  generation(): number;
  /** The core now (a flush replaces it). */
  server(): ShardServer;
  readonly store: Pick<NodeStore, 'views'>;
  status(): NodeStatus;
  /** Sets the fault flags, as `op` says. */
  injectFault(op: FaultOp): void;
  /** Arms the transport failpoint (src/node/transport-faults.ts); 0 and 0 disarm it. */
  disturb(settings: DisturbSettings): void;
  /** Back to the initial state in the flush's generation (arguments checked by the handler). */
  flush(args: FlushArgs): void;
  /** Counts a message from another flush generation (dropped). */
  countStale(): void;
  /** The core took an input outside the Ready loop's own: have its ready drained. */
  scheduleDrain(): void;
  /** A handler failed on an operating error (answered `internal`): the node's log says what. */
  failedInternally(op: AdminOp, error: Error): void;
}

/** Thrown by a handler to refuse its request with a code. */
export class AdminRefusalError extends Error {
  override name = 'AdminRefusalError';

  constructor(
    readonly code: AdminErrorCode,
    message: string,
  ) {
    super(message);
  }
}

interface Handler<Op extends AdminOp> {
  /** Acts in any flush generation: `status` only reads, and `flush` moves to a new one. */
  anyGeneration?: boolean;
  handle(host: AdminHost, request: AdminRequestOf<Op>): AdminReplies[Op];
}

const fault = <Op extends FaultOp>(op: Op): Handler<Op> => ({
  handle: (host) => {
    host.injectFault(op);
    return host.status();
  },
});

export const adminHandlers: { [Op in AdminOp]: Handler<Op> } = {
  status: { anyGeneration: true, handle: (host) => host.status() },
  balance: {
    handle: (host, { account }) => {
      const server = host.server();
      const local = accountBalance(server.state, account);
      if (local === undefined)
        throw new AdminRefusalError('wrong-shard', `account ${account} is not on node ${host.node}`);
      return { node: host.node, ...local, appliedIndex: server.state.appliedIndex };
    },
  },
  // From memory: the file holds the state as of the last checkpoint only.
  db: { handle: (host) => ({ node: host.node, accounts: changedAccounts(host.server().state, host.initialBalance) }) },
  view: { handle: (host) => ({ node: host.node, views: host.store.views() }) },
  hashes: {
    handle: (host) => {
      const server = host.server();
      return {
        node: host.node,
        cluster: host.cluster,
        appliedIndex: server.state.appliedIndex,
        total: server.state.total(),
        inFlight:
          server.state.twoPc.coordinatorRecords().length +
          server.state.twoPc.preparedParticipantRecords().length +
          server.state.movesInFlight,
        mapEpoch: server.state.map.epoch,
        hashes: server.stateHashes(),
      };
    },
  },
  'hold-cross-shard': {
    handle: (host, { holdMs }) => {
      // Bounded at decode (limits.holdCrossShardMsMax); 0 lifts it.
      host.server().holdCrossShard(Math.ceil(holdMs / host.tickMs));
      host.scheduleDrain();
      return { node: host.node, heldMs: holdMs };
    },
  },
  'shard-map': {
    handle: (host) => {
      const { state } = host.server();
      return {
        node: host.node,
        cluster: host.cluster,
        ...state.map.image(),
        accounts: state.accountCount,
        appliedIndex: state.appliedIndex,
      };
    },
  },
  history: {
    handle: (host) => {
      const { history } = host.server().state;
      return { node: host.node, cluster: host.cluster, capacity: history.capacity, pairs: history.pairs() };
    },
  },
  fail: fault('fail'),
  recover: fault('recover'),
  isolate: fault('isolate'),
  heal: fault('heal'),
  disturb: {
    // Bounded at decode (0..100 %, 0..disturbDelayMsMax ms).
    handle: (host, { duplicatePercent, delayMsMax }) => {
      host.disturb({ duplicatePercent, delayMsMax });
      return host.status();
    },
  },
  flush: {
    anyGeneration: true,
    handle: (host, { flush }) => {
      if (!host.members.includes(flush.leader))
        throw new AdminRefusalError(
          'not-a-member',
          `node ${flush.leader} is not a member of cluster ${host.cluster} (${host.members.join(', ')})`,
        );
      // Only forward: a flush delayed past a later one (a retry, another CLI) must not take the
      // node back into a generation the others have left.
      if (flush.generation <= host.generation())
        throw new AdminRefusalError(
          'stale-flush',
          `flush generation ${flush.generation} is not above this node's ${host.generation()}`,
        );
      host.flush(flush);
      return host.status();
    },
  },
  lead: {
    handle: (host) => {
      host.server().campaign();
      host.scheduleDrain();
      return host.status();
    },
  },
};

/**
 * What arrived on the node's admin subject: the request, or the `bad-request` refusal that
 * answers bytes that are not one (checked at the codec: its shape, its op's fields and bounds).
 */
export function admitAdminRequest(
  data: Uint8Array,
): { request: AdminRequest & AdminRequestContext } | { refusal: AdminRefusal } {
  try {
    const envelope = decodeEnvelope(data);
    if (envelope.kind !== 'admin') throw new DecodeError(`envelope.kind: expected admin, got ${envelope.kind}`);
    const { kind: _kind, ...request } = envelope;
    return { request };
  } catch (error) {
    if (!(error instanceof DecodeError)) throw error;
    return { refusal: { ok: false, code: 'bad-request', message: error.message } };
  }
}

/**
 * Answers one admin request: its op's reply, or a refusal with a code. An operating error (the
 * disk, say) is answered `internal` and reported to the host for its log; a broken assertion is
 * a bug of the node, not of the request, so it is thrown on: a node whose core broke an
 * invariant must stop rather than go on answering.
 */
export function answerAdmin(host: AdminHost, request: AdminRequest & AdminRequestContext): AdminReply {
  try {
    return answer(host, request);
  } catch (error) {
    if (error instanceof AdminRefusalError) return { ok: false, code: error.code, message: error.message };
    if (error instanceof AssertionError || !(error instanceof Error)) throw error;
    host.failedInternally(request.op, error);
    return { ok: false, code: 'internal', message: error.message };
  }
}

function answer<Op extends AdminOp>(host: AdminHost, request: AdminRequestOf<Op> & AdminRequestContext): AdminReply {
  const handler: Handler<Op> = adminHandlers[request.op as Op];
  // An operation sent in another flush generation must not act on this one.
  if (request.generation !== undefined && handler.anyGeneration !== true && request.generation !== host.generation()) {
    host.countStale();
    throw new AdminRefusalError(
      'stale-generation',
      `sent in flush generation ${request.generation}, this node is in ${host.generation()}`,
    );
  }
  return { ok: true, op: request.op, body: handler.handle(host, request) } as AdminReply;
}
