import type { ClusterId, NodeId } from '../protocol/ids.js';
import type { ShardReady } from '../ledger/shard-ready.js';
import type { Response, ShardMessage } from '../protocol/client.js';
import type { Batch } from '../protocol/commands.js';
import type { Outbound } from '../protocol/paxos.js';
import type { ClusterMessage } from '../protocol/moves.js';
import type { NodeStore } from './node-store.js';

/**
 * The ports of the node runtime (src/node/runtime.ts): what it needs from the world, declared by
 * it. The real node plugs in NATS, SQLite and Node's event loop (src/node/ledger-node.ts); the
 * simulator plugs in its network, its store with power loss and virtual time (tests/sim).
 */

/** What the runtime writes each ready to: the node's store, of which it only persists. */
export type ReadyStore = Pick<NodeStore, 'persist'>;

/**
 * A client request as the composition received it: its own handle for the reply (a NATS reply
 * subject, a simulated client), plus what the runtime needs to route and expire it.
 */
export interface HeldRequest {
  /** How many nodes already forwarded it. */
  hops: number;
  /** When it arrived, by the Scheduler's clock: a request is forgotten pendingRequestTtlMs later. */
  receivedAtMs: number;
}

/** Where the runtime's messages go. Each call sends one message; none may throw for a peer that is down. */
export interface Outbox<R extends HeldRequest> {
  /** To one member of the cluster, or to every other member ('all'). */
  paxos(to: NodeId | 'all', message: ShardMessage, generation: number): void;
  /** To the leader of another cluster (every member hears; only the leader acts): a step of
   *  Two-Phase Commit, or of a move of accounts. */
  twoPc(toCluster: ClusterId, message: ClusterMessage, generation: number): void;
  /** The answer to a client, at the handle it came with. */
  reply(request: R, response: Response): void;
  /** The request itself, to the member believed to lead; it answers the client directly.
   *  `hops`: what the forwarded copy carries (the runtime counted this hop already). */
  forward(request: R, to: NodeId, hops: number): void;
  /** Hands the transport now what the outbox holds for the end of the turn (batched replies and
   *  forwards), so that it leaves before a persist that blocks the turn (absent: nothing held). */
  flush?(): void;
}

/** The runtime's only view of time: it never reads a clock or sets a timer of its own. */
export interface Scheduler {
  /** Milliseconds of a clock that may jump (wall clock or virtual): ages pending requests. */
  nowMs(): number;
  /** Runs `run` after the inputs already queued for this turn, so that one ready serves them all
   *  (group commit). The real node: setImmediate. */
  soon(run: () => void): void;
  /** Runs `run` once the messages just sent are on their way, before the composition's next
   *  input: the persist of a ready whose accepts left early (see NodeRuntime.drain). The real
   *  node: queueMicrotask (the NATS client writes to its socket in an earlier microtask). */
  afterSend(run: () => void): void;
}

/** Where a ready is, for the failpoints (crash tests and the simulator's crashes). */
export type CrashPoint = 'after-early-send' | 'after-persist' | 'after-send';

/**
 * What the composition watches, all optional. `crash` returns true when the node dies right
 * there: the runtime then stops at once and sends nothing more (the simulator); a real node
 * kills its own process instead and never returns.
 */
export interface RuntimeHooks {
  /** A Paxos message of our generation was stepped into the core (metrics). */
  stepped?(message: ShardMessage): void;
  /** A ready was persisted, sent and is about to be advanced; `cutOff`: peers heard nothing of it. */
  carriedOut?(rd: ShardReady, cutOff: boolean): void;
  crash?(point: CrashPoint, rd: ShardReady): boolean;
}

/**
 * The order of persist and send. The defaults are the project's rules (sendableBeforePersist,
 * mustSyncBeforeSend in src/ledger/shard-ready.ts); tests hand in broken ones to show that the
 * simulator catches them (tests/sim/broken-runtime.test.ts).
 */
export interface SendRules {
  /** The messages of a ready that may leave before it is persisted. */
  sendableBeforePersist(rd: ShardReady): Outbound<Batch>[];
  /** Whether the replies, forwards and messages to other clusters may leave then too (never
   *  when absent). */
  restSendableBeforePersist?(rd: ShardReady, members: number): boolean;
  /** Whether a ready must reach the disk (fsync) before its messages leave. */
  mustSyncBeforeSend(rd: ShardReady, members: number): boolean;
}
