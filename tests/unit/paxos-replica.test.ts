import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { AssertionError } from '../../src/core/assert.js';
import { compareBallots } from '../../src/paxos/ballot.js';
import type { PaxosMessage } from '../../src/protocol/paxos.js';
import {
  ballot,
  drain,
  Group,
  logEntry,
  makeCandidate,
  messagesOf,
  newReplica,
  testSettings,
  tickUntilPreVote,
} from './helpers/replica-harness.js';

type Msg = PaxosMessage<string>;

/** Accept messages that carry entries (heartbeats carry none). */
function acceptsWithEntries(messages: Array<{ message: Msg }>): Array<Extract<Msg, { type: 'accept' }>> {
  const out: Array<Extract<Msg, { type: 'accept' }>> = [];
  for (const { message } of messages) if (message.type === 'accept' && message.entries.length > 0) out.push(message);
  return out;
}

describe('acceptor: promises and refusals', () => {
  test('an acceptor that promised ballot b nacks a prepare with a lower ballot and keeps its promise', () => {
    const r = newReplica(2, { promised: ballot(5, 3) });
    r.step({ type: 'prepare', from: 1, ballot: ballot(3, 1) });
    const rd = drain(r);
    assert.deepEqual(rd.messages, [
      { to: 1, message: { type: 'nack', from: 2, ballot: ballot(3, 1), promised: ballot(5, 3) } },
    ]);
    assert.equal(rd.promised, undefined);
    assert.deepEqual(r.promisedBallot, ballot(5, 3));
  });

  test('an acceptor that promised ballot b nacks an accept with a lower ballot and stores nothing', () => {
    const r = newReplica(2, { promised: ballot(5, 3) });
    r.step({ type: 'accept', from: 1, ballot: ballot(3, 1), commitIndex: 0, entries: [{ slot: 1, value: 'x' }] });
    const rd = drain(r);
    assert.deepEqual(rd.messages, [
      { to: 1, message: { type: 'nack', from: 2, ballot: ballot(3, 1), promised: ballot(5, 3) } },
    ]);
    assert.deepEqual(rd.entries, []);
    assert.equal(r.entry(1), undefined);
    assert.equal(r.leaderHint, undefined, 'a refused leader is not followed');
  });

  test('persist before send: the ready holding a promise also holds the promised ballot', () => {
    const r = newReplica(2);
    r.step({ type: 'prepare', from: 1, ballot: ballot(1, 1) });
    const rd = drain(r);
    assert.deepEqual(rd.promised, ballot(1, 1));
    assert.deepEqual(rd.messages, [
      { to: 1, message: { type: 'promise', from: 2, ballot: ballot(1, 1), commitIndex: 0, entries: [] } },
    ]);
    assert.deepEqual(r.promisedBallot, ballot(1, 1));
  });

  test("a promise carries the acceptor's accepted entries above its commit index, and only those", () => {
    const r = newReplica(2, {
      promised: ballot(2, 3),
      log: [logEntry(1, ballot(1, 3), 'a', true), logEntry(2, ballot(1, 3), 'b'), logEntry(3, ballot(2, 3), 'c')],
    });
    assert.equal(r.commitIndex, 1);
    r.step({ type: 'prepare', from: 1, ballot: ballot(3, 1) });
    const [promise] = messagesOf(drain(r).messages, 'promise');
    assert.ok(promise);
    assert.equal(promise.message.commitIndex, 1);
    assert.deepEqual(promise.message.entries, [logEntry(2, ballot(1, 3), 'b'), logEntry(3, ballot(2, 3), 'c')]);
  });

  test('persist before send: the ready holding an accepted also holds the accepted entries and the raised promise', () => {
    const r = newReplica(2);
    r.step({
      type: 'accept',
      from: 1,
      ballot: ballot(1, 1),
      commitIndex: 0,
      entries: [
        { slot: 1, value: 'x' },
        { slot: 2, value: 'y' },
      ],
    });
    const rd = drain(r);
    assert.deepEqual(rd.promised, ballot(1, 1));
    assert.deepEqual(rd.entries, [logEntry(1, ballot(1, 1), 'x'), logEntry(2, ballot(1, 1), 'y')]);
    assert.deepEqual(rd.messages, [
      { to: 1, message: { type: 'accepted', from: 2, ballot: ballot(1, 1), slots: [1, 2], commitIndex: 0 } },
    ]);
    assert.equal(r.leaderHint, 1);
  });

  test('a duplicated accept is acknowledged again without anything new to persist', () => {
    const r = newReplica(2);
    const accept: Msg = {
      type: 'accept',
      from: 1,
      ballot: ballot(1, 1),
      commitIndex: 0,
      entries: [{ slot: 1, value: 'x' }],
    };
    r.step(accept);
    drain(r);
    r.step(accept);
    const rd = drain(r);
    assert.deepEqual(rd.entries, []);
    assert.equal(rd.promised, undefined);
    assert.deepEqual(
      messagesOf(rd.messages, 'accepted').map((m) => m.message.slots),
      [[1]],
    );
  });

  test('an accept in a higher ballot replaces an unchosen entry but never a chosen one', () => {
    const r = newReplica(2, {
      promised: ballot(1, 3),
      log: [logEntry(1, ballot(1, 3), 'old'), logEntry(2, ballot(1, 3), 'decided', true)],
    });
    r.step({
      type: 'accept',
      from: 1,
      ballot: ballot(2, 1),
      commitIndex: 0,
      entries: [
        { slot: 1, value: 'new' },
        { slot: 2, value: 'other' },
      ],
    });
    assert.deepEqual(r.entry(1), logEntry(1, ballot(2, 1), 'new'));
    assert.deepEqual(r.entry(2), logEntry(2, ballot(1, 3), 'decided', true));
  });
});

