import { arr, int, obj, oneOf, optional, str } from './validate.js';

/** Bodies of the admin replies (`ledger.n{N}.admin`), and their checks on the asking side. */

export const roles = ['leader', 'follower', 'precandidate', 'candidate'] as const;

export interface NodeStatus {
  node: number;
  cluster: number;
  role: (typeof roles)[number];
  leader: number | undefined;
  ballot: string;
  commitIndex: number;
  appliedIndex: number;
  lastSlot: number;
  pendingCommands: number;
  malformedMessages: number;
  synchronous: 'full' | 'normal';
  pid: number;
  uptimeMs: number;
}

export function decodeNodeStatus(value: unknown): NodeStatus {
  const o = obj(value, 'status');
  return {
    node: int(o.node, 'status.node', 1),
    cluster: int(o.cluster, 'status.cluster', 1),
    role: oneOf(o.role, 'status.role', roles),
    leader: optional(o.leader, 'status.leader', (v, p) => int(v, p, 1)),
    ballot: str(o.ballot, 'status.ballot'),
    commitIndex: int(o.commitIndex, 'status.commitIndex'),
    appliedIndex: int(o.appliedIndex, 'status.appliedIndex'),
    lastSlot: int(o.lastSlot, 'status.lastSlot'),
    pendingCommands: int(o.pendingCommands, 'status.pendingCommands'),
    malformedMessages: int(o.malformedMessages, 'status.malformedMessages'),
    synchronous: oneOf(o.synchronous, 'status.synchronous', ['full', 'normal'] as const),
    pid: int(o.pid, 'status.pid', 1),
    uptimeMs: int(o.uptimeMs, 'status.uptimeMs'),
  };
}

/** A replica's own copy of a balance (may be stale on a lagging follower: that is the point). */
export interface LocalBalance {
  node: number;
  account: number;
  balance: number;
  appliedIndex: number;
}

export function decodeLocalBalance(value: unknown): LocalBalance {
  const o = obj(value, 'balance');
  return {
    node: int(o.node, 'balance.node', 1),
    account: int(o.account, 'balance.account', 1),
    balance: int(o.balance, 'balance.balance'),
    appliedIndex: int(o.appliedIndex, 'balance.appliedIndex'),
  };
}

export interface ModifiedAccounts {
  node: number;
  accounts: Array<{ account: number; balance: number }>;
}

export function decodeModifiedAccounts(value: unknown): ModifiedAccounts {
  const o = obj(value, 'db');
  return {
    node: int(o.node, 'db.node', 1),
    accounts: arr(o.accounts, 'db.accounts', 10_000_000, (v, p) => {
      const a = obj(v, p);
      return { account: int(a.account, `${p}.account`, 1), balance: int(a.balance, `${p}.balance`) };
    }),
  };
}
