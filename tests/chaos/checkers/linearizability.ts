/**
 * A linearizability checker for the bank, in the style of Wing & Gong with Lowe's optimisation
 * as Porcupine does it: the operations' call and return entries, sorted by time, in a doubly
 * linked list; a depth-first search that linearizes a call whose model step fits (lifting its two
 * entries out of the list), backtracks when it reaches the return of an operation it has not
 * linearized (putting them back), and a memo of (set of linearized operations, model state) it
 * has already explored, so no state is searched twice.
 *
 * The model is one group of accounts (RunRecord.groups: transfers stay inside a group), each
 * starting at the initial balance:
 * - a transfer moves the money if `from` holds at least `amount` (output committed), else
 *   changes nothing (output insufficient-funds). A committed answer must linearize where the
 *   money was there, an insufficient-funds answer where it was not; an aborted one had no effect
 *   and observed nothing (dropped); an unknown one returns at +infinity, so it may linearize
 *   anywhere after its invoke with whatever the model gives, or after the final state, which
 *   means it did not happen.
 * - a read must answer the model's balance. Its interval is what its level promises:
 *   `linearizable` [invoke, return]; `leader` may be stale by up to leaderReadWindowMs,
 *   [invoke - leaderReadWindowMs, return]; `any` may answer any prefix, [start, return]. A read
 *   that got no balance is dropped.
 * - the final state (the replicas' balances) is one operation after every return and before the
 *   +infinity of the unknowns: every account of the group must equal it.
 * The search has a step budget: a group that exceeds it is undecided, which is not a pass.
 */
import type { RunRecord } from '../history.js';
import { finalBalancesOf } from './final-balances.js';
import { describeOp, type Operation } from './operations.js';

export interface LinearizabilityOptions {
  /** Steps of the search per group (a step: one entry visited); beyond it the group is undecided. */
  stepsBudget?: number;
}

export const defaultStepsBudget = 2_000_000;

export interface GroupVerdict {
  group: number;
  accounts: number[];
  verdict: 'pass' | 'fail' | 'undecided';
  /** Why it failed or was undecided (empty on a pass). */
  explanation: string;
  operations: number;
  unknowns: number;
  statesExplored: number;
  steps: number;
}

export interface LinearizabilityResult {
  groups: GroupVerdict[];
  /** Operations no group can judge (a transfer across groups, an account in no group, no final balance). */
  violations: string[];
}

/** One operation as the model sees it; balances are indexed by the account's place in the group. */
type ModelOp =
  | { kind: 'transfer'; from: number; to: number; amount: number; answer: 'committed' | 'insufficient' | 'unknown' }
  | { kind: 'read'; at: number; balance: number }
  | { kind: 'final'; balances: number[] };

interface CheckedOp {
  model: ModelOp;
  callMs: number;
  returnMs: number;
  describe: string;
}

/** The model's step: the state after `op`, or undefined when the op's answer does not fit `state`. */
function step(state: readonly number[], op: ModelOp): number[] | undefined {
  switch (op.kind) {
    case 'transfer': {
      const enough = (state[op.from] as number) >= op.amount;
      if (op.answer === 'insufficient') return enough ? undefined : (state as number[]);
      if (!enough) return op.answer === 'unknown' ? (state as number[]) : undefined;
      const next = [...state];
      next[op.from] = (next[op.from] as number) - op.amount;
      next[op.to] = (next[op.to] as number) + op.amount;
      return next;
    }
    case 'read':
      return state[op.at] === op.balance ? (state as number[]) : undefined;
    case 'final':
      return op.balances.every((b, i) => state[i] === b) ? (state as number[]) : undefined;
  }
}

interface Entry {
  op: number;
  time: number;
  /** A call's return entry; null on a return entry. */
  match: Entry | null;
  prev: Entry | null;
  next: Entry | null;
}

function lift(call: Entry): void {
  const ret = call.match as Entry;
  (call.prev as Entry).next = call.next;
  if (call.next !== null) call.next.prev = call.prev;
  (ret.prev as Entry).next = ret.next;
  if (ret.next !== null) ret.next.prev = ret.prev;
}

function unlift(call: Entry): void {
  const ret = call.match as Entry;
  (ret.prev as Entry).next = ret;
  if (ret.next !== null) ret.next.prev = ret;
  (call.prev as Entry).next = call;
  if (call.next !== null) call.next.prev = call;
}

