import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { HistoryEvent, HistoryOp, HistoryResult, ReadConsistency, RunRecord } from '../chaos/history.js';
import { checkLinearizability, type LinearizabilityOptions } from '../chaos/checkers/linearizability.js';
import { operationsOf } from '../chaos/checkers/operations.js';
import {
  aborted,
  attempt,
  balance,
  committed,
  insufficient,
  read,
  readFailed,
  runRecord,
  transfer,
} from './chaos-fixtures.js';

function verdicts(record: RunRecord, options: LinearizabilityOptions = {}) {
  const { operations, violations } = operationsOf(record.events);
  assert.deepEqual(violations, [], 'a well-formed history');
  return checkLinearizability(record, operations, options);
}

function verdictOf(events: HistoryEvent[], finals: Record<number, number>, more: Partial<RunRecord> = {}) {
  const result = verdicts(runRecord(events, finals, more));
  assert.deepEqual(result.violations, []);
  assert.equal(result.groups.length, 1);
  return result.groups[0]!;
}

/** Transfer 1->2 of 30 committed over [10, 20]: afterwards 1 holds 70, 2 holds 130. */
const moved = attempt(0, 1, transfer(1, 2, 30), 10, 20, 'ok', committed);
const afterMove = { 1: 70, 2: 130 };

describe('linearizability: known-good histories pass', () => {
  test('a committed transfer, then a linearizable read of its result, then the final state', () => {
    const group = verdictOf([...moved, ...attempt(1, 1, read(1), 30, 40, 'ok', balance(70))], afterMove);
    assert.equal(group.verdict, 'pass', group.explanation);
    assert.deepEqual([group.operations, group.unknowns], [2, 0]);
  });

  test('a linearizable read concurrent with the transfer may see either balance', () => {
    for (const seen of [100, 70]) {
      const group = verdictOf([...moved, ...attempt(1, 1, read(1), 15, 25, 'ok', balance(seen))], afterMove);
      assert.equal(group.verdict, 'pass', `${seen}: ${group.explanation}`);
    }
  });

  test('an aborted transfer and a failed read observe nothing and change nothing', () => {
    const group = verdictOf(
      [
        ...attempt(0, 1, transfer(1, 2, 30), 10, 20, 'fail', aborted),
        ...attempt(1, 1, read(1), 30, 40, 'fail', readFailed),
        ...attempt(2, 1, read(1), 30, 40, 'ok', balance(100)),
      ],
      {},
    );
    assert.equal(group.verdict, 'pass', group.explanation);
  });
});

describe('linearizability: known-bad histories fail', () => {
  test('(a) a linearizable read of the old balance after a later transfer completed is stale', () => {
    const group = verdictOf([...moved, ...attempt(1, 1, read(1), 30, 40, 'ok', balance(100))], afterMove);
    assert.equal(group.verdict, 'fail');
    assert.match(group.explanation, /client c1 seq 1 \(read 1 \(linearizable\)\) = 100 \[30, 40\] could not be placed/);
    assert.match(group.explanation, /model state then: 1=70 2=130 3=100/);
  });

  test('(b) a committed transfer absent from the final state is a lost write', () => {
    const group = verdictOf(moved, {});
    assert.equal(group.verdict, 'fail');
    assert.match(
      group.explanation,
      /the final state 1=100 2=100 3=100 could not be placed; model state then: 1=70 2=130/,
    );
  });

  test('(c) a committed transfer applied twice in the final state is a doubled write', () => {
    const group = verdictOf(moved, { 1: 40, 2: 160 });
    assert.equal(group.verdict, 'fail');
    assert.match(group.explanation, /the final state 1=40 2=160 3=100 could not be placed/);
  });

  test('(f) insufficient funds answered while the model says the money was there', () => {
    const refused = (amount: number) => attempt(0, 1, transfer(1, 2, amount), 10, 20, 'fail', insufficient);
    assert.equal(verdictOf(refused(50), {}).verdict, 'fail');
    assert.equal(verdictOf(refused(150), {}).verdict, 'pass');
    // Refused while a concurrent transfer took the money first: legal.
    const concurrent = verdictOf(
      [
        ...attempt(0, 1, transfer(1, 3, 90), 10, 30, 'ok', committed),
        ...attempt(1, 1, transfer(1, 2, 50), 15, 25, 'fail', insufficient),
      ],
      { 1: 10, 3: 190 },
    );
    assert.equal(concurrent.verdict, 'pass', concurrent.explanation);
    // Committed although the money was no longer there: fails whatever the final state says.
    const overdrawn = [
      ...attempt(0, 1, transfer(1, 3, 90), 10, 20, 'ok', committed),
      ...attempt(1, 1, transfer(1, 2, 50), 30, 40, 'ok', committed),
    ];
    for (const finals of [
      { 1: 10, 3: 190 },
      { 1: -40, 2: 150, 3: 190 },
    ] as Array<Record<number, number>>)
      assert.equal(verdictOf(overdrawn, finals).verdict, 'fail', JSON.stringify(finals));
  });
});

