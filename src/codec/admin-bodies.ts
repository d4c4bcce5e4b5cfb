import { replicaRoles, type ReplicaRole } from '../core/roles.js';
import { arr, bool, int, obj, oneOf, optional, str } from './validate.js';

/** Bodies of the admin replies (`ledger.n{N}.admin`), and their checks on the asking side. */

export interface NodeStatus {
  node: number;
  cluster: number;
  role: ReplicaRole;
  leader: number | undefined;
  ballot: string;
  commitIndex: number;
  appliedIndex: number;
  lastSlot: number;
  pendingCommands: number;
  malformedMessages: number;
  /** `ledger node fail`: drops every message and stops its timers. */
  failed: boolean;
  /** `ledger node isolate`: drops protocol messages to and from its peers. */
  isolated: boolean;
  logFloor: number;
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
}

export function decodeNodeStatus(value: unknown): NodeStatus {
  const o = obj(value, 'status');
  return {
    node: int(o.node, 'status.node', 1),
    cluster: int(o.cluster, 'status.cluster', 1),
    role: oneOf(o.role, 'status.role', replicaRoles),
    leader: optional(o.leader, 'status.leader', (v, p) => int(v, p, 1)),
    ballot: str(o.ballot, 'status.ballot'),
    commitIndex: int(o.commitIndex, 'status.commitIndex'),
    appliedIndex: int(o.appliedIndex, 'status.appliedIndex'),
    lastSlot: int(o.lastSlot, 'status.lastSlot'),
    pendingCommands: int(o.pendingCommands, 'status.pendingCommands'),
    malformedMessages: int(o.malformedMessages, 'status.malformedMessages'),
    failed: bool(o.failed, 'status.failed'),
    isolated: bool(o.isolated, 'status.isolated'),
    logFloor: int(o.logFloor, 'status.logFloor'),
    logEntries: int(o.logEntries, 'status.logEntries'),
    synchronous: oneOf(o.synchronous, 'status.synchronous', ['full', 'normal'] as const),
    pid: int(o.pid, 'status.pid', 1),
    uptimeMs: int(o.uptimeMs, 'status.uptimeMs'),
    generation: int(o.generation, 'status.generation'),
    staleGenerationMessages: int(o.staleGenerationMessages, 'status.staleGenerationMessages'),
    publishErrors: int(o.publishErrors, 'status.publishErrors'),
    refusedMessages: decodeCounts(o.refusedMessages, 'status.refusedMessages'),
  };
}

/** Counts by reason; absent from an older node: none. */
function decodeCounts(value: unknown, path: string): Record<string, number> {
  if (value === undefined) return {};
  const o = obj(value, path);
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(o).slice(0, 64)) out[str(k, path, 64)] = int(v, `${path}.${k}`);
  return out;
}

/** A replica's own copy of a balance (may be stale on a lagging follower: that is the point). */
export interface LocalBalance {
  node: number;
  account: number;
  /** Without undecided cross-shard transfers; `pending` is what they hold (+ in, - out). */
  balance: number;
  pending: number;
  appliedIndex: number;
}

/** A signed amount held by undecided transfers (absent from an older node: none). */
function pendingAmount(value: unknown, path: string): number {
  return value === undefined ? 0 : int(value, path, -Number.MAX_SAFE_INTEGER);
}

export function decodeLocalBalance(value: unknown): LocalBalance {
  const o = obj(value, 'balance');
  return {
    node: int(o.node, 'balance.node', 1),
    account: int(o.account, 'balance.account', 1),
    balance: int(o.balance, 'balance.balance'),
    pending: pendingAmount(o.pending, 'balance.pending'),
    appliedIndex: int(o.appliedIndex, 'balance.appliedIndex'),
  };
}

export interface ModifiedAccounts {
  node: number;
  accounts: Array<{ account: number; balance: number; pending: number }>;
}

export function decodeModifiedAccounts(value: unknown): ModifiedAccounts {
  const o = obj(value, 'db');
  return {
    node: int(o.node, 'db.node', 1),
    accounts: arr(o.accounts, 'db.accounts', 10_000_000, (v, p) => {
      const a = obj(v, p);
      return { account: int(a.account, `${p}.account`, 1), balance: int(a.balance, `${p}.balance`), pending: pendingAmount(a.pending, `${p}.pending`) };
    }),
  };
}

/** A replica's recent state hashes, for `ledger check consistency`. */
export interface StateHashes {
  node: number;
  cluster: number;
  appliedIndex: number;
  /** Sum of the balances this replica holds (its shard's money). */
  total: number;
  /** Cross-shard transactions not finished here (money may be between shards). */
  inFlight: number;
  hashes: Array<[number, number]>;
}

export function decodeStateHashes(value: unknown): StateHashes {
  const o = obj(value, 'hashes');
  return {
    node: int(o.node, 'hashes.node', 1),
    cluster: int(o.cluster, 'hashes.cluster', 1),
    appliedIndex: int(o.appliedIndex, 'hashes.appliedIndex'),
    total: int(o.total, 'hashes.total'),
    inFlight: int(o.inFlight, 'hashes.inFlight'),
    hashes: arr(o.hashes, 'hashes.hashes', 100_000, (v, p) => {
      const pair = arr(v, p, 2, int);
      if (pair.length !== 2) throw new Error(`${p}: expected a [slot, hash] pair`);
      return [pair[0] as number, pair[1] as number] as [number, number];
    }),
  };
}

export interface NodeViews {
  node: number;
  views: Array<{ seq: number; ballot: { round: number; node: number }; leader: number; commitIndex: number; entries: Array<{ slot: number; value: unknown }>; recordedAtMs: number }>;
}

export function decodeNodeViews(value: unknown): NodeViews {
  const o = obj(value, 'views');
  return {
    node: int(o.node, 'views.node', 1),
    views: arr(o.views, 'views.views', 1_000_000, (v, p) => {
      const x = obj(v, p);
      const b = obj(x.ballot, `${p}.ballot`);
      return {
        seq: int(x.seq, `${p}.seq`),
        ballot: { round: int(b.round, `${p}.ballot.round`), node: int(b.node, `${p}.ballot.node`) },
        leader: int(x.leader, `${p}.leader`, 1),
        commitIndex: int(x.commitIndex, `${p}.commitIndex`),
        entries: arr(x.entries, `${p}.entries`, 1_000_000, (e, q) => {
          const y = obj(e, q);
          return { slot: int(y.slot, `${q}.slot`, 1), value: y.value };
        }),
        recordedAtMs: int(x.recordedAtMs, `${p}.recordedAtMs`),
      };
    }),
  };
}
