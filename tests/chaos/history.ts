/**
 * The record a chaos run leaves behind, and the only thing the checkers read (with the replicas'
 * final state). It is plain data: the checkers in tests/chaos/checkers import this file and
 * nothing from src/, so they share neither code nor assumptions with the system they judge.
 *
 * Each recording client (a "process", as Jepsen calls it) runs one operation at a time and
 * writes an `invoke` event before each attempt, then one completion event:
 * - `ok`: the operation took effect (a transfer answered committed, a read answered a balance);
 * - `fail`: it certainly did not take effect (insufficient funds, aborted, refused, not sent);
 * - `unknown`: no definite answer (a timeout, or "the ledger no longer knows"); it may or may
 *   not have happened, now or later.
 * A client that got `unknown` may invoke the same (clientId, seq) again later (a retry across a
 * leader change): the second invoke carries the same clientId, seq and op. All attempts of one
 * (clientId, seq) are one logical operation, and its definite answers must all agree.
 */

export type ReadConsistency = 'linearizable' | 'leader' | 'any';

export type HistoryOp =
  | { kind: 'transfer'; from: number; to: number; amount: number }
  | { kind: 'read'; account: number; consistency: ReadConsistency };

/** What a completion says. */
export type HistoryResult =
  /** A transfer that took effect. */
  | { kind: 'committed' }
  /** A transfer refused because `from` held less than `amount` (an observation of the balance). */
  | { kind: 'insufficient-funds' }
  /** A transfer refused for another reason (locked, participant aborted, not sent...): no effect,
   *  and no observation. */
  | { kind: 'aborted'; reason: string }
  /** A read's answer. */
  | { kind: 'balance'; balance: number }
  /** A read that got no balance (no effect: reads change nothing). */
  | { kind: 'read-failed'; reason: string };

export interface InvokeEvent {
  type: 'invoke';
  /** The recording client (0..clients-1); one operation at a time each. */
  process: number;
  clientId: string;
  seq: number;
  /** Monotonic milliseconds (performance.now() of the harness process). */
  timeMs: number;
  op: HistoryOp;
}

export interface CompletionEvent {
  type: 'ok' | 'fail' | 'unknown';
  process: number;
  clientId: string;
  seq: number;
  timeMs: number;
  /** Absent for `unknown`. */
  result?: HistoryResult;
  /** Why the answer is unknown, or details of a failure, for the report. */
  reason?: string;
  /** The node that answered, when one did. */
  servedBy?: number;
}

export type HistoryEvent = InvokeEvent | CompletionEvent;

/** A fault the nemesis injected: [startMs, healedMs] in the same monotonic clock. */
export interface FaultRecord {
  kind: string;
  /** Which nodes it hit (empty for the broker). */
  nodes: number[];
  startMs: number;
  /** When the fault was healed (the process restarted, SIGCONT sent, heal sent...). */
  healedMs: number;
  /** SIGSTOP: the node's timers stood still, and with them the clock it measures its leadership
   *  by, so after SIGCONT it may serve `leader` reads as of when it was stopped. */
  freezesClock?: boolean;
}

/** One replica's view of the accounts it holds at the end, after heal and quiescence. */
export interface FinalReplica {
  node: number;
  cluster: number;
  /** The accounts this replica holds: first..last, inclusive. */
  firstAccount: number;
  lastAccount: number;
  /** Balances that differ from the initial one; every other held account has it. */
  modified: Record<string, number>;
  /** Its state hash at `appliedIndex`, compared across the cluster's replicas. */
  stateHash: number;
  appliedIndex: number;
}

/** An audit (`ledger check consistency`, money counted while clients ran). */
export interface AuditRecord {
  timeMs: number;
  ok: boolean;
  expectedMoney: number;
  actualMoney: number;
  /** The lowest balance any replica reported at that audit (`ledger db`). */
  lowestBalance: number;
  problems: string[];
}

/** Everything a run hands the checkers. */
export interface RunRecord {
  seed: number;
  accounts: number;
  initialBalance: number;
  /** The account groups transfers stay within (the linearizability checker's unit). */
  groups: number[][];
  /**
   * How much older than its invocation a `leader` read may be: the staleness window the help
   * promises (2 x election timeout + heartbeat, of the node's own clock), plus scheduling slack
   * (timers run late on a loaded machine). A read served by a node soon after a fault that froze
   * its clock may go back to when it was frozen, less this window (`freezesClock`).
   */
  leaderReadWindowMs: number;
  events: HistoryEvent[];
  faults: FaultRecord[];
  audits: AuditRecord[];
  final: FinalReplica[];
  /** When the last fault was healed, and when load stopped. */
  lastHealMs: number;
  loadEndMs: number;
}
