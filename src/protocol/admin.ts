import type { AccountId, ClusterId, NodeId, Slot } from './ids.js';
import type { ReplicaRole } from '../core/roles.js';
import type { Batch } from './commands.js';
import type { Ballot } from './paxos.js';
import type { ShardMapImage } from './shard-map.js';

/**
 * The admin RPC of a node (`ledger.n{N}.admin`, request and reply): one typed request and one
 * typed reply per op, and a refusal with a code. The codec (src/codec/admin-bodies.ts) checks
 * both on the wire; the node answers each op in src/node/admin-handlers.ts; the client asks
 * with LedgerClient.admin. Every field means one thing, whatever the op.
 */

/** What a flush sets up on a node: the new generation, the leader agreed in advance for it, and
 *  whether the node starts failed (a test set's live list leaves it out). */
export interface FlushArgs {
  generation: number;
  leader: NodeId;
  failed: boolean;
}

/** Fault injection (`ledger node fail|recover|isolate|heal`). */
const faultOps = ['fail', 'recover', 'isolate', 'heal'] as const;
export type FaultOp = (typeof faultOps)[number];

/**
 * The transport failpoint (`ledger node disturb`): what the node does to each client request
 * and 2PC message it receives. `duplicatePercent` of them are delivered twice (the same bytes,
 * the same reply subject), and every delivery waits a random 0..`delayMsMax` ms, so messages
 * overtake each other. 0 and 0: calm (disarmed). For testing only.
 */
export interface DisturbSettings {
  /** 0..100. */
  duplicatePercent: number;
  /** 0..disturbDelayMsMax. */
  delayMsMax: number;
}

/** The longest delay `disturb` may ask for: long enough to reorder across election timeouts,
 *  short enough that a forgotten or forged disturbance cannot hold a message for long. */
export const disturbDelayMsMax = 2_000;

/** What the transport failpoint did since the node started (src/node/transport-faults.ts). */
export interface TransportFaultCounts {
  /** Deliveries held back for a random delay (a duplicate counts on its own). */
  delayed: number;
  /** Messages delivered a second time. */
  duplicated: number;
  /** Deliveries made at once because the held ones were at their bound (count or bytes). */
  overflowed: number;
  /** Deliveries held now, waiting for their delay. */
  held: number;
}

/** Every admin request, by op. */
export type AdminRequest =
  /** The node's status (NodeStatus). */
  | { op: 'status' }
  /** The node's own copy of one account it holds (LocalBalance). */
  | { op: 'balance'; account: AccountId }
  /** The accounts whose balance differs from the initial one (ModifiedAccounts). */
  | { op: 'db' }
  /** The NEW-VIEWs this node led (NodeViews). */
  | { op: 'view' }
  /** Recent state hashes, for `ledger check consistency` (StateHashes). */
  | { op: 'hashes' }
  /** Start no new cross-shard transfer for `holdMs` milliseconds (0 lifts the hold; at most
   *  limits.holdCrossShardMsMax). */
  | { op: 'hold-cross-shard'; holdMs: number }
  | { op: 'fail' }
  | { op: 'recover' }
  | { op: 'isolate' }
  | { op: 'heal' }
  /** Arm the transport failpoint (DisturbSettings); 0 and 0 disarm it. */
  | ({ op: 'disturb' } & DisturbSettings)
  /** Back to the initial state in a new flush generation (docs/test-files.md, "The flush"). */
  | { op: 'flush'; flush: FlushArgs }
  /** Stand for election at once (leadership transfer). */
  | { op: 'lead' }
  /** The node's copy of the shard map (ShardMap). */
  | { op: 'shard-map' }
  /** The transfers of the shard's history, as account pairs (TransferHistory). */
  | { op: 'history' };

export type AdminOp = AdminRequest['op'];
export type AdminRequestOf<Op extends AdminOp> = Extract<AdminRequest, { op: Op }>;

/** Every op, for the codec (checked against AdminOp both ways below). */
export const adminOps = [
  'status',
  'balance',
  'db',
  'view',
  'hashes',
  'hold-cross-shard',
  'fail',
  'recover',
  'isolate',
  'heal',
  'disturb',
  'flush',
  'lead',
  'shard-map',
  'history',
] as const;
type Exhaustive<A, B> = [A] extends [B] ? ([B] extends [A] ? true : never) : never;
const adminOpsComplete: Exhaustive<(typeof adminOps)[number], AdminOp> = true;
void adminOpsComplete;

/** What an admin request carries besides its op: the flush generation the sender works in,
 *  when it knows it. A node in another generation refuses the op (`stale-generation`), except
 *  `status` and `flush`, which are meant to cross generations. */
export interface AdminRequestContext {
  generation?: number;
}

/** The reply body of each op. */
export interface AdminReplies {
  status: NodeStatus;
  balance: LocalBalance;
  db: ModifiedAccounts;
  view: NodeViews;
  hashes: StateHashes;
  'hold-cross-shard': CrossShardHold;
  fail: NodeStatus;
  recover: NodeStatus;
  isolate: NodeStatus;
  heal: NodeStatus;
  disturb: NodeStatus;
  flush: NodeStatus;
  lead: NodeStatus;
  'shard-map': NodeShardMap;
  history: TransferHistory;
}