function hashOf(bits: Uint32Array, state: readonly number[]): number {
  let h = 2166136261;
  for (const w of bits) h = Math.imul(h ^ w, 16777619);
  for (const b of state) h = Math.imul(h ^ (b | 0), 16777619);
  return h >>> 0;
}

function sameBits(a: Uint32Array, b: Uint32Array): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

interface SearchResult {
  verdict: 'pass' | 'fail' | 'undecided';
  statesExplored: number;
  steps: number;
  /** The deepest point the search got stuck at. */
  deepest?: { linearized: number[]; blocking: number; state: number[] };
}

/** Wing & Gong / Lowe over `ops` from `initial`. */
function search(ops: readonly CheckedOp[], initial: number[], stepsBudget: number): SearchResult {
  const entries: Entry[] = [];
  ops.forEach((op, i) => {
    const ret: Entry = { op: i, time: op.returnMs, match: null, prev: null, next: null };
    entries.push({ op: i, time: op.callMs, match: ret, prev: null, next: null }, ret);
  });
  // By time; at equal times calls first, so touching intervals count as concurrent.
  entries.sort((a, b) => a.time - b.time || (a.match === null ? 1 : 0) - (b.match === null ? 1 : 0));
  const head: Entry = { op: -1, time: Number.NEGATIVE_INFINITY, match: null, prev: null, next: null };
  let last = head;
  for (const e of entries) {
    last.next = e;
    e.prev = last;
    last = e;
  }
  const bits = new Uint32Array(Math.ceil(ops.length / 32));
  const cache = new Map<number, Array<{ bits: Uint32Array; state: number[] }>>();
  let statesExplored = 0;
  const calls: Array<{ entry: Entry; state: number[] }> = [];
  let state = initial;
  let entry = head.next;
  let steps = 0;
  let deepest: SearchResult['deepest'];
  while (head.next !== null) {
    if (++steps > stepsBudget) return { verdict: 'undecided', statesExplored, steps, deepest };
    const current = entry as Entry;
    if (current.match !== null) {
      const next = step(state, (ops[current.op] as CheckedOp).model);
      if (next !== undefined) {
        bits[current.op >>> 5] = (bits[current.op >>> 5] as number) | (1 << (current.op & 31));
        const h = hashOf(bits, next);
        const seen = cache.get(h) ?? [];
        if (!seen.some((s) => sameBits(s.bits, bits) && s.state.every((b, i) => b === next[i]))) {
          seen.push({ bits: bits.slice(), state: next });
          cache.set(h, seen);
          statesExplored++;
          calls.push({ entry: current, state });
          state = next;
          lift(current);
          entry = head.next;
          continue;
        }
        bits[current.op >>> 5] = (bits[current.op >>> 5] as number) & ~(1 << (current.op & 31));
      }
      entry = current.next;
      continue;
    }
    // The return of an operation not linearized yet: this order cannot go on.
    if (deepest === undefined || calls.length > deepest.linearized.length)
      deepest = { linearized: calls.map((c) => c.entry.op), blocking: current.op, state };
    const top = calls.pop();
    if (top === undefined) return { verdict: 'fail', statesExplored, steps, deepest };
    state = top.state;
    bits[top.entry.op >>> 5] = (bits[top.entry.op >>> 5] as number) & ~(1 << (top.entry.op & 31));
    unlift(top.entry);
    entry = top.entry.next;
  }
  return { verdict: 'pass', statesExplored, steps };
}

function balancesText(accounts: readonly number[], state: readonly number[]): string {
  return accounts.map((a, i) => `${a}=${state[i]}`).join(' ');
}

function explain(result: SearchResult, ops: readonly CheckedOp[], accounts: readonly number[]): string {
  const deepest = result.deepest;
  if (result.verdict === 'undecided')
    return `search budget exceeded after ${result.steps} steps (${result.statesExplored} states); longest prefix ${deepest?.linearized.length ?? 0}`;
  if (deepest === undefined) return 'no operation could be placed';
  const tail = deepest.linearized.slice(-3).map((i) => (ops[i] as CheckedOp).describe);
  return (
    `longest linearizable prefix: ${deepest.linearized.length} of ${ops.length} operations` +
    (tail.length > 0 ? ` (ending ${tail.join('; ')})` : '') +
    `; then ${(ops[deepest.blocking] as CheckedOp).describe} could not be placed; model state then: ${balancesText(accounts, deepest.state)}`
  );
}

