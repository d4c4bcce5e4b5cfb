import type { NodeStatusRow } from '../client/ledger-client.js';
import { table, type Column, type Layout } from './render.js';

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
export function renderStatus(nodes: readonly NodeStatusRow[], layout?: Layout): string {
  const rows = nodes.map((s) =>
    s.role === 'down'
      ? [`n${s.node}`, s.cluster, `down: ${s.reason}`, '', '', '', '', '']
      : [
          `n${s.node}`,
          s.cluster,
          s.failed ? `${s.role} (failed)` : s.isolated ? `${s.role} (isolated)` : s.role,
          s.leader === undefined ? '?' : `n${s.leader}`,
          s.ballot,
          s.commitIndex,
          s.appliedIndex,
          s.pid,
        ],
  );
  return table(statusColumns, rows, layout);
}
