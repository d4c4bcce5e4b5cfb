/**
 * The logical operations of a history: every attempt of one (clientId, seq) is one operation
 * (a retry carries the same clientId, seq and op). Its interval runs from its first invoke to
 * its first definite completion (`ok` or `fail`); with none it is unknown and returns at
 * +infinity: it may take effect at any time after its invoke, or never.
 *
 * A malformed history is reported, not repaired silently: a completion with no attempt open,
 * a process with two attempts open at once, a second invoke of one (clientId, seq) with a
 * different op, a completion whose result does not fit its type or op.
 */
import type { CompletionEvent, HistoryEvent, HistoryOp, HistoryResult, InvokeEvent } from '../history.js';

export interface Operation {
  clientId: string;
  seq: number;
  /** The process of its first attempt. */
  process: number;
  op: HistoryOp;
  invokeMs: number;
  /** The first definite completion's time; +Infinity when there is none. */
  returnMs: number;
  /** `unknown` when no attempt got a definite answer. */
  outcome: 'ok' | 'fail' | 'unknown';
  /** The first definite answer (absent for unknown). */
  result?: HistoryResult;
  attempts: number;
  /** Every well-formed completion of its attempts, in order (retry-outcomes compares them). */
  completions: CompletionEvent[];
}

export interface Operations {
  operations: Operation[];
  violations: string[];
}

export function operationKey(clientId: string, seq: number): string {
  return `${clientId}#${seq}`;
}

export function describeOp(op: HistoryOp): string {
  return op.kind === 'transfer'
    ? `transfer ${op.from}->${op.to} of ${op.amount}`
    : `read ${op.account} (${op.consistency})`;
}

function sameOp(a: HistoryOp, b: HistoryOp): boolean {
  if (a.kind === 'transfer' && b.kind === 'transfer')
    return a.from === b.from && a.to === b.to && a.amount === b.amount;
  if (a.kind === 'read' && b.kind === 'read') return a.account === b.account && a.consistency === b.consistency;
  return false;
}

/** Why a completion's result does not fit (undefined when it does). */
function misfit(op: HistoryOp, event: CompletionEvent): string | undefined {
  const result = event.result;
  if (event.type === 'unknown') return undefined;
  if (result === undefined) return `an ${event.type} completion without a result`;
  const fits =
    op.kind === 'transfer'
      ? event.type === 'ok'
        ? result.kind === 'committed'
        : result.kind === 'insufficient-funds' || result.kind === 'aborted'
      : event.type === 'ok'
        ? result.kind === 'balance'
        : result.kind === 'read-failed';
  return fits ? undefined : `a ${op.kind} answered ${event.type} ${result.kind}`;
}

export function operationsOf(events: readonly HistoryEvent[]): Operations {
  const violations: string[] = [];
  const byKey = new Map<string, Operation>();
  /** The attempt each process has open. */
  const open = new Map<number, InvokeEvent>();
  // Stable: events of one time stay in recording order.
  const ordered = events.map((e, i) => ({ e, i })).sort((a, b) => a.e.timeMs - b.e.timeMs || a.i - b.i);
  for (const { e } of ordered) {
    const key = operationKey(e.clientId, e.seq);
    const where = `process ${e.process}, client ${e.clientId} seq ${e.seq} at ${e.timeMs}`;
    if (e.type === 'invoke') {
      const already = open.get(e.process);
      if (already !== undefined)
        violations.push(
          `malformed: ${where}: invoked while its attempt of client ${already.clientId} seq ${already.seq} is still open`,
        );
      open.set(e.process, e);
      const known = byKey.get(key);
      if (known === undefined) {
        byKey.set(key, {
          clientId: e.clientId,
          seq: e.seq,
          process: e.process,
          op: e.op,
          invokeMs: e.timeMs,
          returnMs: Number.POSITIVE_INFINITY,
          outcome: 'unknown',
          attempts: 1,
          completions: [],
        });
      } else if (!sameOp(known.op, e.op)) {
        violations.push(`malformed: ${where}: invoked again as ${describeOp(e.op)}, first as ${describeOp(known.op)}`);
      } else {
        known.attempts++;
      }
      continue;
    }
    const attempt = open.get(e.process);
    if (attempt === undefined || attempt.clientId !== e.clientId || attempt.seq !== e.seq) {
      violations.push(`malformed: ${where}: a ${e.type} completion with no attempt of it open on that process`);
      continue;
    }
    open.delete(e.process);
    const operation = byKey.get(key);
    if (operation === undefined || !sameOp(operation.op, attempt.op)) continue; // reported at its invoke
    const bad = misfit(operation.op, e);
    if (bad !== undefined) {
      violations.push(`malformed: ${where}: ${bad}`);
      continue;
    }
    operation.completions.push(e);
    if (operation.outcome === 'unknown' && e.type !== 'unknown') {
      operation.outcome = e.type;
      operation.returnMs = e.timeMs;
      if (e.result !== undefined) operation.result = e.result;
    }
  }
  return { operations: [...byKey.values()], violations };
}
