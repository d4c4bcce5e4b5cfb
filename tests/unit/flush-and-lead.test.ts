import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { AssertionError } from '../../src/core/assert.js';
import { SeededRandom } from '../../src/core/random.js';
import { initialBallot } from '../../src/paxos/ballot.js';
import { Replica } from '../../src/paxos/replica.js';
import { openNodeStore } from '../../src/storage/open.js';
import { ballot, drain, Group, logEntry, messagesOf, testSettings } from './helpers/replica-harness.js';

/** A member of a freshly flushed cluster: promised (1, leader), empty log, leader agreed. */
function flushed(self: number, leader: number, members = [1, 2, 3]): Replica<string> {
  return new Replica<string>({
    self,
    members,
    settings: testSettings,
    random: new SeededRandom(self),
    promised: initialBallot(leader),
    log: [],
    appliedIndex: 0,
    initialLeader: leader,
  });
}

/** Three flushed members; `leaders[i]` is the leader named by the flush member i+1 took. */
function flushedGroup(leaders: number[]): Group & { views: unknown[] } {
  const g = new Group([1, 2, 3]) as Group & { views: unknown[] };
  g.views = [];
  leaders.forEach((leader, i) => g.nodes.set(i + 1, flushed(i + 1, leader)));
  const collect = g.collect.bind(g);
  g.collect = () => {
    for (const r of g.nodes.values()) if (r.hasReady()) g.views.push(...r.ready().newViews);
    collect();
  };
  return g;
}

describe('flush: the leader agreed in advance', () => {
  test('the agreed leader runs Phase 1 in ballot (1, itself), serves once a majority promised, and records no NEW-VIEW', () => {
    const g = flushedGroup([2, 2, 2]);
    const leader = g.get(2);
    assert.equal(
      leader.role,
      'candidate',
      'a flush does not let it skip Phase 1: another flush may name another leader',
    );
    assert.equal(leader.propose('x'), undefined);
    const rd = drain(leader);
    assert.deepEqual(
      messagesOf(rd.messages, 'prepare').map((m) => m.message.ballot),
      [ballot(1, 2)],
    );
    assert.equal(messagesOf(rd.messages, 'prepare')[0]?.message.forced, undefined);
    g.inFlight = rd.messages.flatMap(({ message }) => [1, 3].map((to) => ({ from: 2, to, message })));
    g.settle();
    assert.equal(leader.role, 'leader');
    assert.ok(leader.isServing);
    assert.equal(leader.propose('x'), 1);
    g.settle();
    assert.deepEqual(leader.takeCommitted(), [{ slot: 1, value: 'x' }]);
    assert.equal(g.views.length, 0, 'no view change happened: PrintView stays empty after a flush');
  });

  test('the agreed leader asks again while promises are missing (members flushed after it drop its first prepare)', () => {
    const g = flushedGroup([1, 1, 1]);
    g.dropAll();
    const leader = g.get(1);
    for (let i = 0; i < testSettings.retransmitTicks && leader.role === 'candidate'; i++) leader.tick();
    g.settle();
    assert.equal(leader.role, 'leader');
    assert.equal(g.get(3).leaderHint, 1);
  });

  test('two flushes with the same generation naming different leaders never choose two values in one slot', () => {
    // n1 and n3 took the flush naming n1; n2 took the one naming n2 (each node keeps the first
    // that reaches it). Then the network lets n1 and n3 talk, later n2 and n3.
    const g = flushedGroup([1, 2, 1]);
    const chosen = new Map<number, Set<string>>();
    const learn = () => {
      for (const [, r] of g.nodes)
        for (const { slot, value } of r.takeCommitted())
          chosen.set(slot, (chosen.get(slot) ?? new Set()).add(String(value)));
    };
    const proposed = new Set<number>();
    const phase = (link: (e: { from: number; to: number }) => boolean, rounds: number) => {
      for (let i = 0; i < rounds; i++) {
        for (const [id, r] of g.nodes) {
          if (r.isServing && !proposed.has(id)) {
            proposed.add(id);
            r.propose(`from n${id}`);
          }
          r.tick();
        }
        g.deliver(link);
        learn();
      }
    };
    phase((e) => [e.from, e.to].sort().join() === '1,3', 6);
    phase((e) => [e.from, e.to].sort().join() === '2,3', 6);
    phase(() => true, 60);
    for (const [slot, values] of chosen)
      assert.equal(values.size, 1, `slot ${slot} chosen with ${[...values].join(' and ')}`);
    assert.ok(chosen.size > 0, 'something was chosen');
  });

  test('a later candidate picks a ballot above the agreed one, so the agreed ballot is never shared', () => {
    const follower = flushed(3, 1);
    for (let i = 0; i < testSettings.electionTicksMax * 2 && follower.role === 'follower'; i++) follower.tick();
    const prevote = messagesOf(drain(follower).messages, 'prevote')[0];
    assert.ok(prevote);
    follower.step({ type: 'prevote-reply', from: 2, attempt: prevote.message.attempt, granted: true });
    const prepare = messagesOf(drain(follower).messages, 'prepare')[0];
    assert.ok(prepare);
    assert.ok(prepare.message.ballot.round > 1);
  });

  test('an agreed leader is refused for a replica that has a log or a different promise (a programmer error)', () => {
    const base = {
      self: 1,
      members: [1, 2, 3],
      settings: testSettings,
      random: new SeededRandom(1),
      appliedIndex: 0,
      initialLeader: 1,
    };
    assert.throws(
      () => new Replica<string>({ ...base, promised: initialBallot(1), log: [logEntry(1, ballot(1, 1), 'x')] }),
      AssertionError,
    );
    assert.throws(() => new Replica<string>({ ...base, promised: ballot(3, 2), log: [] }), AssertionError);
    assert.throws(
      () => new Replica<string>({ ...base, promised: initialBallot(4), log: [], initialLeader: 4 }),
      AssertionError,
    );
  });
});