/** Why a node refused an admin request (the `code` of a refusal). */
export const adminErrorCodes = [
  /** The request did not decode, or is not an admin request, or a field is out of range. */
  'bad-request',
  /** Sent in another flush generation than the node's (see AdminRequestContext). */
  'stale-generation',
  /** A flush whose generation is not above the node's: a late or repeated flush. */
  'stale-flush',
  /** A flush naming a leader outside the node's cluster. */
  'not-a-member',
  /** `balance` of an account this node does not hold. */
  'wrong-shard',
  /** The node failed to answer (a bug: its log says more). */
  'internal',
] as const;
export type AdminErrorCode = (typeof adminErrorCodes)[number];

export interface AdminRefusal {
  ok: false;
  code: AdminErrorCode;
  /** One line for a person; the code is what a program looks at. */
  message: string;
}

/** The answer to one admin request: the op's body (the op is repeated, so the reply decodes
 *  on its own), or a refusal. */
export type AdminReply<Op extends AdminOp = AdminOp> =
  { [K in Op]: { ok: true; op: K; body: AdminReplies[K] } }[Op] | AdminRefusal;

// ---- reply bodies ----------------------------------------------------------------------------

export interface NodeStatus {
  node: NodeId;
  cluster: ClusterId;
  role: ReplicaRole;
  leader: NodeId | undefined;
  ballot: string;
  commitIndex: Slot;
  appliedIndex: Slot;
  lastSlot: Slot;
  pendingCommands: number;
  malformedMessages: number;
  /** `ledger node fail`: drops every message and stops its timers. */
  failed: boolean;
  /** `ledger node isolate`: drops protocol messages to and from its peers. */
  isolated: boolean;
  /** `ledger node disturb`: what its transport failpoint does now; null when calm. */
  disturbed: DisturbSettings | null;
  /** What that failpoint did since the node started. */
  transportFaults: TransportFaultCounts;
  logFloor: Slot;
  logEntries: number;
  synchronous: 'full' | 'normal';
  pid: number;
  uptimeMs: number;
  /** Which flush the node's state belongs to (0 before the first). */
  generation: number;
  /** Protocol messages dropped because they came from another flush generation. */
  staleGenerationMessages: number;
  /** Messages the NATS client refused to publish (say, above max_payload): dropped. */
  publishErrors: number;
  /** Protocol messages refused as out of range (forged or absurd), by reason, since start. */
  refusedMessages: Record<string, number>;
  /** The epoch of the node's copy of the shard map (0: the initial map). */
  mapEpoch: number;
  /** Accounts its shard holds now (resharding moves them). */
  accounts: number;
}

/** A replica's own copy of a balance (may be stale on a lagging follower: that is the point). */
export interface LocalBalance {
  node: NodeId;
  account: AccountId;
  /** Without undecided cross-shard transfers; `pending` is what they hold (+ in, - out). */
  balance: number;
  pending: number;
  appliedIndex: Slot;
}

export interface ModifiedAccounts {
  node: NodeId;
  accounts: Array<{ account: AccountId; balance: number; pending: number }>;
}

/** A replica's recent state hashes, for `ledger check consistency`. */
export interface StateHashes {
  node: NodeId;
  cluster: ClusterId;
  appliedIndex: Slot;
  /** Sum of the balances this replica holds (its shard's money). */
  total: number;
  /** Cross-shard transactions and moves of accounts not finished here (money may be between
   *  shards). */
  inFlight: number;
  /** The epoch of its shard map: an audit whose counts saw an epoch change counts again. */
  mapEpoch: number;
  /** [slot, hash of the state after applying it]. */
  hashes: Array<[Slot, number]>;
}

/** A NEW-VIEW as the node that led it recorded it. */
export interface RecordedView {
  /** Order of recording on this node. */
  seq: number;
  ballot: Ballot;
  leader: NodeId;
  commitIndex: Slot;
  /** What it re-proposed: the values from the promises, null (a NO-OP) for holes. */
  entries: Array<{ slot: Slot; value: Batch | null }>;
  /** Milliseconds since the epoch when the node recorded it (wall clock, for display only). */
  recordedAtMs: number;
}

export interface NodeViews {
  node: NodeId;
  views: RecordedView[];
}

/** The hold the node took (`hold-cross-shard`). */
export interface CrossShardHold {
  node: NodeId;
  heldMs: number;
}

/** A node's copy of the shard map, and how many accounts its shard holds. */
export interface NodeShardMap extends ShardMapImage {
  node: NodeId;
  cluster: ClusterId;
  accounts: number;
  appliedIndex: Slot;
}

/** A shard's transfer history (the last `capacity` committed transfers, oldest first). */
export interface TransferHistory {
  node: NodeId;
  cluster: ClusterId;
  capacity: number;
  pairs: Array<[AccountId, AccountId]>;
}