describe('linearizability: each read level is held to what its help promises', () => {
  const leaderRead = (invokeMs: number, seen: number, consistency: ReadConsistency) =>
    attempt(1, 1, read(1, consistency), invokeMs, invokeMs + 10, 'ok', balance(seen));

  test('(d) a leader read up to leaderReadWindowMs stale passes; staler fails', () => {
    // The transfer returned at 20; window 1000: invoked at 900 it may still be ordered before.
    const within = verdictOf([...moved, ...leaderRead(900, 100, 'leader')], afterMove, { leaderReadWindowMs: 1000 });
    assert.equal(within.verdict, 'pass', within.explanation);
    const beyond = verdictOf([...moved, ...leaderRead(1100, 100, 'leader')], afterMove, { leaderReadWindowMs: 1000 });
    assert.equal(beyond.verdict, 'fail');
    // The same read at linearizable fails even within the window.
    assert.equal(verdictOf([...moved, ...leaderRead(900, 100, 'linearizable')], afterMove).verdict, 'fail');
  });

  test('(d) a leader read served by a node whose clock was frozen (SIGSTOP) may go back to when it froze, another node may not', () => {
    // n2 was stopped over [0, 5000]; a read it served at 5500 (within the 1000 ms window after
    // SIGCONT) saw the balance before the transfer of [10, 20].
    const frozen = [{ kind: 'stop-leader', nodes: [2], startMs: 0, healedMs: 5000, freezesClock: true }];
    const servedBy = (node: number) =>
      leaderRead(5500, 100, 'leader').map((e) => (e.type === 'ok' ? { ...e, servedBy: node } : e));
    const more = { leaderReadWindowMs: 1000, faults: frozen };
    const byFrozen = verdictOf([...moved, ...servedBy(2)], afterMove, more);
    assert.equal(byFrozen.verdict, 'pass', byFrozen.explanation);
    assert.equal(verdictOf([...moved, ...servedBy(3)], afterMove, more).verdict, 'fail', 'n3 was never frozen');
    const unfrozen = { ...more, faults: frozen.map((f) => ({ ...f, freezesClock: false })) };
    assert.equal(
      verdictOf([...moved, ...servedBy(2)], afterMove, unfrozen).verdict,
      'fail',
      'an isolation is no freeze',
    );
    // Long after SIGCONT the node's clock has caught up: the usual window again.
    const later = leaderRead(7000, 100, 'leader').map((e) => (e.type === 'ok' ? { ...e, servedBy: 2 } : e));
    assert.equal(verdictOf([...moved, ...later], afterMove, more).verdict, 'fail');
  });

  test('(e) an any read of an old value passes, of a value the account never held fails', () => {
    const old = verdictOf([...moved, ...leaderRead(100_000, 100, 'any')], afterMove);
    assert.equal(old.verdict, 'pass', old.explanation);
    const never = verdictOf([...moved, ...leaderRead(100_000, 55, 'any')], afterMove);
    assert.equal(never.verdict, 'fail');
    // Not a value from the future either: 70 before the transfer was even invoked.
    assert.equal(
      verdictOf([...leaderRead(0, 70, 'any'), ...attempt(0, 1, transfer(1, 2, 30), 20, 30, 'ok', committed)], afterMove)
        .verdict,
      'fail',
    );
  });
});