describe('election: pre-vote, prepare and the NEW-VIEW', () => {
  test('a node whose election timeout expires without a leader becomes leader after pre-vote and prepare with a majority', () => {
    const g = new Group();
    const ticks = tickUntilPreVote(g.get(1));
    assert.ok(
      ticks >= testSettings.electionTicksMin && ticks <= testSettings.electionTicksMax,
      `timeout ${ticks} outside the range`,
    );
    g.settle();
    assert.equal(g.get(1).role, 'leader');
    assert.deepEqual(g.get(1).ballot, ballot(1, 1));
    for (const id of [2, 3]) {
      assert.equal(g.get(id).role, 'follower');
      assert.equal(g.get(id).leaderHint, 1);
      assert.deepEqual(g.durable.get(id)?.promised, ballot(1, 1), `n${id} persisted its promise`);
    }
    const kinds = g.delivered.map((e) => e.message.type);
    assert.ok(kinds.indexOf('prevote') < kinds.indexOf('prepare'), 'the pre-vote comes before the prepare');
  });

  test('the election timeout is randomised within [electionTicksMin, electionTicksMax]', () => {
    const timeouts = new Set<number>();
    for (let seed = 1; seed <= 20; seed++) {
      const t = tickUntilPreVote(newReplica(1, { seed }));
      assert.ok(t >= testSettings.electionTicksMin && t <= testSettings.electionTicksMax);
      timeouts.add(t);
    }
    assert.ok(timeouts.size > 1, 'different seeds give different timeouts');
  });

  test('a pre-vote changes no durable state, and without a majority of grants the ballot does not move', () => {
    const r = newReplica(1);
    tickUntilPreVote(r);
    const rd = drain(r);
    assert.equal(r.role, 'precandidate');
    assert.equal(rd.promised, undefined);
    assert.deepEqual(rd.messages, [{ to: 'all', message: { type: 'prevote', from: 1, attempt: 1, commitIndex: 0 } }]);
    r.step({ type: 'prevote-reply', from: 2, attempt: 1, granted: false });
    r.step({ type: 'prevote-reply', from: 3, attempt: 1, granted: false });
    assert.equal(r.role, 'precandidate');
    assert.equal(drain(r).promised, undefined);
    assert.deepEqual(r.promisedBallot, ballot(0, 0));
  });

  test('persist before send: a candidate persists its own promise in the ready that sends its prepare', () => {
    const r = newReplica(1);
    tickUntilPreVote(r);
    drain(r);
    r.step({ type: 'prevote-reply', from: 2, attempt: 1, granted: true });
    const rd = drain(r);
    assert.equal(r.role, 'candidate');
    assert.deepEqual(rd.promised, ballot(1, 1));
    assert.deepEqual(rd.messages, [
      { to: 'all', message: { type: 'prepare', from: 1, ballot: ballot(1, 1), fromSlot: 1 } },
    ]);
  });

  test('a follower without a leader grants a pre-vote to a node at least as up to date, and refuses one behind it', () => {
    const fresh = newReplica(2);
    fresh.step({ type: 'prevote', from: 3, attempt: 1, commitIndex: 0 });
    assert.deepEqual(drain(fresh).messages, [
      { to: 3, message: { type: 'prevote-reply', from: 2, attempt: 1, granted: true } },
    ]);

    const ahead = newReplica(2, { log: [logEntry(1, ballot(1, 1), 'a', true), logEntry(2, ballot(1, 1), 'b', true)] });
    ahead.step({ type: 'prevote', from: 3, attempt: 1, commitIndex: 1 });
    assert.deepEqual(drain(ahead).messages, [
      { to: 3, message: { type: 'prevote-reply', from: 2, attempt: 1, granted: false } },
    ]);
  });

  test('stable leader: a follower that hears a live leader refuses a pre-vote', () => {
    const g = new Group();
    g.elect(1);
    const follower = g.get(2);
    follower.step({ type: 'prevote', from: 3, attempt: 1, commitIndex: 100 });
    assert.deepEqual(drain(follower).messages, [
      { to: 3, message: { type: 'prevote-reply', from: 2, attempt: 1, granted: false } },
    ]);
  });

  test('a follower grants a pre-vote once its leader has been silent for electionTicksMin', () => {
    const g = new Group([1, 2, 3], { settings: { electionTicksMax: 100 } });
    g.elect(1);
    const follower = g.get(2);
    for (let i = 0; i < testSettings.electionTicksMin - 1; i++) follower.tick();
    drain(follower);
    follower.step({ type: 'prevote', from: 3, attempt: 1, commitIndex: 0 });
    assert.deepEqual(
      messagesOf(drain(follower).messages, 'prevote-reply').map((m) => m.message.granted),
      [false],
    );
    follower.tick();
    assert.equal(follower.role, 'follower');
    follower.step({ type: 'prevote', from: 3, attempt: 1, commitIndex: 0 });
    assert.deepEqual(
      messagesOf(drain(follower).messages, 'prevote-reply').map((m) => m.message.granted),
      [true],
    );
  });

  test('stable leader: the leader itself refuses a pre-vote', () => {
    const g = new Group();
    const leader = g.elect(1);
    leader.step({ type: 'prevote', from: 3, attempt: 1, commitIndex: 100 });
    assert.deepEqual(
      messagesOf(drain(leader).messages, 'prevote-reply').map((m) => m.message.granted),
      [false],
    );
  });

  test('stable leader: a follower that hears a live leader ignores a higher prepare, and promises it once the leader is silent', () => {
    // A wide election range, so the follower's own timeout does not fire in this test.
    const g = new Group([1, 2, 3], { settings: { electionTicksMax: 100 } });
    g.elect(1);
    const follower = g.get(2);
    follower.step({ type: 'prepare', from: 3, ballot: ballot(5, 3) });
    const rd = drain(follower);
    assert.deepEqual(rd.messages, []);
    assert.equal(rd.promised, undefined);
    assert.deepEqual(follower.promisedBallot, ballot(1, 1));
    assert.equal(follower.leaderHint, 1);

    for (let i = 0; i < testSettings.electionTicksMin; i++) follower.tick();
    drain(follower);
    assert.equal(follower.role, 'follower', 'still a follower of a leader silent for electionTicksMin');
    follower.step({ type: 'prepare', from: 3, ballot: ballot(5, 3) });
    const later = drain(follower);
    assert.deepEqual(later.promised, ballot(5, 3));
    assert.deepEqual(
      messagesOf(later.messages, 'promise').map((m) => m.to),
      [3],
    );
  });

  test('the new leader re-proposes, per slot, the value with the highest ballot among the promises and fills holes with NO-OP', () => {
    const members = [1, 2, 3, 4, 5];
    const r = newReplica(1, { members, promised: ballot(3, 5) });
    const b = makeCandidate(r, [2, 3]);
    assert.deepEqual(b, ballot(4, 1));
    // Slot 1: the higher ballot arrives second; slot 3: the higher ballot arrives first.
    r.step({
      type: 'promise',
      from: 2,
      ballot: b,
      commitIndex: 0,
      entries: [logEntry(1, ballot(1, 2), 'low'), logEntry(3, ballot(2, 2), 'three-high')],
    });
    assert.equal(r.role, 'candidate', 'two promises of five are not a majority');
    r.step({
      type: 'promise',
      from: 3,
      ballot: b,
      commitIndex: 0,
      entries: [logEntry(1, ballot(2, 3), 'high'), logEntry(3, ballot(1, 3), 'three-low')],
    });
    assert.equal(r.role, 'leader');
    const rd = drain(r);
    const expected = [
      { slot: 1, value: 'high' },
      { slot: 2, value: null },
      { slot: 3, value: 'three-high' },
    ];
    assert.deepEqual(rd.newViews, [{ ballot: b, leader: 1, commitIndex: 0, entries: expected }]);
    assert.deepEqual(acceptsWithEntries(rd.messages), [
      { type: 'accept', from: 1, ballot: b, commitIndex: 0, entries: expected },
    ]);
    // The leader accepts its own re-proposals in its ballot, durably in the same ready.
    assert.deepEqual(
      rd.entries,
      expected.map((e) => logEntry(e.slot, b, e.value)),
    );
  });

  test('the new leader keeps a value known chosen over a higher-ballot unchosen one, whichever arrives first', () => {
    const members = [1, 2, 3, 4, 5];
    const r = newReplica(1, { members, promised: ballot(3, 5) });
    const b = makeCandidate(r, [2, 3]);
    r.step({
      type: 'promise',
      from: 2,
      ballot: b,
      commitIndex: 0,
      entries: [logEntry(1, ballot(1, 2), 'c1', true), logEntry(2, ballot(2, 2), 'x2')],
    });
    r.step({
      type: 'promise',
      from: 3,
      ballot: b,
      commitIndex: 0,
      entries: [logEntry(1, ballot(2, 3), 'x1'), logEntry(2, ballot(1, 3), 'c2', true)],
    });
    assert.equal(r.role, 'leader');
    assert.deepEqual(drain(r).newViews[0]?.entries, [
      { slot: 1, value: 'c1' },
      { slot: 2, value: 'c2' },
    ]);
  });

  test('slots at or below the highest reported commit index are not re-proposed: the new leader fetches them by catch-up before serving', () => {
    const r = newReplica(1);
    const b = makeCandidate(r, [2]);
    r.step({ type: 'promise', from: 2, ballot: b, commitIndex: 2, entries: [logEntry(3, ballot(1, 2), 'y')] });
    assert.equal(r.role, 'leader');
    const rd = drain(r);
    assert.deepEqual(rd.newViews, [{ ballot: b, leader: 1, commitIndex: 2, entries: [{ slot: 3, value: 'y' }] }]);
    assert.deepEqual(messagesOf(rd.messages, 'catchup-request'), [
      { to: 2, message: { type: 'catchup-request', from: 1, fromSlot: 1 } },
    ]);

    r.step({ type: 'accepted', from: 2, ballot: b, slots: [3], commitIndex: 2 });
    assert.equal(r.commitIndex, 0, 'slot 3 is chosen but slots 1-2 are still missing');
    assert.equal(r.isServing, false);
    assert.equal(r.propose('new'), undefined);

    r.step({
      type: 'catchup-reply',
      from: 2,
      commitIndex: 2,
      entries: [
        { slot: 1, value: 'a' },
        { slot: 2, value: 'b' },
      ],
    });
    assert.equal(r.commitIndex, 3);
    assert.equal(r.isServing, true);
    assert.deepEqual(r.takeCommitted(), [
      { slot: 1, value: 'a' },
      { slot: 2, value: 'b' },
      { slot: 3, value: 'y' },
    ]);
  });

  test('the new leader serves new work only after its re-proposed slots are chosen', () => {
    const r = newReplica(1);
    const b = makeCandidate(r, [2]);
    r.step({ type: 'promise', from: 2, ballot: b, commitIndex: 0, entries: [logEntry(1, ballot(1, 2), 'old')] });
    drain(r);
    assert.equal(r.role, 'leader');
    assert.equal(r.isServing, false);
    assert.equal(r.propose('new'), undefined);
    r.step({ type: 'accepted', from: 3, ballot: b, slots: [1], commitIndex: 0 });
    assert.equal(r.isServing, true);
    assert.equal(r.propose('new'), 2);
  });

  test('a restarted replica never proposes in a ballot it used before: its next round is higher', () => {
    const g = new Group();
    const oldBallot = g.elect(1).ballot;
    const restarted = g.restart(1, 0);
    const b = makeCandidate(restarted, [2]);
    assert.ok(
      compareBallots(b, oldBallot) > 0,
      `new ballot (${b.round}, n${b.node}) must be above (${oldBallot.round}, n${oldBallot.node})`,
    );
  });

  test('a candidate nacked by an acceptor that promised a higher ballot gives up, and its next ballot is above that promise', () => {
    const r = newReplica(1);
    const b = makeCandidate(r, [2]);
    r.step({ type: 'nack', from: 2, ballot: b, promised: ballot(7, 3) });
    assert.equal(r.role, 'follower');
    const next = makeCandidate(r, [2]);
    assert.ok(next.round > 7);
  });
});

