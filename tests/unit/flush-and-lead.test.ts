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

describe('flush: the leader agreed in advance', () => {
  test('the agreed leader serves at once in ballot (1, itself), with no NEW-VIEW, and announces itself by heartbeat', () => {
    const leader = flushed(2, 2);
    assert.equal(leader.role, 'leader');
    assert.ok(leader.isServing);
    const rd = drain(leader);
    assert.deepEqual(rd.newViews, [], 'no view change happened: PrintView stays empty after a flush');
    assert.deepEqual(messagesOf(rd.messages, 'accept').map((m) => m.message.ballot), [ballot(1, 2)]);
    assert.equal(leader.propose('x'), 1);
  });

  test('the other members follow the agreed leader, and its first value is chosen with a majority of them', () => {
    const leader = flushed(1, 1);
    const follower = flushed(2, 1);
    assert.equal(follower.role, 'follower');
    assert.equal(follower.leaderHint, 1);
    drain(leader);
    leader.propose('x');
    const accept = messagesOf(drain(leader).messages, 'accept')[0];
    assert.ok(accept);
    follower.step(accept.message);
    const reply = messagesOf(drain(follower).messages, 'accepted')[0];
    assert.ok(reply, 'the follower accepts in ballot (1, leader) without any prepare');
    leader.step(reply.message);
    assert.equal(leader.commitIndex, 1);
    assert.deepEqual(leader.takeCommitted(), [{ slot: 1, value: 'x' }]);
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
    const base = { self: 1, members: [1, 2, 3], settings: testSettings, random: new SeededRandom(1), appliedIndex: 0, initialLeader: 1 };
    assert.throws(() => new Replica<string>({ ...base, promised: initialBallot(1), log: [logEntry(1, ballot(1, 1), 'x')] }), AssertionError);
    assert.throws(() => new Replica<string>({ ...base, promised: ballot(3, 2), log: [] }), AssertionError);
    assert.throws(() => new Replica<string>({ ...base, promised: initialBallot(4), log: [], initialLeader: 4 }), AssertionError);
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
      entries: [{ slot: 1, ballot: ballot(7, 2), value: [{ clientId: 'c', seq: 1, op: { kind: 'transfer', from: 1, to: 2, amount: 3 } }], chosen: true }],
      newViews: [{ ballot: ballot(7, 2), leader: 2, commitIndex: 0, entries: [] }],
      state: {
        balances: [[1, 7], [2, 13]],
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
