/**
 * The final balance of each account, read from the replicas that hold it (RunRecord.final): an
 * account missing from a replica's `modified` has the initial balance. When replicas disagree
 * the most common value is taken (ties: the lowest node's); replica-agreement reports the
 * disagreement itself. An account no replica holds has no final balance.
 */
import type { RunRecord } from '../history.js';

export interface FinalBalances {
  /** Account -> its final balance, for every account some replica holds. */
  balances: Map<number, number>;
}

export function finalBalancesOf(record: Pick<RunRecord, 'final' | 'initialBalance'>): FinalBalances {
  /** Account -> value -> (count, lowest node). */
  const votes = new Map<number, Map<number, { count: number; node: number }>>();
  for (const replica of record.final) {
    for (let account = replica.firstAccount; account <= replica.lastAccount; account++) {
      const value = replica.modified[String(account)] ?? record.initialBalance;
      const byValue = votes.get(account) ?? new Map<number, { count: number; node: number }>();
      votes.set(account, byValue);
      const vote = byValue.get(value) ?? { count: 0, node: replica.node };
      vote.count++;
      vote.node = Math.min(vote.node, replica.node);
      byValue.set(value, vote);
    }
  }
  const balances = new Map<number, number>();
  for (const [account, byValue] of votes) {
    const [best] = [...byValue].sort((a, b) => b[1].count - a[1].count || a[1].node - b[1].node);
    if (best !== undefined) balances.set(account, best[0]);
  }
  return { balances };
}
