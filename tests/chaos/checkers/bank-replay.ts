/**
 * The independent per-account replay ("no acknowledged write lost, none doubled"): for every
 * account, the initial balance plus the credits minus the debits of the committed transfers,
 * plus those of some subset of the unknown transfers (each may or may not have happened), must
 * equal its final balance. Accounts are judged together with every account a transfer links
 * them to (a group, when transfers stay inside groups), because one unknown transfer moves two.
 *
 * The subset is found by listing the sums the unknowns can reach (a set of difference vectors,
 * pruned by what the remaining unknowns can still add), with a cap on the set; past it, by a
 * depth-first search for one subset with a budget of ten times the cap: past that the group is
 * undecided, which is not a pass. When no subset exists the report names a
 * committed transfer whose single loss or doubling explains the difference, if one does, and
 * otherwise each account's unexplained difference.
 */
import type { RunRecord } from '../history.js';
import { finalBalancesOf } from './final-balances.js';
import { describeOp, type Operation } from './operations.js';

export interface BankReplayOptions {
  /** The most difference vectors the subset search keeps per group. */
  sumsCap?: number;
}

export const defaultSumsCap = 200_000;

export interface BankReplayResult {
  groups: number;
  /** Groups whose final balances a subset of their unknown transfers explains. */
  explained: number;
  undecided: number;
  violations: string[];
}

type Accounts = Pick<RunRecord, 'groups' | 'initialBalance' | 'final'>;

/** Union-find over account numbers. */
function componentsOf(groups: readonly number[][], links: ReadonlyArray<[number, number]>): number[][] {
  const parent = new Map<number, number>();
  const find = (a: number): number => {
    let root = a;
    while (parent.has(root) && parent.get(root) !== root) root = parent.get(root) as number;
    parent.set(a, root);
    return root;
  };
  const join = (a: number, b: number) => {
    if (!parent.has(a)) parent.set(a, a);
    if (!parent.has(b)) parent.set(b, b);
    parent.set(find(a), find(b));
  };
  for (const group of groups) for (const a of group) join(a, group[0] as number);
  for (const [a, b] of links) join(a, b);
  const byRoot = new Map<number, number[]>();
  for (const a of [...parent.keys()].sort((x, y) => x - y)) {
    const root = find(a);
    byRoot.set(root, [...(byRoot.get(root) ?? []), a]);
  }
  return [...byRoot.values()];
}

/**
 * Every sum of a subset of `effects` (vectors of one length), as keys; with `target`, only the
 * partial sums from which the remaining effects can still reach it. Undefined past `cap`.
 */
function subsetSums(
  effects: readonly number[][],
  width: number,
  cap: number,
  target?: number[],
): Set<string> | undefined {
  const { low, high } = suffixBounds(effects, width);
  const fits = (sum: number[], i: number) =>
    target === undefined ||
    sum.every(
      (s, k) =>
        (target[k] as number) - s >= (low[i] as number[])[k]! && (target[k] as number) - s <= (high[i] as number[])[k]!,
    );
  let sums = new Map<string, number[]>([
    [new Array<number>(width).fill(0).join(','), new Array<number>(width).fill(0)],
  ]);
  for (let i = 0; i < effects.length; i++) {
    const e = effects[i] as number[];
    const next = new Map<string, number[]>();
    for (const sum of sums.values()) {
      for (const candidate of [sum, sum.map((s, k) => s + (e[k] as number))]) {
        if (!fits(candidate, i + 1)) continue;
        next.set(candidate.join(','), candidate);
        if (next.size > cap) return undefined;
      }
    }
    sums = next;
  }
  return new Set(sums.keys());
}

/**
 * A subset of `effects` summing to `target`, by a depth-first search over include/exclude with
 * the same bounds, and a memo of the (index, partial sum) already found hopeless. When the
 * unknowns are many, sums are too many to list but subsets reaching a given one are plentiful,
 * so a search finds one fast. 'found', 'none' (the whole space searched), or 'undecided' past
 * `budget` nodes.
 */
function searchSubset(
  unordered: readonly number[][],
  target: number[],
  budget: number,
): 'found' | 'none' | 'undecided' {
  // The largest first: the bounds then cut early.
  const size = (e: readonly number[]) => e.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
  const effects = [...unordered].sort((a, b) => size(b) - size(a));
  const width = target.length;
  const { low, high } = suffixBounds(effects, width);
  const hopeless = new Set<string>();
  let nodes = 0;
  const visit = (i: number, rest: number[]): 'found' | 'none' | 'undecided' => {
    if (++nodes > budget) return 'undecided';
    if (rest.some((r, k) => r < (low[i] as number[])[k]! || r > (high[i] as number[])[k]!)) return 'none';
    if (i === effects.length) return 'found';
    const key = `${i}|${rest.join(',')}`;
    if (hopeless.has(key)) return 'none';
    const e = effects[i] as number[];
    for (const next of [rest.map((r, k) => r - (e[k] as number)), rest]) {
      const result = visit(i + 1, next);
      if (result !== 'none') return result;
    }
    if (hopeless.size < budget) hopeless.add(key);
    return 'none';
  };
  return visit(0, target);
}

