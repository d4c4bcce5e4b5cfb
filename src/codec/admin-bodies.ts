import { limits } from '../core/limits.js';
import { replicaRoles } from '../core/roles.js';
import {
  adminErrorCodes,
  adminOps,
  disturbDelayMsMax,
  type AdminOp,
  type AdminReplies,
  type AdminReply,
  type AdminRequest,
  type CrossShardHold,
  type DisturbSettings,
  type FlushArgs,
  type LocalBalance,
  type ModifiedAccounts,
  type NodeShardMap,
  type NodeStatus,
  type NodeViews,
  type StateHashes,
  type TransferHistory,
  type TransportFaultCounts,
} from '../protocol/admin.js';
import { decodeBatch } from './ledger-codec.js';
import { decodeHistoryPairs, decodeMapImageEntries } from './resharding-codec.js';
import { arr, bool, DecodeError, int, obj, oneOf, optional, str, type Obj } from './validate.js';

/**
 * The admin RPC on the wire (`ledger.n{N}.admin`, types in src/protocol/admin.ts): each request
 * is checked here before a node acts on it, and each reply body before the asker reads it.
 * Anything off shape is a DecodeError naming the field; the node answers it `bad-request`.
 */

/** The log's values as the admin replies carry them (the NEW-VIEWs of `view`). */

/** An admin request's fields, by op; fields another op would carry are ignored. */
export function decodeAdminRequest(o: Obj, path: string): AdminRequest {
  const op = oneOf(o.op, `${path}.op`, adminOps);
  switch (op) {
    case 'balance':
      return { op, account: int(o.account, `${path}.account`, 1) };
    case 'hold-cross-shard': {
      if (o.holdMs === undefined) throw new DecodeError(`${path}.holdMs: a hold needs its duration`);
      const holdMs = int(o.holdMs, `${path}.holdMs`);
      if (holdMs > limits.holdCrossShardMsMax)
        throw new DecodeError(`${path}.holdMs: expected at most ${limits.holdCrossShardMsMax}`);
      return { op, holdMs };
    }
    case 'disturb':
      return { op, ...decodeDisturbSettings(o, path) };
    case 'flush':
      if (o.flush === undefined) throw new DecodeError(`${path}.flush: a flush needs its arguments`);
      return { op, flush: decodeFlushArgs(o.flush, `${path}.flush`) };
    default:
      return { op };
  }
}

/** Both fields, each in range (a disturbance is never half-specified); 0 and 0 disarm. */
function decodeDisturbSettings(o: Obj, path: string): DisturbSettings {
  const within = (field: 'duplicatePercent' | 'delayMsMax', max: number): number => {
    if (o[field] === undefined) throw new DecodeError(`${path}.${field}: a disturbance needs it (0 for none)`);
    const value = int(o[field], `${path}.${field}`);
    if (value > max) throw new DecodeError(`${path}.${field}: expected at most ${max}`);
    return value;
  };
  return { duplicatePercent: within('duplicatePercent', 100), delayMsMax: within('delayMsMax', disturbDelayMsMax) };
}

function decodeFlushArgs(value: unknown, path: string): FlushArgs {
  const o = obj(value, path);
  return {
    generation: int(o.generation, `${path}.generation`),
    leader: int(o.leader, `${path}.leader`, 1),
    failed: bool(o.failed, `${path}.failed`),
  };
}

/** Each op's reply body, checked on the asking side. */
const replyBodies: { [Op in AdminOp]: (value: unknown) => AdminReplies[Op] } = {
  status: decodeNodeStatus,
  balance: decodeLocalBalance,
  db: decodeModifiedAccounts,
  view: decodeNodeViews,
  hashes: decodeStateHashes,
  'hold-cross-shard': decodeCrossShardHold,
  fail: decodeNodeStatus,
  recover: decodeNodeStatus,
  isolate: decodeNodeStatus,
  heal: decodeNodeStatus,
  disturb: decodeNodeStatus,
  flush: decodeNodeStatus,
  lead: decodeNodeStatus,
  'shard-map': decodeNodeShardMap,
  history: decodeTransferHistory,
};

/** A reply: the body its op names, or a refusal with its code. */
export function decodeAdminReply(o: Obj, path: string): AdminReply {
  if (!bool(o.ok, `${path}.ok`)) {
    return {
      ok: false,
      code: oneOf(o.code, `${path}.code`, adminErrorCodes),
      message: str(o.message, `${path}.message`, 4096),
    };
  }
  const op = oneOf(o.op, `${path}.op`, adminOps);
  return bodyOf(op, o.body);
}

function bodyOf<Op extends AdminOp>(op: Op, body: unknown): AdminReply {
  return { ok: true, op, body: replyBodies[op](body) } as AdminReply;
}

