/**
 * Small histories for the chaos checkers' unit tests, written by hand: one operation per call,
 * a record over one group of accounts with one replica holding them.
 */
import type {
  FinalReplica,
  HistoryEvent,
  HistoryOp,
  HistoryResult,
  ReadConsistency,
  RunRecord,
} from '../chaos/history.js';

export const transfer = (from: number, to: number, amount: number): HistoryOp => ({
  kind: 'transfer',
  from,
  to,
  amount,
});
export const read = (account: number, consistency: ReadConsistency = 'linearizable'): HistoryOp => ({
  kind: 'read',
  account,
  consistency,
});
export const committed: HistoryResult = { kind: 'committed' };
export const insufficient: HistoryResult = { kind: 'insufficient-funds' };
export const aborted: HistoryResult = { kind: 'aborted', reason: 'locked' };
export const readFailed: HistoryResult = { kind: 'read-failed', reason: 'no leader' };
export const balance = (value: number): HistoryResult => ({ kind: 'balance', balance: value });

/** One attempt of (c<process>, seq): its invoke and, unless `type` is null, its completion. */
export function attempt(
  process: number,
  seq: number,
  op: HistoryOp,
  invokeMs: number,
  returnMs: number,
  type: 'ok' | 'fail' | 'unknown' | null,
  result?: HistoryResult,
): HistoryEvent[] {
  const clientId = `c${process}`;
  const events: HistoryEvent[] = [{ type: 'invoke', process, clientId, seq, timeMs: invokeMs, op }];
  if (type !== null)
    events.push({
      type,
      process,
      clientId,
      seq,
      timeMs: returnMs,
      ...(result === undefined ? {} : { result }),
    });
  return events;
}

/** A replica holding `accounts` with these final balances (every other account at `initial`). */
export function replica(
  node: number,
  accounts: number[],
  balances: Record<number, number>,
  initial = 100,
  cluster = 0,
): FinalReplica {
  const modified: Record<string, number> = {};
  for (const [a, b] of Object.entries(balances)) if (b !== initial) modified[a] = b;
  return {
    node,
    cluster,
    firstAccount: Math.min(...accounts),
    lastAccount: Math.max(...accounts),
    modified,
    stateHash: 7,
    appliedIndex: 40,
  };
}

/** A run over one group [1, 2, 3] at 100 each, the final state `finals` held by one replica. */
export function runRecord(
  events: HistoryEvent[],
  finals: Record<number, number> = {},
  more: Partial<RunRecord> = {},
): RunRecord {
  const groups = more.groups ?? [[1, 2, 3]];
  const accounts = groups.flat();
  const endMs = events.reduce((m, e) => Math.max(m, e.timeMs), 0);
  return {
    seed: 1,
    accounts: accounts.length,
    initialBalance: 100,
    groups,
    leaderReadWindowMs: 1000,
    events,
    faults: [],
    audits: [],
    final: [replica(1, accounts, finals)],
    lastHealMs: 0,
    loadEndMs: endMs,
    ...more,
  };
}