describe('phase 2: choosing values', () => {
  test('a value is chosen only after a majority accepted it: with 3 members, leader + 1 accepted is enough', () => {
    const g = new Group();
    const leader = g.elect(1);
    assert.equal(leader.propose('x'), 1);
    drain(leader);
    assert.equal(leader.commitIndex, 0, 'the leader alone is not a majority');
    assert.equal(leader.entry(1)?.chosen, false);
    leader.step({ type: 'accepted', from: 2, ballot: leader.ballot, slots: [1], commitIndex: 0 });
    assert.equal(leader.commitIndex, 1);
    const rd = drain(leader);
    assert.deepEqual(
      rd.entries,
      [logEntry(1, leader.ballot, 'x', true)],
      'the leader persists that the slot is chosen',
    );
  });

  test('with 5 members, leader + 1 accepted is not enough, a duplicated accepted counts once, leader + 2 is enough', () => {
    const g = new Group([1, 2, 3, 4, 5]);
    const leader = g.elect(1);
    leader.propose('x');
    const accepted: Msg = { type: 'accepted', from: 2, ballot: leader.ballot, slots: [1], commitIndex: 0 };
    leader.step(accepted);
    leader.step(accepted);
    assert.equal(leader.commitIndex, 0);
    leader.step({ ...accepted, from: 3 });
    assert.equal(leader.commitIndex, 1);
  });

  test('an accepted for another ballot does not count toward a majority', () => {
    const g = new Group();
    const leader = g.elect(1);
    leader.propose('x');
    leader.step({ type: 'accepted', from: 2, ballot: ballot(leader.ballot.round - 1, 2), slots: [1], commitIndex: 0 });
    assert.equal(leader.commitIndex, 0);
  });

  test('takeCommitted hands out chosen values in slot order, only once the prefix is chosen, and exactly once', () => {
    const g = new Group();
    const leader = g.elect(1);
    assert.deepEqual(
      ['a', 'b', 'c'].map((v) => leader.propose(v)),
      [1, 2, 3],
    );
    leader.step({ type: 'accepted', from: 2, ballot: leader.ballot, slots: [3], commitIndex: 0 });
    assert.equal(leader.entry(3)?.chosen, true);
    assert.equal(leader.commitIndex, 0);
    assert.deepEqual(leader.takeCommitted(), [], 'slot 3 waits for slots 1 and 2');
    leader.step({ type: 'accepted', from: 2, ballot: leader.ballot, slots: [2, 1], commitIndex: 0 });
    assert.deepEqual(leader.takeCommitted(), [
      { slot: 1, value: 'a' },
      { slot: 2, value: 'b' },
      { slot: 3, value: 'c' },
    ]);
    assert.deepEqual(leader.takeCommitted(), []);
  });

  test('pipelining: at most slotsInFlightMax unchosen slots; propose returns undefined when the pipeline is full', () => {
    const g = new Group();
    const leader = g.elect(1);
    const max = testSettings.slotsInFlightMax;
    for (let i = 1; i <= max; i++) assert.equal(leader.propose(`v${i}`), i);
    assert.equal(leader.proposalRoom, 0);
    assert.equal(leader.propose('overflow'), undefined);
    leader.step({ type: 'accepted', from: 2, ballot: leader.ballot, slots: [2], commitIndex: 0 });
    assert.equal(leader.propose('overflow'), undefined, 'slot 1 is still unchosen, so 4 slots are still in flight');
    leader.step({ type: 'accepted', from: 2, ballot: leader.ballot, slots: [1], commitIndex: 0 });
    assert.equal(leader.proposalRoom, 2);
    assert.equal(leader.propose('next'), max + 1);
  });

  test('only a serving leader proposes: a follower returns undefined', () => {
    const g = new Group();
    g.elect(1);
    assert.equal(g.get(2).propose('x'), undefined);
    assert.equal(g.get(2).proposalRoom, 0);
  });

  test('accepts are batched with at most entriesPerMessageMax entries per message', () => {
    const r = newReplica(1, { settings: { entriesPerMessageMax: 2 } });
    const b = makeCandidate(r, [2]);
    const entries = [1, 2, 3, 4, 5].map((s) => logEntry(s, ballot(1, 2), `v${s}`));
    r.step({ type: 'promise', from: 2, ballot: b, commitIndex: 0, entries });
    const accepts = acceptsWithEntries(drain(r).messages);
    assert.deepEqual(
      accepts.map((a) => a.entries.map((e) => e.slot)),
      [[1, 2], [3, 4], [5]],
    );
  });

  test('a single-member cluster chooses on its own', () => {
    const r = newReplica(1, { members: [1] });
    tickUntilPreVote(r);
    assert.equal(r.role, 'leader');
    assert.equal(r.propose('solo'), 1);
    assert.equal(r.commitIndex, 1);
    assert.deepEqual(r.takeCommitted(), [{ slot: 1, value: 'solo' }]);
  });

  test('the leader retransmits accepts not yet accepted after retransmitTicks, and stops once they are chosen', () => {
    const g = new Group();
    const leader = g.elect(1);
    leader.propose('x');
    g.dropAll();
    for (let i = 1; i < testSettings.retransmitTicks; i++) {
      leader.tick();
      assert.deepEqual(acceptsWithEntries(drain(leader).messages), [], `no resend after ${i} ticks`);
    }
    leader.tick();
    const resent = acceptsWithEntries(g.get(1).ready().messages);
    assert.deepEqual(
      resent.map((a) => a.entries),
      [[{ slot: 1, value: 'x' }]],
    );
    g.settle();
    assert.equal(leader.commitIndex, 1);
    for (let i = 0; i < testSettings.retransmitTicks * 3; i++) {
      leader.tick();
      assert.deepEqual(acceptsWithEntries(leader.ready().messages), []);
      g.settle();
    }
  });
});