describe('linearizability: (g) unknown transfers may or may not have happened', () => {
  const maybe = attempt(0, 1, transfer(1, 2, 30), 10, 20, 'unknown');

  test('an unknown transfer that happened, or did not, passes; one applied twice fails', () => {
    const happened = verdictOf(maybe, afterMove);
    assert.equal(happened.verdict, 'pass', happened.explanation);
    assert.equal(happened.unknowns, 1);
    assert.equal(verdictOf(maybe, {}).verdict, 'pass');
    assert.equal(verdictOf(maybe, { 1: 40, 2: 160 }).verdict, 'fail');
  });

  test('a read that saw an unknown transfer, then a final state without it, fails', () => {
    const seen = attempt(1, 1, read(1), 30, 40, 'ok', balance(70));
    assert.equal(verdictOf([...maybe, ...seen], afterMove).verdict, 'pass');
    assert.equal(verdictOf([...maybe, ...seen], {}).verdict, 'fail');
  });

  test('an unknown transfer cannot take effect before its invoke', () => {
    const early = attempt(1, 1, read(1), 0, 5, 'ok', balance(70));
    assert.equal(verdictOf([...early, ...maybe], afterMove).verdict, 'fail');
  });

  test('an unknown retried until it committed is the committed operation over [first invoke, answer]', () => {
    const retried = [...maybe, ...attempt(0, 1, transfer(1, 2, 30), 50, 60, 'ok', committed)];
    assert.equal(verdictOf(retried, afterMove).verdict, 'pass');
    assert.equal(verdictOf(retried, {}).verdict, 'fail');
  });
});

test('an operation outside the groups is reported; groups are checked one by one', () => {
  const result = verdicts(
    runRecord(
      [
        ...attempt(0, 1, transfer(1, 4, 30), 10, 20, 'ok', committed),
        ...attempt(1, 1, read(9), 10, 20, 'ok', balance(100)),
        ...attempt(2, 1, transfer(4, 5, 30), 10, 20, 'ok', committed),
      ],
      { 4: 70, 5: 130 },
      {
        groups: [
          [1, 2, 3],
          [4, 5, 6],
        ],
      },
    ),
  );
  assert.equal(result.violations.length, 2, result.violations.join('\n'));
  assert.match(result.violations[0] as string, /transfer 1->4 of 30\): its accounts are not inside one group/);
  assert.match(result.violations[1] as string, /read 9 .*: its account is in no group/);
  assert.deepEqual(
    result.groups.map((g) => [g.verdict, g.operations]),
    [
      ['pass', 0],
      ['pass', 1],
    ],
  );
});

/** A seeded generator (mulberry32). */
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A legal concurrent history: a sequential run of the bank, operation i taking effect at
 * 10 * i, each given an interval around its point (so neighbours overlap), some transfers
 * unknown (that happened or not), some aborted, reads at every level.
 */
function generated(seed: number, count: number): { record: RunRecord; reads: number[] } {
  const next = random(seed);
  const pick = (n: number) => Math.floor(next() * n);
  const state = [100, 100, 100, 100];
  const events: HistoryEvent[] = [];
  const reads: number[] = [];
  for (let i = 0; i < count; i++) {
    const point = 10 * (i + 1);
    const invokeMs = point - pick(30);
    const returnMs = point + pick(30);
    if (next() < 0.5) {
      const from = pick(4);
      const to = (from + 1 + pick(3)) % 4;
      const amount = 1 + pick(90);
      const kind = next();
      const enough = (state[from] as number) >= amount;
      const apply = () => {
        state[from] = (state[from] as number) - amount;
        state[to] = (state[to] as number) + amount;
      };
      if (kind < 0.1) {
        events.push(...attempt(i, 1, transfer(from + 1, to + 1, amount), invokeMs, returnMs, 'fail', aborted));
      } else if (kind < 0.25) {
        if (enough && next() < 0.5) apply();
        events.push(...attempt(i, 1, transfer(from + 1, to + 1, amount), invokeMs, returnMs, 'unknown'));
      } else {
        if (enough) apply();
        const result: HistoryResult = enough ? committed : insufficient;
        events.push(
          ...attempt(i, 1, transfer(from + 1, to + 1, amount), invokeMs, returnMs, enough ? 'ok' : 'fail', result),
        );
      }
    } else {
      const account = pick(4);
      const consistency = (['linearizable', 'linearizable', 'leader', 'any'] as const)[pick(4)] as ReadConsistency;
      reads.push(events.length + 1);
      events.push(
        ...attempt(i, 1, read(account + 1, consistency), invokeMs, returnMs, 'ok', balance(state[account] as number)),
      );
    }
  }
  const finals = { 1: state[0] as number, 2: state[1] as number, 3: state[2] as number, 4: state[3] as number };
  return { record: runRecord(events, finals, { groups: [[1, 2, 3, 4]], leaderReadWindowMs: 15 }), reads };
}