/** What the effects from i on can still add, per account: low[i] the lowest, high[i] the highest. */
function suffixBounds(effects: readonly number[][], width: number): { low: number[][]; high: number[][] } {
  const low: number[][] = [];
  const high: number[][] = [];
  low[effects.length] = new Array<number>(width).fill(0);
  high[effects.length] = new Array<number>(width).fill(0);
  for (let i = effects.length - 1; i >= 0; i--) {
    const e = effects[i] as number[];
    low[i] = (low[i + 1] as number[]).map((v, k) => v + Math.min(0, e[k] as number));
    high[i] = (high[i + 1] as number[]).map((v, k) => v + Math.max(0, e[k] as number));
  }
  return { low, high };
}

export function checkBankReplay(
  record: Accounts,
  operations: readonly Operation[],
  options: BankReplayOptions = {},
): BankReplayResult {
  const cap = options.sumsCap ?? defaultSumsCap;
  const violations: string[] = [];
  const transfers = operations.flatMap((o) =>
    o.op.kind === 'transfer' && (o.outcome === 'unknown' || o.result?.kind === 'committed')
      ? [{ o, from: o.op.from, to: o.op.to, amount: o.op.amount, committed: o.outcome !== 'unknown' }]
      : [],
  );
  const finals = finalBalancesOf(record).balances;
  const components = componentsOf(
    [...record.groups, ...[...finals.keys()].map((a) => [a])],
    transfers.map((t) => [t.from, t.to]),
  );
  let explained = 0;
  let undecided = 0;
  for (const accounts of components) {
    const place = new Map(accounts.map((a, i) => [a, i]));
    const inside = transfers.filter((t) => place.has(t.from));
    const effectOf = (t: (typeof inside)[number]) => {
      const e = new Array<number>(accounts.length).fill(0);
      e[place.get(t.from) as number]! -= t.amount;
      e[place.get(t.to) as number]! += t.amount;
      return e;
    };
    const base = accounts.map(() => record.initialBalance);
    for (const t of inside.filter((t) => t.committed)) effectOf(t).forEach((d, k) => (base[k]! += d));
    const missing = accounts.filter((a) => !finals.has(a));
    if (missing.length > 0) {
      violations.push(`account ${missing.join(', ')}: no replica holds it, so its final balance is unknown`);
      continue;
    }
    const difference = accounts.map((a, k) => (finals.get(a) as number) - (base[k] as number));
    const unknownTransfers = inside.filter((t) => !t.committed);
    // Only the accounts some unknown transfer touches can differ.
    const active = accounts.map((_, k) => k).filter((k) => unknownTransfers.some((t) => effectOf(t)[k] !== 0));
    const effects = unknownTransfers.map((t) => active.map((k) => effectOf(t)[k] as number));
    const explains = (diff: number[], sums: Set<string>) =>
      diff.every((d, k) => d === 0 || active.includes(k)) && sums.has(active.map((k) => diff[k]).join(','));
    // First only the sums that can still reach the difference (cheap); all of them only to
    // name a culprit once none does.
    const target = active.map((k) => difference[k] as number);
    const reaching = subsetSums(effects, active.length, cap, target);
    const untouchedEqual = difference.every((d, k) => d === 0 || active.includes(k));
    if (reaching === undefined) {
      const found = untouchedEqual ? searchSubset(effects, target, cap * 10) : 'none';
      if (found === 'found') explained++;
      if (found === 'undecided') undecided++;
      if (found !== 'none') continue;
    } else if (explains(difference, reaching)) {
      explained++;
      continue;
    }
    const all = subsetSums(effects, active.length, cap);
    const who = `accounts ${accounts[0]}..${accounts[accounts.length - 1]}`;
    // A single committed transfer lost (absent) or doubled (applied twice) that explains it.
    const culprit =
      all === undefined
        ? undefined
        : inside
            .filter((t) => t.committed)
            .flatMap((t) => {
              const e = effectOf(t);
              const label = `client ${t.o.clientId} seq ${t.o.seq} (${describeOp(t.o.op)}, committed at ${t.o.returnMs})`;
              if (
                explains(
                  difference.map((d, k) => d + (e[k] as number)),
                  all,
                )
              )
                return [`lost: ${label} is absent from the final state`];
              if (
                explains(
                  difference.map((d, k) => d - (e[k] as number)),
                  all,
                )
              )
                return [`doubled: ${label} is applied twice in the final state`];
              return [];
            })[0];
    const details = accounts
      .map((a, k) => ({ a, k }))
      .filter(({ k }) => difference[k] !== 0)
      .map(({ a, k }) => `account ${a}: replay ${base[k]}, final ${finals.get(a)} (difference ${difference[k]})`)
      .join('; ');
    violations.push(
      `${who}: ${culprit ?? `unexplained: no subset of the ${unknownTransfers.length} unknown transfers explains it`}; ${details}`,
    );
  }
  return { groups: components.length, explained, undecided, violations };
}