describe('learning: commit index and catch-up', () => {
  test("a follower learns commit from the leader's commit index for entries it accepted in the leader's ballot", () => {
    const g = new Group();
    const leader = g.elect(1);
    leader.propose('x');
    g.settle();
    assert.equal(leader.commitIndex, 1);
    assert.equal(g.get(2).commitIndex, 0, 'the follower has not heard the new commit index yet');
    for (let i = 0; i < testSettings.heartbeatTicks; i++) leader.tick();
    g.settle();
    assert.equal(g.get(2).commitIndex, 1);
    assert.deepEqual(g.get(2).takeCommitted(), [{ slot: 1, value: 'x' }]);
    assert.equal(g.delivered.filter((e) => e.message.type === 'catchup-request').length, 0, 'no catch-up was needed');
  });

  test('a follower does not learn commit for an entry accepted in another ballot: it asks for catch-up, and the reply fills the gap', () => {
    const r = newReplica(2, { promised: ballot(1, 3), log: [logEntry(1, ballot(1, 3), 'stale')] });
    r.step({ type: 'accept', from: 1, ballot: ballot(2, 1), commitIndex: 1, entries: [] });
    const rd = drain(r);
    assert.equal(r.commitIndex, 0);
    assert.equal(r.entry(1)?.chosen, false);
    assert.deepEqual(messagesOf(rd.messages, 'catchup-request'), [
      { to: 1, message: { type: 'catchup-request', from: 2, fromSlot: 1 } },
    ]);

    r.step({ type: 'catchup-reply', from: 1, commitIndex: 1, entries: [{ slot: 1, value: 'new' }] });
    const after = drain(r);
    assert.equal(r.commitIndex, 1);
    assert.deepEqual(
      after.entries.map((e) => [e.slot, e.value, e.chosen]),
      [[1, 'new', true]],
      'the learned value is persisted',
    );
    assert.deepEqual(r.takeCommitted(), [{ slot: 1, value: 'new' }]);
  });

  test('catch-up continues while each reply makes progress, and stops when the gap is closed', () => {
    const r = newReplica(2);
    r.step({ type: 'accept', from: 1, ballot: ballot(1, 1), commitIndex: 3, entries: [] });
    assert.deepEqual(
      messagesOf(drain(r).messages, 'catchup-request').map((m) => m.message.fromSlot),
      [1],
    );
    r.step({ type: 'catchup-reply', from: 1, commitIndex: 3, entries: [{ slot: 1, value: 'a' }] });
    assert.deepEqual(
      messagesOf(drain(r).messages, 'catchup-request').map((m) => m.message.fromSlot),
      [2],
    );
    r.step({
      type: 'catchup-reply',
      from: 1,
      commitIndex: 3,
      entries: [
        { slot: 2, value: 'b' },
        { slot: 3, value: 'c' },
      ],
    });
    assert.deepEqual(messagesOf(drain(r).messages, 'catchup-request'), []);
    assert.equal(r.commitIndex, 3);
  });

  test('a catch-up reply carries only chosen entries from the asked slot, at most entriesPerMessageMax of them', () => {
    const log = [1, 2, 3, 4, 5].map((s) => logEntry(s, ballot(1, 1), `v${s}`, true));
    log.push(logEntry(6, ballot(1, 1), 'v6'));
    const r = newReplica(1, { log, settings: { entriesPerMessageMax: 2 } });
    assert.equal(r.commitIndex, 5);
    const ask = (fromSlot: number) => {
      r.step({ type: 'catchup-request', from: 2, fromSlot });
      return messagesOf(drain(r).messages, 'catchup-reply')[0]?.message;
    };
    assert.deepEqual(ask(2), {
      type: 'catchup-reply',
      from: 1,
      commitIndex: 5,
      entries: [
        { slot: 2, value: 'v2' },
        { slot: 3, value: 'v3' },
      ],
    });
    assert.deepEqual(ask(5)?.entries, [{ slot: 5, value: 'v5' }]);
    assert.deepEqual(ask(6)?.entries, [], 'slot 6 is not known chosen');
  });

  test('a restarted replica recovers its commit index from persisted chosen entries and hands out only slots above its applied index', () => {
    const g = new Group();
    const leader = g.elect(1);
    for (const v of ['a', 'b', 'c']) leader.propose(v);
    g.settle();
    assert.equal(leader.commitIndex, 3);
    const restarted = g.restart(1, 2);
    assert.equal(restarted.role, 'follower');
    assert.equal(restarted.commitIndex, 3);
    assert.deepEqual(restarted.takeCommitted(), [{ slot: 3, value: 'c' }]);
  });
});