function decodeCrossShardHold(value: unknown): CrossShardHold {
  const o = obj(value, 'hold');
  return { node: int(o.node, 'hold.node', 1), heldMs: int(o.heldMs, 'hold.heldMs') };
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
    disturbed: decodeDisturbed(o.disturbed),
    transportFaults: decodeTransportFaults(o.transportFaults),
    logFloor: int(o.logFloor, 'status.logFloor'),
    logEntries: int(o.logEntries, 'status.logEntries'),
    synchronous: oneOf(o.synchronous, 'status.synchronous', ['full', 'normal'] as const),
    pid: int(o.pid, 'status.pid', 1),
    uptimeMs: int(o.uptimeMs, 'status.uptimeMs'),
    generation: int(o.generation, 'status.generation'),
    staleGenerationMessages: int(o.staleGenerationMessages, 'status.staleGenerationMessages'),
    publishErrors: int(o.publishErrors, 'status.publishErrors'),
    refusedMessages: decodeCounts(o.refusedMessages, 'status.refusedMessages'),
    mapEpoch: int(o.mapEpoch, 'status.mapEpoch'),
    accounts: int(o.accounts, 'status.accounts'),
  };
}

/** Absent (an older node) or null: calm. */
function decodeDisturbed(value: unknown): DisturbSettings | null {
  if (value === undefined || value === null) return null;
  return decodeDisturbSettings(obj(value, 'status.disturbed'), 'status.disturbed');
}

/** Absent from an older node: none. */
function decodeTransportFaults(value: unknown): TransportFaultCounts {
  if (value === undefined) return { delayed: 0, duplicated: 0, overflowed: 0, held: 0 };
  const o = obj(value, 'status.transportFaults');
  return {
    delayed: int(o.delayed, 'status.transportFaults.delayed'),
    duplicated: int(o.duplicated, 'status.transportFaults.duplicated'),
    overflowed: int(o.overflowed, 'status.transportFaults.overflowed'),
    held: int(o.held, 'status.transportFaults.held'),
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

export function decodeModifiedAccounts(value: unknown): ModifiedAccounts {
  const o = obj(value, 'db');
  return {
    node: int(o.node, 'db.node', 1),
    accounts: arr(o.accounts, 'db.accounts', 10_000_000, (v, p) => {
      const a = obj(v, p);
      return {
        account: int(a.account, `${p}.account`, 1),
        balance: int(a.balance, `${p}.balance`),
        pending: pendingAmount(a.pending, `${p}.pending`),
      };
    }),
  };
}

function decodeStateHashes(value: unknown): StateHashes {
  const o = obj(value, 'hashes');
  return {
    node: int(o.node, 'hashes.node', 1),
    cluster: int(o.cluster, 'hashes.cluster', 1),
    appliedIndex: int(o.appliedIndex, 'hashes.appliedIndex'),
    total: int(o.total, 'hashes.total'),
    inFlight: int(o.inFlight, 'hashes.inFlight'),
    mapEpoch: int(o.mapEpoch, 'hashes.mapEpoch'),
    hashes: arr(o.hashes, 'hashes.hashes', 100_000, (v, p) => {
      const pair = arr(v, p, 2, int);
      if (pair.length !== 2) throw new Error(`${p}: expected a [slot, hash] pair`);
      return [pair[0] as number, pair[1] as number] as [number, number];
    }),
  };
}

function decodeNodeViews(value: unknown): NodeViews {
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
          return { slot: int(y.slot, `${q}.slot`, 1), value: decodeBatch(y.value, `${q}.value`) };
        }),
        recordedAtMs: int(x.recordedAtMs, `${p}.recordedAtMs`),
      };
    }),
  };
}

function decodeNodeShardMap(value: unknown): NodeShardMap {
  const o = obj(value, 'shard-map');
  return {
    node: int(o.node, 'shard-map.node', 1),
    cluster: int(o.cluster, 'shard-map.cluster', 1),
    epoch: int(o.epoch, 'shard-map.epoch'),
    entries: decodeMapImageEntries(o.entries, 'shard-map.entries'),
    accounts: int(o.accounts, 'shard-map.accounts'),
    appliedIndex: int(o.appliedIndex, 'shard-map.appliedIndex'),
  };
}

/** At most limits.historyCapacityMax pairs, and no more than the capacity the node names. */
function decodeTransferHistory(value: unknown): TransferHistory {
  const o = obj(value, 'history');
  const capacity = int(o.capacity, 'history.capacity');
  if (capacity > limits.historyCapacityMax)
    throw new DecodeError(`history.capacity: expected at most ${limits.historyCapacityMax}`);
  const pairs = decodeHistoryPairs(o.pairs, 'history.pairs');
  if (pairs.length > capacity) throw new DecodeError(`history.pairs: expected at most capacity (${capacity})`);
  return {
    node: int(o.node, 'history.node', 1),
    cluster: int(o.cluster, 'history.cluster', 1),
    capacity,
    pairs,
  };
}