function interval(o: Operation): string {
  return `[${o.invokeMs}, ${Number.isFinite(o.returnMs) ? o.returnMs : 'inf'}]`;
}

export function checkLinearizability(
  record: Pick<RunRecord, 'groups' | 'initialBalance' | 'leaderReadWindowMs' | 'final'>,
  operations: readonly Operation[],
  options: LinearizabilityOptions = {},
): LinearizabilityResult {
  const stepsBudget = options.stepsBudget ?? defaultStepsBudget;
  const violations: string[] = [];
  const groupOf = new Map<number, number>();
  record.groups.forEach((accounts, g) => accounts.forEach((a) => groupOf.set(a, g)));
  const perGroup: CheckedOp[][] = record.groups.map(() => []);
  const unknowns: number[] = record.groups.map(() => 0);
  for (const o of operations) {
    const who = `client ${o.clientId} seq ${o.seq} (${describeOp(o.op)})`;
    if (o.op.kind === 'transfer') {
      const g = groupOf.get(o.op.from);
      if (g === undefined || groupOf.get(o.op.to) !== g) {
        violations.push(`${who}: its accounts are not inside one group`);
        continue;
      }
      const accounts = record.groups[g] as number[];
      const answer =
        o.outcome === 'unknown'
          ? 'unknown'
          : o.result?.kind === 'committed'
            ? 'committed'
            : o.result?.kind === 'insufficient-funds'
              ? 'insufficient'
              : undefined;
      if (answer === undefined) continue; // aborted: no effect, no observation
      if (answer === 'unknown') unknowns[g] = (unknowns[g] as number) + 1;
      (perGroup[g] as CheckedOp[]).push({
        model: {
          kind: 'transfer',
          from: accounts.indexOf(o.op.from),
          to: accounts.indexOf(o.op.to),
          amount: o.op.amount,
          answer,
        },
        callMs: o.invokeMs,
        returnMs: o.returnMs,
        describe: `${who} ${answer} ${interval(o)}`,
      });
      continue;
    }
    if (o.outcome !== 'ok' || o.result?.kind !== 'balance') continue; // no balance: observes nothing
    const g = groupOf.get(o.op.account);
    if (g === undefined) {
      violations.push(`${who}: its account is in no group`);
      continue;
    }
    const callMs =
      o.op.consistency === 'linearizable'
        ? o.invokeMs
        : o.op.consistency === 'leader'
          ? o.invokeMs - record.leaderReadWindowMs
          : Number.NEGATIVE_INFINITY;
    (perGroup[g] as CheckedOp[]).push({
      model: { kind: 'read', at: (record.groups[g] as number[]).indexOf(o.op.account), balance: o.result.balance },
      callMs,
      returnMs: o.returnMs,
      describe: `${who} = ${o.result.balance} ${interval(o)}`,
    });
  }
  const finals = finalBalancesOf(record).balances;
  const groups: GroupVerdict[] = [];
  record.groups.forEach((accounts, g) => {
    const ops = perGroup[g] as CheckedOp[];
    const missing = accounts.filter((a) => !finals.has(a));
    if (missing.length > 0) violations.push(`group ${g}: no replica holds account ${missing.join(', ')}`);
    const final = accounts.map((a) => finals.get(a) ?? record.initialBalance);
    // After every invoke and finite return (the replicas were read after quiescence), before the
    // +infinity of the unknowns.
    const times = ops.flatMap((o) => [o.callMs, o.returnMs]).filter((t) => Number.isFinite(t));
    const endMs = times.reduce((m, t) => Math.max(m, t), 0) + 1;
    ops.push({
      model: { kind: 'final', balances: final },
      callMs: endMs,
      returnMs: endMs,
      describe: `the final state ${balancesText(accounts, final)}`,
    });
    const result = search(
      ops,
      accounts.map(() => record.initialBalance),
      stepsBudget,
    );
    groups.push({
      group: g,
      accounts,
      verdict: result.verdict,
      explanation: result.verdict === 'pass' ? '' : explain(result, ops, accounts),
      operations: ops.length - 1,
      unknowns: unknowns[g] as number,
      statesExplored: result.statesExplored,
      steps: result.steps,
    });
  });
  return { groups, violations };
}