test('randomized: legal concurrent histories from a sequential run pass; one read changed to a value never held fails', () => {
  for (let seed = 1; seed <= 30; seed++) {
    const { record, reads } = generated(seed, 80);
    const good = verdicts(record).groups[0]!;
    assert.equal(good.verdict, 'pass', `seed ${seed}: ${good.explanation}`);
    const mutated = structuredClone(record);
    const index = reads[seed % reads.length] as number;
    const completion = mutated.events[index];
    assert.ok(completion?.type === 'ok' && completion.result?.kind === 'balance', `seed ${seed}: a read's completion`);
    completion.result = balance(completion.result.balance + 1_000_000);
    const bad = verdicts(mutated).groups[0]!;
    assert.equal(bad.verdict, 'fail', `seed ${seed}: the mutated read passed`);
  }
});

test('the search budget: a group the search cannot finish within it is undecided, not passed', () => {
  const { record } = generated(3, 80);
  const group = verdicts(record, { stepsBudget: 20 }).groups[0]!;
  assert.equal(group.verdict, 'undecided');
  assert.match(
    group.explanation,
    /^search budget exceeded after \d+ steps \(\d+ states\); longest prefix \d+ of \d+ operations$/,
  );
  assert.ok(group.steps > 20 && group.steps < 100, String(group.steps));
  assert.equal(verdicts(record).groups[0]!.verdict, 'pass');
});

/**
 * The same question answered by brute force, written apart from the checker: every order of the
 * operations that respects real time (b may not precede a when b's return is before a's call),
 * each unknown transfer in it or left out, replayed on the bank, the final state last.
 */
function bruteForce(record: RunRecord): boolean {
  const window = (consistency: ReadConsistency, invokeMs: number) =>
    consistency === 'linearizable'
      ? invokeMs
      : consistency === 'leader'
        ? invokeMs - record.leaderReadWindowMs
        : -Infinity;
  interface Brute {
    callMs: number;
    returnMs: number;
    op: HistoryOp;
    value: number;
    answer: string;
  }
  const ops = operationsOf(record.events).operations.flatMap((o): Brute[] => {
    if (o.op.kind === 'read')
      return o.result?.kind === 'balance'
        ? [
            {
              callMs: window(o.op.consistency, o.invokeMs),
              returnMs: o.returnMs,
              op: o.op,
              value: o.result.balance,
              answer: '',
            },
          ]
        : [];
    const answer = o.outcome === 'unknown' ? 'unknown' : (o.result?.kind ?? '');
    return answer === 'aborted' ? [] : [{ callMs: o.invokeMs, returnMs: o.returnMs, op: o.op, value: 0, answer }];
  });
  const finals = new Map<number, number>();
  for (const r of record.final)
    for (let a = r.firstAccount; a <= r.lastAccount; a++) finals.set(a, r.modified[String(a)] ?? record.initialBalance);
  const accounts = record.groups.flat();
  const order: number[] = [];
  const used = new Set<number>();
  const explore = (balances: Map<number, number>): boolean => {
    // Every op placed or (an unknown) left out: the final state must match.
    if (
      ops.every((o, i) => used.has(i) || o.answer === 'unknown') &&
      accounts.every((a) => balances.get(a) === finals.get(a))
    )
      return true;
    for (let i = 0; i < ops.length; i++) {
      if (used.has(i)) continue;
      const o = ops[i]!;
      // Something not placed yet that returned before o was called must come first.
      if (ops.some((p, j) => j !== i && !used.has(j) && p.returnMs < o.callMs && p.answer !== 'unknown')) continue;
      const next = new Map(balances);
      if (o.op.kind === 'read') {
        if (balances.get(o.op.account) !== o.value) continue;
      } else {
        const enough = (balances.get(o.op.from) as number) >= o.op.amount;
        if (o.answer === 'committed' && !enough) continue;
        if (o.answer === 'insufficient-funds' && enough) continue;
        if (enough && o.answer !== 'insufficient-funds') {
          next.set(o.op.from, (next.get(o.op.from) as number) - o.op.amount);
          next.set(o.op.to, (next.get(o.op.to) as number) + o.op.amount);
        }
      }
      used.add(i);
      order.push(i);
      const found = explore(next);
      used.delete(i);
      order.pop();
      if (found) return true;
    }
    return false;
  };
  return explore(new Map(accounts.map((a) => [a, record.initialBalance])));
}

