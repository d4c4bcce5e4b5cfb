import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ClusterId, NodeId } from '../../src/protocol/ids.js';
import { SeededRandom } from '../../src/core/random.js';
import { ShardServer, type ShardServerInit } from '../../src/ledger/shard-server.js';
import { ballotZero } from '../../src/paxos/ballot.js';
import { roundJumpMax, slotsAheadMax } from '../../src/paxos/message-bounds.js';
import type { TwoPcMessage } from '../../src/protocol/twopc.js';
import { ballot, drain, Group, messagesOf, newReplica, testSettings } from './helpers/replica-harness.js';

/**
 * Forged or absurd protocol messages (issue 10, bug 5): shapes are checked at decode, values
 * against what the receiver knows here. A refused message changes nothing and is counted.
 */

describe('Paxos messages out of range are refused and counted', () => {
  test('a prepare whose round jumps past every round seen by more than roundJumpMax, or whose ballot names a non-member, gets no promise', () => {
    const r = newReplica(2);
    r.step({ type: 'prepare', from: 1, ballot: ballot(roundJumpMax + 1, 1) });
    r.step({ type: 'prepare', from: 1, ballot: ballot(3, 99) });
    assert.deepEqual(drain(r).messages, []);
    assert.equal(r.promisedBallot.round, 0);
    assert.deepEqual(Object.fromEntries(r.refusals), { 'ballot-round-out-of-range': 1, 'ballot-of-a-non-member': 1 });
    r.step({ type: 'prepare', from: 1, ballot: ballot(roundJumpMax, 1) });
    assert.equal(messagesOf(drain(r).messages, 'promise').length, 1, 'the bound itself is taken');
  });

  test('a message from a non-member is refused and counted; our own broadcast coming back is not a refusal', () => {
    const r = newReplica(2);
    r.step({ type: 'prepare', from: 7, ballot: ballot(1, 7) });
    r.step({ type: 'prepare', from: 2, ballot: ballot(1, 2) });
    assert.deepEqual(drain(r).messages, []);
    assert.deepEqual(Object.fromEntries(r.refusals), { 'sender-not-a-member': 1 });
  });

  test('an accept carrying a slot far above the commit index stores and acknowledges only the slots in range, and the sender is still followed', () => {
    const r = newReplica(2);
    r.step({
      type: 'accept',
      from: 1,
      ballot: ballot(1, 1),
      commitIndex: 0,
      entries: [
        { slot: 1, value: 'x' },
        { slot: slotsAheadMax + 1, value: 'far' },
      ],
    });
    const accepted = messagesOf(drain(r).messages, 'accepted')[0];
    assert.deepEqual(accepted?.message.slots, [1]);
    assert.equal(r.entry(slotsAheadMax + 1), undefined);
    assert.equal(r.lastSlot, 1);
    assert.equal(r.leaderHint, 1);
    assert.equal(r.refusals.get('slot-out-of-range'), 1);
  });

  test('a promise reporting a slot far ahead is not counted, so the NEW-VIEW never loops up to it', () => {
    const g = new Group([1, 2, 3]);
    const candidate = g.get(1);
    for (let i = 0; i < 100 && candidate.role === 'follower'; i++) candidate.tick();
    g.collect();
    g.inFlight = [];
    candidate.step({ type: 'prevote-reply', from: 2, attempt: 1, granted: true });
    const prepare = messagesOf(drain(candidate).messages, 'prepare')[0];
    assert.ok(prepare);
    const b = prepare.message.ballot;
    candidate.step({
      type: 'promise',
      from: 2,
      ballot: b,
      commitIndex: 0,
      entries: [{ slot: 2 ** 40, ballot: ballot(1, 2), value: 'far', chosen: false }],
    });
    assert.equal(candidate.role, 'candidate');
    candidate.step({ type: 'promise', from: 3, ballot: b, commitIndex: 2 ** 40, entries: [] });
    assert.equal(candidate.role, 'candidate');
    assert.equal(candidate.refusals.get('slot-out-of-range'), 2);
    candidate.step({
      type: 'promise',
      from: 3,
      ballot: b,
      commitIndex: 0,
      entries: [{ slot: 3, ballot: ballot(1, 2), value: 'y', chosen: false }],
    });
    assert.equal(candidate.role, 'leader');
    assert.equal(candidate.lastSlot, 3, 'the NEW-VIEW covers the slots in range only');
  });

  test('a catch-up reply may not hand out slots above the commit index it states', () => {
    const r = newReplica(2);
    r.step({
      type: 'catchup-reply',
      from: 1,
      commitIndex: 1,
      entries: [
        { slot: 1, value: 'a' },
        { slot: 2, value: 'b' },
      ],
    });
    assert.equal(r.commitIndex, 1);
    assert.equal(r.entry(2), undefined);
    assert.equal(r.refusals.get('slot-out-of-range'), 1);
  });

  test('a nack whose promised ballot names a non-member deposes nobody', () => {
    const g = new Group([1, 2, 3]);
    const leader = g.elect(1);
    leader.step({ type: 'nack', from: 2, ballot: leader.ballot, promised: ballot(leader.ballot.round + 1, 42) });
    assert.equal(leader.role, 'leader');
    assert.equal(leader.refusals.get('ballot-of-a-non-member'), 1);
  });
});

