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

export const defaultStepsBudget = 10_000_000;

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

function remove(e: Entry): void {
  (e.prev as Entry).next = e.next;
  if (e.next !== null) e.next.prev = e.prev;
}

/** Undoes remove(e); entries are restored in the reverse order of their removal. */
function restore(e: Entry): void {
  (e.prev as Entry).next = e;
  if (e.next !== null) e.next.prev = e;
}

/** An operation that changes no state whatever its place: a read, a refusal, the final state. */
function observes(op: ModelOp): boolean {
  return op.kind !== 'transfer' || op.answer === 'insufficient';
}

/** A well-mixed 32-bit key per operation and seed (the murmur3 finalizer). */
function keyOf(op: number, seed: number): number {
  let h = Math.imul(op + 1, 0x9e3779b1) ^ seed;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

function stateHashOf(state: readonly number[], seed: number): number {
  let h = 2166136261 ^ seed;
  for (const b of state) h = Math.imul(h ^ (b | 0), 16777619);
  h = Math.imul(h ^ (h >>> 15), 0x2c1b3c6d);
  return (h ^ (h >>> 13)) >>> 0;
}

/**
 * The memo of explored (linearized set, state) pairs, by an 85-bit fingerprint (53 bits of key,
 * 32 of check) rather than the set itself: a set is a bit per operation, too big to keep for
 * each of a million states. Two pairs with one fingerprint (about 1e-13 per lookup at a million
 * states) would only prune a branch not explored: it could cost a pass, never grant one.
 */
class Explored {
  private readonly seen = new Map<number, number | number[]>();
  size = 0;

  /** Adds the pair; false when it was there. */
  add(key53: number, check: number): boolean {
    const known = this.seen.get(key53);
    if (known === undefined) this.seen.set(key53, check);
    else if (known === check || (Array.isArray(known) && known.includes(check))) return false;
    else this.seen.set(key53, Array.isArray(known) ? [...known, check] : [known, check]);
    this.size++;
    return true;
  }
}

interface SearchResult {
  verdict: 'pass' | 'fail' | 'undecided';
  statesExplored: number;
  steps: number;
  /** The most operations linearized at once. */
  longest: number;
  /** The deepest point the search got stuck at: how many were placed, the last of them. */
  deepest?: { count: number; tail: number[]; blocking: number; state: number[] };
}

/**
 * The reads of one account, sorted by call time, each placed (linearized) or not; every read
 * before `cursor` is placed. A read is never scanned: it is placed as soon as it can be (see
 * search), found here by its account and the balance it answered.
 */
interface ReadBucket {
  reads: number[];
  cursor: number;
}

/**
 * Wing & Gong / Lowe over `ops` from `initial`. One refinement keeps wide read intervals cheap
 * (an `any` read is open from the start of the history): a read, which changes no state, is
 * placed as soon as its call is reachable (no operation it must follow is left) and the state
 * shows its answer; placing it then loses nothing, since every order of the others stays open,
 * so reads are never choices to backtrack over. They wait in buckets by (account, answer),
 * not in the list: only their return entries are there, blocking as any return does.
 */
function search(ops: readonly CheckedOp[], initial: number[], stepsBudget: number): SearchResult {
  const entries: Entry[] = [];
  const returnOf: Entry[] = [];
  const buckets = new Map<string, ReadBucket>();
  const bucketOf: Array<{ bucket: ReadBucket; at: number } | undefined> = [];
  ops.forEach((op, i) => {
    const ret: Entry = { op: i, time: op.returnMs, match: null, prev: null, next: null };
    returnOf[i] = ret;
    entries.push(ret);
    if (op.model.kind !== 'read') entries.push({ op: i, time: op.callMs, match: ret, prev: null, next: null });
  });
  // By time; at equal times calls first, so touching intervals count as concurrent.
  entries.sort((a, b) => a.time - b.time || (a.match === null ? 1 : 0) - (b.match === null ? 1 : 0));
  const readOrder = ops.map((_, i) => i).filter((i) => (ops[i] as CheckedOp).model.kind === 'read');
  readOrder.sort((a, b) => (ops[a] as CheckedOp).callMs - (ops[b] as CheckedOp).callMs);
  for (const i of readOrder) {
    const model = (ops[i] as CheckedOp).model as Extract<ModelOp, { kind: 'read' }>;
    const key = `${model.at}:${model.balance}`;
    const bucket = buckets.get(key) ?? { reads: [], cursor: 0 };
    buckets.set(key, bucket);
    bucketOf[i] = { bucket, at: bucket.reads.length };
    bucket.reads.push(i);
  }
  const head: Entry = { op: -1, time: Number.NEGATIVE_INFINITY, match: null, prev: null, next: null };
  let last = head;
  for (const e of entries) {
    last.next = e;
    e.prev = last;
    last = e;
  }
  const placed = new Uint8Array(ops.length);
  /** The linearized set's hashes (three), kept as it changes (Zobrist: the xor of each member's key). */
  const setHash = [0, 0, 0];
  const flip = (op: number) => {
    for (let k = 0; k < 3; k++) setHash[k] = ((setHash[k] as number) ^ keyOf(op, k)) >>> 0;
  };
  const explored = new Explored();
  let steps = 0;
  let state = initial;

  /** Places every read reachable now whose answer the state shows, until none is left; returns them. */
  const placeReads = (): number[] => {
    const done: number[] = [];
    for (;;) {
      let first = head.next;
      while (first !== null && first.match !== null) first = first.next;
      const frontierMs = first === null ? Number.POSITIVE_INFINITY : first.time;
      const before = done.length;
      state.forEach((balance, at) => {
        const bucket = buckets.get(`${at}:${balance}`);
        if (bucket === undefined) return;
        for (let k = bucket.cursor; k < bucket.reads.length; k++) {
          const r = bucket.reads[k] as number;
          if ((ops[r] as CheckedOp).callMs > frontierMs) break;
          if (placed[r] === 1) continue;
          placed[r] = 1;
          flip(r);
          remove(returnOf[r] as Entry);
          done.push(r);
          steps++;
        }
        while (bucket.cursor < bucket.reads.length && placed[bucket.reads[bucket.cursor] as number] === 1)
          bucket.cursor++;
      });
      if (done.length === before) return done;
    }
  };
  const unplaceReads = (reads: readonly number[]) => {
    for (let k = reads.length - 1; k >= 0; k--) {
      const r = reads[k] as number;
      placed[r] = 0;
      flip(r);
      restore(returnOf[r] as Entry);
      const where = bucketOf[r] as { bucket: ReadBucket; at: number };
      where.bucket.cursor = Math.min(where.bucket.cursor, where.at);
    }
  };

  /** Each choice: an operation placed from the list, the state before it, the reads it let in. */
  const frames: Array<{ entry: Entry; state: number[]; reads: number[] }> = [];
  const rootReads = placeReads();
  /** How many operations are placed now. */
  let linearized = rootReads.length;
  /** The most ever placed at once. */
  let longest = linearized;
  let entry = head.next;
  let deepest: SearchResult['deepest'];
  /** Undoes the last choice; false when there is none left. */
  const backtrack = (): boolean => {
    for (;;) {
      const top = frames.pop();
      if (top === undefined) return false;
      linearized -= 1 + top.reads.length;
      unplaceReads(top.reads);
      restore(top.entry.match as Entry);
      restore(top.entry);
      flip(top.entry.op);
      state = top.state;
      entry = top.entry.next;
      // An observer placed as soon as it fits loses nothing (as a read), so when it failed
      // there, placing it later fails too: undo the choice before it as well.
      if (!observes((ops[top.entry.op] as CheckedOp).model)) return true;
    }
  };
  while (head.next !== null) {
    if (++steps > stepsBudget) return { verdict: 'undecided', statesExplored: explored.size, steps, longest, deepest };
    const current = entry as Entry;
    if (current.match !== null) {
      const model = (ops[current.op] as CheckedOp).model;
      const next = step(state, model);
      if (next !== undefined) {
        const before = state;
        flip(current.op);
        remove(current);
        remove(current.match);
        state = next;
        const reads = placeReads();
        const high = ((setHash[0] as number) ^ stateHashOf(next, 0)) & 0x1fffff;
        const key53 = high * 2 ** 32 + (((setHash[1] as number) ^ stateHashOf(next, 1)) >>> 0);
        if (explored.add(key53, ((setHash[2] as number) ^ stateHashOf(next, 2)) >>> 0)) {
          frames.push({ entry: current, state: before, reads });
          linearized += 1 + reads.length;
          longest = Math.max(longest, linearized);
          entry = head.next;
          continue;
        }
        // Explored already, and it failed.
        unplaceReads(reads);
        restore(current.match);
        restore(current);
        flip(current.op);
        state = before;
        // For an observer, failing here means failing later too (see backtrack).
        if (observes(model)) {
          if (!backtrack()) return { verdict: 'fail', statesExplored: explored.size, steps, longest, deepest };
          continue;
        }
      }
      entry = current.next;
      continue;
    }
    // The return of an operation not linearized yet: this order cannot go on.
    if (deepest === undefined || linearized > deepest.count)
      deepest = { count: linearized, tail: lastPlaced(frames, rootReads, 3), blocking: current.op, state };
    if (!backtrack()) return { verdict: 'fail', statesExplored: explored.size, steps, longest, deepest };
  }
  return { verdict: 'pass', statesExplored: explored.size, steps, longest };
}

/** The last `n` operations placed, in their order. */
function lastPlaced(
  frames: ReadonlyArray<{ entry: Entry; reads: number[] }>,
  rootReads: number[],
  n: number,
): number[] {
  const tail: number[] = [];
  for (let k = frames.length - 1; k >= 0 && tail.length < n; k--) {
    const frame = frames[k] as { entry: Entry; reads: number[] };
    tail.unshift(frame.entry.op, ...frame.reads);
  }
  return [...rootReads.slice(-n), ...tail].slice(-n);
}

function balancesText(accounts: readonly number[], state: readonly number[]): string {
  return accounts.map((a, i) => `${a}=${state[i]}`).join(' ');
}

function explain(result: SearchResult, ops: readonly CheckedOp[], accounts: readonly number[]): string {
  const deepest = result.deepest;
  if (result.verdict === 'undecided')
    return `search budget exceeded after ${result.steps} steps (${result.statesExplored} states); longest prefix ${result.longest} of ${ops.length} operations`;
  if (deepest === undefined) return 'no operation could be placed';
  const tail = deepest.tail.map((i) => (ops[i] as CheckedOp).describe);
  return (
    `longest linearizable prefix: ${deepest.count} of ${ops.length} operations` +
    (tail.length > 0 ? ` (ending ${tail.join('; ')})` : '') +
    `; then ${(ops[deepest.blocking] as CheckedOp).describe} could not be placed; model state then: ${balancesText(accounts, deepest.state)}`
  );
}

function interval(o: Operation): string {
  return `[${o.invokeMs}, ${Number.isFinite(o.returnMs) ? o.returnMs : 'inf'}]`;
}

/**
 * How far back a `leader` read may go: leaderReadWindowMs before its invocation, or, when the
 * node that served it had its clock frozen (SIGSTOP) and the read came while it was frozen or
 * within the window after, that window before the moment it was frozen: its own clock did not
 * see the time in between.
 */
function leaderReadStart(o: Operation, record: Pick<RunRecord, 'leaderReadWindowMs' | 'faults'>): number {
  const w = record.leaderReadWindowMs;
  const servedBy = o.completions.find((c) => c.type === 'ok')?.servedBy;
  let start = o.invokeMs - w;
  for (const f of record.faults)
    if (f.freezesClock === true && servedBy !== undefined && f.nodes.includes(servedBy))
      if (o.invokeMs >= f.startMs && o.invokeMs <= f.healedMs + w) start = Math.min(start, f.startMs - w);
  return start;
}

export function checkLinearizability(
  record: Pick<RunRecord, 'groups' | 'initialBalance' | 'leaderReadWindowMs' | 'final'> &
    Partial<Pick<RunRecord, 'faults'>>,
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
          ? leaderReadStart(o, { leaderReadWindowMs: record.leaderReadWindowMs, faults: record.faults ?? [] })
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