test('randomized: on small histories of any shape the checker agrees with a brute-force search of every order', () => {
  const next = random(7);
  const pick = (n: number) => Math.floor(next() * n);
  const counts = { pass: 0, fail: 0 };
  for (let n = 0; n < 400; n++) {
    // Mostly what a run in invoke order would answer, sometimes anything: both verdicts come up.
    const events: HistoryEvent[] = [];
    const bank = new Map([
      [1, 10],
      [2, 10],
    ]);
    const starts = Array.from({ length: 2 + pick(4) }, () => pick(60)).sort((a, b) => a - b);
    starts.forEach((invokeMs, i) => {
      const returnMs = invokeMs + pick(40);
      const honest = next() < 0.7;
      if (next() < 0.5) {
        const from = 1 + pick(2);
        const amount = 5 * (1 + pick(2));
        const op = transfer(from, 3 - from, amount);
        const enough = (bank.get(from) as number) >= amount;
        const outcome = honest ? (next() < 0.3 ? 2 : enough ? 0 : 1) : pick(4);
        if (enough && (outcome === 0 || (outcome === 2 && next() < 0.5))) {
          bank.set(from, (bank.get(from) as number) - amount);
          bank.set(3 - from, (bank.get(3 - from) as number) + amount);
        }
        events.push(
          ...(outcome === 0
            ? attempt(i, 1, op, invokeMs, returnMs, 'ok', committed)
            : outcome === 1
              ? attempt(i, 1, op, invokeMs, returnMs, 'fail', insufficient)
              : outcome === 2
                ? attempt(i, 1, op, invokeMs, returnMs, 'unknown')
                : attempt(i, 1, op, invokeMs, returnMs, 'fail', aborted)),
        );
      } else {
        const consistency = (['linearizable', 'leader', 'any'] as const)[pick(3)] as ReadConsistency;
        const account = 1 + pick(2);
        const seen = honest ? (bank.get(account) as number) : pick(5) * 5;
        events.push(...attempt(i, 1, read(account, consistency), invokeMs, returnMs, 'ok', balance(seen)));
      }
    });
    const finals = next() < 0.8 ? { 1: bank.get(1) as number, 2: bank.get(2) as number } : { 1: 5, 2: 15 };
    const record = runRecord(events, finals, { groups: [[1, 2]], initialBalance: 10, leaderReadWindowMs: 20 });
    record.final = [
      { node: 1, cluster: 0, firstAccount: 1, lastAccount: 2, modified: finals, stateHash: 1, appliedIndex: 1 },
    ];
    const expected = bruteForce(record);
    const group = verdicts(record).groups[0]!;
    assert.equal(
      group.verdict,
      expected ? 'pass' : 'fail',
      `case ${n}: ${JSON.stringify(events)} ${JSON.stringify(finals)}`,
    );
    counts[expected ? 'pass' : 'fail']++;
  }
  assert.ok(counts.pass > 40 && counts.fail > 40, JSON.stringify(counts));
});
