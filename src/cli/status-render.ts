import type { NodeStatusRow } from '../client/ledger-client.js';
import type { NodeStatus } from '../protocol/admin.js';
import { describeDisturbance } from './disturb-settings.js';
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
  { head: 'map epoch', right: true, extra: true },
  { head: 'accounts', right: true, extra: true },
  { head: 'pid', right: true, drop: 1 },
];

/** `ledger cluster status`: one line a node (with its copy of the shard map's epoch and the
 *  accounts its shard holds: resharding moves them), then one line per disturbed node
 *  (`ledger node disturb`). */
export function renderStatus(nodes: readonly NodeStatusRow[], layout?: Layout): string {
  const rows = nodes.map((s) =>
    s.role === 'down'
      ? [`n${s.node}`, s.cluster, `down: ${s.reason}`, '', '', '', '', '', '', '']
      : [
          `n${s.node}`,
          s.cluster,
          roleCell(s),
          s.leader === undefined ? '?' : `n${s.leader}`,
          s.ballot,
          s.commitIndex,
          s.appliedIndex,
          s.mapEpoch,
          s.accounts,
          s.pid,
        ],
  );
  const disturbed = nodes.filter((s): s is NodeStatus => s.role !== 'down' && (s.disturbed ?? null) !== null);
  return [table(statusColumns, rows, layout), ...disturbed.map(describeDisturbance)].join('\n');
}

function roleCell(s: NodeStatus): string {
  const flags = [s.failed ? 'failed' : s.isolated ? 'isolated' : undefined, s.disturbed ? 'disturbed' : undefined];
  const shown = flags.filter((f) => f !== undefined);
  return shown.length === 0 ? s.role : `${s.role} (${shown.join(', ')})`;
}