describe('leadership transfer (campaign)', () => {
  test('a follower told to lead stands at once with a forced prepare, which members hearing the old leader promise', () => {
    const g = new Group([1, 2, 3], { settings: { electionTicksMax: 100 } });
    g.elect(1);
    const wanted = g.get(2);
    wanted.campaign();
    const rd = drain(wanted);
    const prepare = messagesOf(rd.messages, 'prepare')[0];
    assert.ok(prepare);
    assert.equal(prepare.message.forced, true);
    assert.deepEqual(messagesOf(rd.messages, 'prevote'), [], 'no pre-vote: the operator asked for it');

    const other = g.get(3);
    other.step({ ...prepare.message, forced: undefined } as typeof prepare.message);
    assert.deepEqual(drain(other).messages, [], 'without the flag, the stable-leader rule ignores it');
    other.step(prepare.message);
    const promise = messagesOf(drain(other).messages, 'promise')[0];
    assert.ok(promise, 'with the flag, a member hearing the old leader promises');
    wanted.step(promise.message);
    assert.equal(wanted.role, 'leader');
    assert.equal(drain(wanted).newViews.length, 1, 'a transfer is a real view change and is recorded');
  });

  test('campaign on the leader itself changes nothing', () => {
    const g = new Group([1, 2, 3]);
    const leader = g.elect(1);
    const before = leader.ballot;
    leader.campaign();
    assert.equal(leader.role, 'leader');
    assert.deepEqual(leader.ballot, before);
  });
});

describe('flush: the SQLite store', () => {
  const tempRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'ledger-flush-test-'));
  after(() => fs.rmSync(tempRoot, { recursive: true, force: true }));

  test('reset puts back every balance, empties log, sessions, 2PC records and views, and keeps the new generation and promise across a reopen', async () => {
    const file = path.join(tempRoot, 'n1.sqlite');
    const opts = { file, firstAccount: 1, lastAccount: 5, initialBalance: 10 };
    const store = await openNodeStore(opts);
    store.persist({
      promised: ballot(7, 2),
      entries: [
        {
          slot: 1,
          ballot: ballot(7, 2),
          value: [{ clientId: 'c', seq: 1, op: { kind: 'transfer', from: 1, to: 2, amount: 3 } }],
          chosen: true,
        },
      ],
      newViews: [{ ballot: ballot(7, 2), leader: 2, commitIndex: 0, entries: [] }],
      state: {
        balances: [
          [1, 7],
          [2, 13],
        ],
        sessions: [{ clientId: 'c', seq: 1, outcome: { status: 'committed' }, slot: 1 }],
        evictedSessions: [],
        appliedIndex: 1,
      },
    });
    assert.equal(store.views().length, 1);
    store.reset(4, initialBallot(3));
    store.close();

    const reopened = await openNodeStore(opts);
    try {
      const state = reopened.load();
      assert.deepEqual([...state.balances.values()], [10, 10, 10, 10, 10]);
      assert.deepEqual(state.log, []);
      assert.deepEqual(state.sessions, []);
      assert.deepEqual(state.coordinatorRecords, []);
      assert.deepEqual(state.participantRecords, []);
      assert.equal(state.appliedIndex, 0);
      assert.equal(state.logFloor, 0);
      assert.equal(state.generation, 4);
      assert.deepEqual(state.promised, ballot(1, 3));
      assert.deepEqual(reopened.views(), []);
    } finally {
      reopened.close();
    }
  });
});
