import type { NodeStatus } from '../protocol/admin.js';
import type { ClusterId, NodeId } from '../protocol/ids.js';
import { table, type Column, type Layout } from './render.js';

export type StatusRow = NodeStatus | { node: NodeId; cluster: ClusterId; role: 'down'; reason: string };

/** A down node's reason goes in its role cell, cut on a terminal so 9 nodes fit 80 columns. */
const statusColumns: Column[] = [
  { head: 'node' },
  { head: 'cluster', right: true },
  { head: 'role', shrinkTo: 18 },
  { head: 'leader' },
  { head: 'ballot' },
  { head: 'commit', right: true },
  { head: 'applied', right: true },
  { head: 'pid', right: true, drop: 1 },
];

/** `ledger cluster status`: one line a node. */
export function renderStatus(nodes: readonly StatusRow[], layout?: Layout): string {
  const rows = nodes.map((s) =>
    s.role === 'down'
      ? [`n${s.node}`, s.cluster, `down: ${s.reason}`, '', '', '', '', '']
      : [`n${s.node}`, s.cluster, s.failed ? `${s.role} (failed)` : s.isolated ? `${s.role} (isolated)` : s.role, s.leader === undefined ? '?' : `n${s.leader}`, s.ballot, s.commitIndex, s.appliedIndex, s.pid],
  );
  return table(statusColumns, rows, layout);
}