describe('leadership: check quorum and nacks', () => {
  test('a leader that hears from no majority for an election timeout steps down', () => {
    const g = new Group();
    const leader = g.elect(1);
    for (let i = 0; i < 2 * testSettings.electionTicksMin; i++) {
      leader.tick();
      g.dropAll();
    }
    assert.equal(leader.role, 'follower');
    assert.equal(leader.leaderHint, undefined);
    assert.equal(leader.propose('x'), undefined);
  });

  test('a leader that keeps hearing a majority stays leader', () => {
    const g = new Group();
    const leader = g.elect(1);
    for (let i = 0; i < 5 * testSettings.electionTicksMin; i++) {
      leader.tick();
      g.settle((e) => e.to !== 3 && e.from !== 3);
    }
    assert.equal(leader.role, 'leader');
  });

  test('a leader nacked by an acceptor that promised a higher ballot steps down; a nack for another ballot is ignored', () => {
    const g = new Group();
    const leader = g.elect(1);
    leader.step({ type: 'nack', from: 2, ballot: ballot(leader.ballot.round + 5, 1), promised: ballot(9, 3) });
    assert.equal(leader.role, 'leader');
    leader.step({ type: 'nack', from: 2, ballot: leader.ballot, promised: ballot(9, 3) });
    assert.equal(leader.role, 'follower');
  });

  test('a leader that receives an accept from a higher ballot follows its sender', () => {
    const g = new Group();
    const leader = g.elect(1);
    leader.step({ type: 'accept', from: 2, ballot: ballot(9, 2), commitIndex: 0, entries: [] });
    assert.equal(leader.role, 'follower');
    assert.equal(leader.leaderHint, 2);
    assert.deepEqual(drain(leader).promised, ballot(9, 2));
  });
});

describe('invariants', () => {
  test('a chosen entry never changes: a catch-up reply for a chosen slot is ignored', () => {
    const r = newReplica(2, { log: [logEntry(1, ballot(1, 1), 'a', true)] });
    r.step({ type: 'catchup-reply', from: 1, commitIndex: 1, entries: [{ slot: 1, value: 'b' }] });
    assert.equal(r.entry(1)?.value, 'a');
    assert.deepEqual(drain(r).entries, []);
  });

  test('a replica must be a member of its cluster, and clusters have an odd number of members', () => {
    assert.throws(() => newReplica(4), AssertionError);
    assert.throws(() => newReplica(1, { members: [1, 2] }), AssertionError);
  });
});