/** A single-member participant cluster 2 (accounts 7-9, 10 each) in a deployment of 3 clusters
 *  with 90 units of money in all. */
function participantInit(): ShardServerInit {
  return {
    self: 4 as NodeId,
    members: [4],
    settings: testSettings,
    random: new SeededRandom(4),
    cluster: 2,
    clusterOfAccount: (a) => (a >= 1 && a <= 9 ? (Math.ceil(a / 3) as ClusterId) : undefined),
    twoPc: { lockWaitTicks: 5, voteTimeoutTicks: 60, resendTicks: 10, queryTicks: 30 },
    twoPcBounds: { clusters: 3, moneyTotal: 90 },
    checkpoint: { intervalSlots: 1000, logTailSlots: 1000 },
    promised: ballotZero,
    log: [],
    appliedIndex: 0,
    balances: new Map([
      [7, 10],
      [8, 10],
      [9, 10],
    ]),
    sessions: [],
  };
}

function participant(): ShardServer {
  const s = new ShardServer(participantInit());
  for (let i = 0; i < 100 && !s.replica.isServing; i++) {
    s.tick();
    s.propose();
    s.ready();
    s.advance();
  }
  assert.ok(s.replica.isServing);
  return s;
}

function prepare(coordinator: number, amount: number, to = 8): TwoPcMessage {
  return { type: 'prepare', txn: { clientId: 'c', seq: 1 }, coordinator, to, amount };
}

describe('2PC messages out of range are refused and counted', () => {
  for (const [name, message, from, reason] of [
    ['a PREPARE naming a cluster that does not exist', prepare(99, 1), 99, 'cluster-out-of-range'],
    ['a PREPARE from this very cluster', prepare(2, 1), 2, 'cluster-out-of-range'],
    ['a PREPARE naming another coordinator than the cluster that sent it', prepare(3, 1), 1, 'cluster-not-the-sender'],
    ['a PREPARE of 2^53-1 units', prepare(1, Number.MAX_SAFE_INTEGER), 1, 'amount-out-of-range'],
    ['a PREPARE that would leave a balance above all the money there is', prepare(1, 81), 1, 'amount-out-of-range'],
    [
      'a decision naming a cluster that does not exist',
      { type: 'decision', txn: { clientId: 'c', seq: 1 }, coordinator: 99, decision: 'commit' },
      99,
      'cluster-out-of-range',
    ],
  ] as Array<[string, TwoPcMessage, number, string]>) {
    test(`${name}: no record, no lock, no vote`, () => {
      const s = participant();
      s.stepTwoPc(message, from);
      s.propose();
      const rd = s.ready();
      s.advance();
      assert.deepEqual(rd.twoPc, []);
      assert.equal(s.pendingCommands, 0, 'nothing proposed');
      assert.equal(s.state.twoPc.participantRecord('c#1'), undefined);
      assert.equal(s.state.twoPc.lockCount, 0);
      assert.equal(s.refusals().get(reason), 1);
    });
  }

  test('a PREPARE in range from its coordinator is prepared (the largest credit that fits)', () => {
    const s = participant();
    s.stepTwoPc(prepare(1, 80), 1);
    s.propose();
    s.ready();
    s.advance();
    assert.equal(s.state.twoPc.participantRecord('c#1')?.state, 'prepared');
    assert.equal(s.state.balanceOf(8), 90);
    assert.equal(s.refusals().size, 0);
  });

  test('a snapshot that does not hold exactly the accounts of the shard is refused, not asserted on', () => {
    const chunk = {
      type: 'snapshot' as const,
      from: 5,
      appliedIndex: 50,
      chunk: 0,
      chunks: 1,
      balances: [
        [7, 10],
        [8, 10],
        [9, 10],
        [10, 10],
      ] as Array<[number, number]>,
      sessions: [],
      coordinatorRecords: [],
      participantRecords: [],
    };
    const s3 = new ShardServer({ ...participantInit(), members: [4, 5, 6] });
    s3.step(chunk);
    s3.step({
      ...chunk,
      appliedIndex: 51,
      balances: [
        [7, 10],
        [8, 10],
        [9, 2 ** 40],
      ],
    });
    assert.equal(s3.state.appliedIndex, 0);
    assert.equal(s3.refusals().get('snapshot-out-of-range'), 2);
    s3.step({
      ...chunk,
      appliedIndex: 52,
      balances: [
        [7, 5],
        [8, 15],
        [9, 10],
      ],
    });
    assert.equal(s3.state.appliedIndex, 52, 'a snapshot in range is installed');
  });
});
