import type { LedgerClient } from '../client/ledger-client.js';
import type { NodeId } from '../protocol/ids.js';
import type { RecordedView } from '../protocol/admin.js';
import { balanceText } from '../ledger/pending.js';
import { batchText, table } from './render.js';

/**
 * PrintDB, PrintView and PrintBalance as data plus the lines a terminal shows: shared by
 * `ledger db`, `ledger view`, `ledger balance --replicas` and the test runner's menu.
 */

export interface DbReport {
  /** Per node that answered and has the account changed: `balance` without undecided cross-shard
   *  transfers, `pending` what they hold (the shape of `balance --replicas`). */
  accounts: Array<{ account: number; replicas: Array<{ node: NodeId; balance: number; pending: number }> }>;
  unreachable: Array<{ node: NodeId; reason: string }>;
  lines: string[];
}

export async function printDb(client: LedgerClient, nodes: NodeId[]): Promise<DbReport> {
  const answers = await Promise.all(
    nodes.map(async (node) => {
      try {
        return { node, accounts: (await client.modifiedAccounts(node)).accounts };
      } catch (error) {
        return { node, error: (error as Error).message };
      }
    }),
  );
  const byAccount = new Map<number, DbReport['accounts'][number]['replicas']>();
  for (const a of answers) {
    for (const { account, balance, pending } of a.accounts ?? []) {
      const replicas = byAccount.get(account) ?? [];
      replicas.push({ node: a.node, balance, pending });
      byAccount.set(account, replicas);
    }
  }
  const accounts = [...byAccount.entries()]
    .sort((x, y) => x[0] - y[0])
    .map(([account, replicas]) => ({ account, replicas }));
  const answered = answers.filter((a) => a.accounts !== undefined).map((a) => a.node);
  const lines: string[] = [];
  const cell = (a: DbReport['accounts'][number], node: NodeId) => {
    const replica = a.replicas.find((r) => r.node === node);
    return replica === undefined ? '' : balanceText(replica.balance, replica.pending);
  };
  if (accounts.length === 0) lines.push('no account differs from its initial balance');
  else
    lines.push(
      table(
        [{ head: 'account', right: true }, ...answered.map((n) => ({ head: `n${n}`, right: true }))],
        accounts.map((a) => [a.account, ...answered.map((n) => cell(a, n))]),
      ),
    );
  const unreachable = answers
    .filter((a) => a.error !== undefined)
    .map((a) => ({ node: a.node, reason: a.error as string }));
  for (const u of unreachable) lines.push(`n${u.node}: unreachable (${u.reason})`);
  return { accounts, unreachable, lines };
}

export interface ViewReport {
  views: Array<{ node: NodeId } & RecordedView>;
  unreachable: Array<{ node: NodeId; reason: string }>;
  lines: string[];
}

export async function printView(client: LedgerClient, nodes: NodeId[]): Promise<ViewReport> {
  const views: ViewReport['views'] = [];
  const unreachable: ViewReport['unreachable'] = [];
  for (const node of nodes) {
    try {
      for (const view of (await client.views(node)).views) views.push({ node, ...view });
    } catch (error) {
      unreachable.push({ node, reason: (error as Error).message });
    }
  }
  views.sort((a, b) => a.recordedAtMs - b.recordedAtMs);
  const lines: string[] = [];
  for (const v of views) {
    const when = new Date(v.recordedAtMs).toISOString().slice(11, 23);
    lines.push(
      `${when}  NEW-VIEW ballot (${v.ballot.round}, n${v.ballot.node}) leader n${v.leader}, promised commit index ${v.commitIndex}, re-proposed ${v.entries.length} slot(s)`,
    );
    for (const e of v.entries.slice(0, 20)) lines.push(`    slot ${e.slot}: ${batchText(e.value)}`);
    if (v.entries.length > 20) lines.push(`    … ${v.entries.length - 20} more`);
  }
  if (views.length === 0) lines.push('no NEW-VIEW recorded');
  for (const u of unreachable) lines.push(`n${u.node}: ${u.reason}`);
  return { views, unreachable, lines };
}

/** PrintBalance: "n4 : 8, n5 : 8 (+2 pending), n6 : 10" (a node that does not answer shows
 *  "down"); `pending` is what undecided cross-shard transfers hold apart from the balance. */
export async function printBalance(
  client: LedgerClient,
  account: number,
): Promise<{ replicas: Array<{ node: NodeId; balance: number | null; pending: number }>; line: string }> {
  const replicas = (await client.replicaBalances(account)).map((r) => ({
    node: r.node,
    balance: r.balance,
    pending: 'pending' in r ? r.pending : 0,
  }));
  return {
    replicas,
    line: replicas
      .map((r) => `n${r.node} : ${r.balance === null ? 'down' : balanceText(r.balance, r.pending)}`)
      .join(', '),
  };
}
