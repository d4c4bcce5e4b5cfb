import { isMoveMessage } from '../../src/protocol/moves.js';
/**
 * Issue 10, bug 1: a cross-shard decision chosen after the client's later requests rewound the
 * client's session, and a retry of those later requests then ran again (money destroyed when
 * it was cross-shard). Also the participant's answers to a PREPARE or COMMIT of a transaction
 * it already decided, and what coordinator session eviction does to a stale query.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Command, Outcome } from '../../src/protocol/commands.js';
import { decodeEnvelope, encodeEnvelope } from '../../src/codec/envelope.js';
import type { Envelope } from '../../src/protocol/envelope.js';
import { decodeCoordinatorRecord } from '../../src/codec/ledger-codec.js';
import type { ShardServer } from '../../src/ledger/shard-server.js';
import type { Response } from '../../src/protocol/client.js';
import { LedgerState } from '../../src/ledger/state.js';
import { TwoPcDriver, type DriverHost, type TwoPcEvent, type TwoPcSettings } from '../../src/twopc/driver.js';
import type { TwoPcMessage } from '../../src/protocol/twopc.js';
import { singleMemberLeader } from './helpers/single-member-shard.js';

const transfer = (c: string, seq: number, from: number, to: number, amount: number): Command => ({
  clientId: c,
  seq,
  op: { kind: 'transfer', from, to, amount },
});
const prepareC = (c: string, seq: number, from: number, to: number, amount: number): Command => ({
  clientId: c,
  seq,
  op: { kind: 'x-prepare-coordinator', from, to, amount, participant: 2 },
});
const decideC = (c: string, seq: number, decision: 'commit' | 'abort'): Command => ({
  clientId: c,
  seq,
  op: { kind: 'x-decide', role: 'coordinator', decision, peer: 2 },
});
const end = (c: string, seq: number): Command => ({ clientId: c, seq, op: { kind: 'x-end' } });

function state(sessionsMax?: number): LedgerState {
  return new LedgerState({
    balances: new Map([
      [1, 100],
      [2, 100],
      [3, 100],
    ]),
    appliedIndex: 0,
    ...(sessionsMax === undefined ? {} : { sessionsMax }),
  });
}

function applyEach(s: LedgerState, ...commands: Command[]): Array<Outcome | undefined> {
  return commands.map((c) => s.applySlot(s.appliedIndex + 1, [c])[0]?.outcome);
}

describe('LedgerState: a session never moves backward', () => {
  test('a late decision of (S,5) after (S,6) ran leaves the session at 6: a retry of (S,6) is answered, not run again', () => {
    const s = state();
    applyEach(s, prepareC('S', 5, 1, 9, 10)); // T1 prepared, its decision delayed
    assert.deepEqual(applyEach(s, transfer('S', 6, 2, 3, 7)), [{ status: 'committed' }]); // T2
    assert.deepEqual(
      applyEach(s, decideC('S', 5, 'commit')),
      [{ status: 'committed' }],
      'T1 still answers its waiting client',
    );
    assert.equal(s.sessionOf('S')?.seq, 6, 'the session stays at T2');
    assert.deepEqual(
      applyEach(s, transfer('S', 6, 2, 3, 7)),
      [{ status: 'committed' }],
      'the retry of T2 is answered from the session',
    );
    assert.deepEqual([s.balanceOf(1), s.balanceOf(2), s.balanceOf(3)], [90, 93, 107], 'T2 moved 7 once');
  });

  test('a retry of the older (S,5) gets its own outcome from the record, and stale-sequence once the record is gone (never a made-up outcome)', () => {
    const s = state();
    applyEach(s, prepareC('S', 5, 1, 9, 10), transfer('S', 6, 2, 3, 7), decideC('S', 5, 'abort'));
    assert.deepEqual(
      applyEach(s, prepareC('S', 5, 1, 9, 10)),
      [{ status: 'aborted', reason: 'participant-aborted' }],
      'a re-proposed PREPARE finds it decided',
    );
    assert.equal(s.sessionOf('S')?.seq, 6);
    assert.deepEqual(s.priorOutcome('S', 5), {
      outcome: { status: 'aborted', reason: 'participant-aborted' },
      slot: undefined,
    });
    assert.equal(s.balanceOf(1), 100, 'the abort undid the debit once, and the repeat debited nothing');
    applyEach(s, end('S', 5));
    assert.deepEqual(applyEach(s, prepareC('S', 5, 1, 9, 10)), [{ status: 'rejected', reason: 'stale-sequence' }]);
    assert.equal(s.balanceOf(1), 100);
  });

  test('a repeat reports the slot its command took effect in', () => {
    const s = state();
    applyEach(s, transfer('S', 1, 1, 2, 5));
    const [repeat] = s.applySlot(2, [transfer('S', 1, 1, 2, 5)]);
    assert.equal(repeat?.executedIn, 1);
  });
});

function singleMember(cluster: number, accounts: number[]): ShardServer {
  return singleMemberLeader(
    cluster,
    accounts.map((a) => [a, 100]),
    {
      clusterOfAccount: (a: number) => (a <= 3 ? 1 : a <= 6 ? 2 : undefined),
      twoPc: { lockWaitTicks: 50, voteTimeoutTicks: 1000, resendTicks: 1000, queryTicks: 1000 },
    },
  );
}

/** Runs the server's ready loop; returns the replies and the 2PC messages it sent. */
function drain(s: ShardServer): { replies: Map<number, Response>; sent: TwoPcMessage[] } {
  const replies = new Map<number, Response>();
  const sent: TwoPcMessage[] = [];
  for (s.propose(); s.hasReady(); s.propose()) {
    const rd = s.ready();
    for (const r of rd.replies) replies.set(r.reqId, r.response);
    for (const m of rd.twoPc) if (!isMoveMessage(m.message)) sent.push(m.message);
    s.advance();
  }
  return { replies, sent };
}

describe('ShardServer: the bug 1 scenario through requests', () => {
  test('(S,5) cross-shard decided after (S,6) committed: a retry of (S,6) does not execute it again', () => {
    const c = singleMember(1, [1, 2, 3]);
    c.request({ reqId: 1, command: transfer('S', 5, 1, 4, 10), hops: 0 }); // cross-shard T1
    const sent = drain(c).sent;
    assert.equal(sent[0]?.type, 'prepare', 'T1 prepared; the client gives up waiting');
    c.request({ reqId: 2, command: transfer('S', 6, 2, 3, 7), hops: 0 }); // T2, intra-shard
    assert.deepEqual((drain(c).replies.get(2) as Extract<Response, { kind: 'outcome' }>).outcome, {
      status: 'committed',
    });
    c.stepTwoPc({ type: 'vote', txn: { clientId: 'S', seq: 5 }, participant: 2, vote: 'yes' }); // the late decision
    drain(c);
    c.request({ reqId: 3, command: transfer('S', 6, 2, 3, 7), hops: 0 }); // T2's retry
    const retry = drain(c).replies.get(3) as Extract<Response, { kind: 'outcome' }>;
    assert.deepEqual(retry.outcome, { status: 'committed' });
    assert.deepEqual([c.state.balanceOf(1), c.state.balanceOf(2), c.state.balanceOf(3)], [90, 93, 107], 'T2 ran once');
    c.request({ reqId: 4, command: transfer('S', 5, 1, 4, 10), hops: 0 }); // T1's retry
    assert.deepEqual(
      (drain(c).replies.get(4) as Extract<Response, { kind: 'outcome' }>).outcome,
      { status: 'committed' },
      "T1's own outcome",
    );
  });
});

interface Host extends DriverHost {
  now: number;
  proposed: Command[];
  sent: Array<{ to: number; message: TwoPcMessage }>;
  events: TwoPcEvent[];
  state: LedgerState;
}

const settings: TwoPcSettings = { lockWaitTicks: 5, voteTimeoutTicks: 50, resendTicks: 10, queryTicks: 30 };

function host(cluster: number, accounts: number[], sessionsMax = 1000): Host {
  const h: Host = {
    cluster,
    now: 0,
    recoveredUpTo: undefined,
    proposed: [],
    sent: [],
    events: [],
    state: new LedgerState({ balances: new Map(accounts.map((a) => [a, 100])), appliedIndex: 0, sessionsMax }),
    propose: (c) => void h.proposed.push(c),
    send: (to, message) => void h.sent.push({ to, message }),
    event: (e) => void h.events.push(e),
    answer: () => undefined,
  };
  return h;
}

/** Chooses (applies) what the driver proposed, and tells it. */
function choose(h: Host, d: TwoPcDriver, ...extra: Command[]): void {
  const commands = [...extra, ...h.proposed];
  h.proposed = [];
  if (commands.length === 0) return;
  h.state.applySlot(h.state.appliedIndex + 1, commands);
  for (const c of commands) d.onApplied(c);
}

/** Delivers messages both ways and chooses proposals until nothing moves; `drop` filters. */
function pump(
  a: Host,
  da: TwoPcDriver,
  b: Host,
  db: TwoPcDriver,
  drop: (m: TwoPcMessage) => boolean = () => false,
): void {
  for (let i = 0; i < 20; i++) {
    for (const [from, to, dto] of [
      [a, b, db],
      [b, a, da],
    ] as const) {
      const sent = from.sent;
      from.sent = [];
      for (const x of sent) if (x.to === to.cluster && !drop(x.message)) dto.onMessage(x.message);
    }
    choose(a, da);
    choose(b, db);
  }
}

function tickBoth(
  a: Host,
  da: TwoPcDriver,
  b: Host,
  db: TwoPcDriver,
  ticks: number,
  drop?: (m: TwoPcMessage) => boolean,
): void {
  for (let t = 0; t < ticks; t++) {
    a.now++;
    b.now++;
    da.onTick();
    db.onTick();
    pump(a, da, b, db, drop);
  }
}

const money = (...hs: Host[]) => hs.reduce((sum, h) => sum + h.state.total(), 0);

describe('Two-Phase Commit: the cross-shard form of bug 1', () => {
  test('a late decision of (S,5), then a re-proposed PREPARE of the committed cross-shard (S,6): money is conserved', () => {
    const c = host(1, [1, 2, 3]);
    const dc = new TwoPcDriver(c, settings);
    const p = host(2, [4, 5, 6]);
    const dp = new TwoPcDriver(p, settings);
    choose(c, dc, prepareC('S', 5, 1, 4, 10)); // T1: its messages are lost for now
    c.sent = [];
    choose(c, dc, prepareC('S', 6, 2, 5, 7)); // T2 runs to its end
    pump(c, dc, p, dp);
    assert.equal(c.state.twoPc.coordinatorRecord('S#6'), undefined, 'T2 ended');
    choose(c, dc, decideC('S', 5, 'abort')); // T1's late decision
    pump(c, dc, p, dp);
    choose(c, dc, prepareC('S', 6, 2, 5, 7)); // a leader re-proposes T2's PREPARE (a retry)
    pump(c, dc, p, dp);
    tickBoth(c, dc, p, dp, 100);
    assert.equal(money(c, p), 600, 'money is conserved');
    assert.deepEqual([c.state.balanceOf(2), p.state.balanceOf(5)], [93, 107], 'T2 moved 7 once');
  });

  test('a PREPARE for a transaction the participant committed gets a no vote (duplicate), so a coordinator that prepared it again undoes its debit', () => {
    const c = host(1, [1, 2, 3], 1); // one session kept: the coordinator forgets T's session
    const dc = new TwoPcDriver(c, settings);
    const p = host(2, [4, 5, 6]);
    const dp = new TwoPcDriver(p, settings);
    choose(c, dc, prepareC('S', 1, 1, 4, 10));
    pump(c, dc, p, dp);
    choose(c, dc, transfer('X', 1, 2, 3, 1)); // evicts S's session at the coordinator
    assert.equal(c.state.sessionOf('S'), undefined, 'precondition: S forgotten by the coordinator');
    choose(c, dc, prepareC('S', 1, 1, 4, 10)); // a retry arriving after that runs again here
    pump(c, dc, p, dp);
    assert.equal(c.state.twoPc.coordinatorRecord('S#1'), undefined, 'the second attempt ended');
    assert.equal(money(c, p), 600, 'no debit without its credit');
    assert.deepEqual([c.state.balanceOf(1), p.state.balanceOf(4)], [90, 110], 'moved once');
  });

  test('a COMMIT for a transaction the participant refused is not applied and not acknowledged', () => {
    const p = host(2, [4, 5, 6]);
    const dp = new TwoPcDriver(p, settings);
    p.state.applySlot(1, [
      {
        clientId: 'S',
        seq: 1,
        op: { kind: 'x-prepare-participant', to: 4, amount: 10, coordinator: 1, abort: 'locked' },
      },
    ]);
    dp.onMessage({ type: 'decision', txn: { clientId: 'S', seq: 1 }, coordinator: 1, decision: 'commit' });
    assert.deepEqual(p.sent, []);
    assert.deepEqual(p.proposed, []);
    assert.deepEqual(p.events, ['participant:decision-refused']);
    assert.equal(p.state.balanceOf(4), 100);
  });
});

describe('eviction suspicions (issue 10, bug 6)', () => {
  test('after the coordinator evicted the session of a committed transfer, a stale query undoes nothing: the commit stands on both sides', () => {
    const c = host(1, [1, 2, 3], 1);
    const dc = new TwoPcDriver(c, settings);
    const p = host(2, [4, 5, 6], 1);
    const dp = new TwoPcDriver(p, settings);
    choose(c, dc, prepareC('S', 1, 1, 4, 10));
    pump(c, dc, p, dp);
    assert.equal(p.state.twoPc.participantRecord('S#1')?.state, 'committed');
    choose(c, dc, transfer('X', 1, 2, 3, 1)); // evicts S's session
    const staleQuery: TwoPcMessage = { type: 'query', txn: { clientId: 'S', seq: 1 }, participant: 2 };
    dc.onMessage(staleQuery);
    pump(c, dc, p, dp);
    assert.deepEqual([c.state.balanceOf(1), p.state.balanceOf(4)], [90, 110], 'the commit stands on both sides');
    assert.equal(money(c, p), 600);
    // The presumed abort is a tombstone (parallel commit: a PREPARE of S#1 still on its way must
    // never be chosen after it), so it records S#1 aborted in the session. Here S#1 had
    // committed, but its session was pushed out by sessionsMax other clients: past the
    // exactly-once bound (docs/transfers.md), where a retry may be told a made-up outcome.
    assert.deepEqual(c.state.sessionOf('S')?.outcome, { status: 'aborted', reason: 'timeout' });
  });
});

describe('eviction suspicion: a PREPARE copy after the participant forgot a committed transaction', () => {
  test('the coordinator still holds the committed record (the ack was lost): a late PREPARE copy does not credit twice', () => {
    const c = host(1, [1, 2, 3]);
    const dc = new TwoPcDriver(c, settings);
    const p = host(2, [4, 5, 6], 1); // the participant keeps a single decided record
    const dp = new TwoPcDriver(p, settings);
    const isAck = (m: TwoPcMessage) => m.type === 'ack';
    choose(c, dc, prepareC('A', 1, 1, 4, 10));
    const late = c.sent.find((x) => x.message.type === 'prepare')?.message as TwoPcMessage;
    pump(c, dc, p, dp, isAck); // A commits on both sides; every ack is lost
    assert.equal(c.state.twoPc.coordinatorRecord('A#1')?.state, 'committed');
    choose(c, dc, prepareC('X', 1, 2, 5, 10));
    pump(c, dc, p, dp, isAck); // X's decided record evicts A's at the participant
    assert.equal(p.state.twoPc.participantRecord('A#1'), undefined, 'precondition: A#1 forgotten by the participant');
    dp.onMessage(late);
    tickBoth(c, dc, p, dp, 200); // acks flow again from here on
    assert.equal(p.state.balanceOf(4), 110, 'A credited account 4 once');
    assert.equal(money(c, p), 600, 'money is conserved');
  });
});

describe('LedgerState: a commit names the preparation it commits', () => {
  const prepareP = (slotAbort?: string): Command => ({
    clientId: 'A',
    seq: 1,
    op: {
      kind: 'x-prepare-participant',
      to: 1,
      amount: 10,
      coordinator: 1,
      ...(slotAbort === undefined ? {} : { abort: slotAbort }),
    },
  });
  const commitP = (prepareSlot: number): Command => ({
    clientId: 'A',
    seq: 1,
    op: { kind: 'x-decide', role: 'participant', decision: 'commit', peer: 1, prepareSlot },
  });

  test('a commit of the preparation held credits it', () => {
    const s = state();
    applyEach(s, prepareP(), commitP(1));
    assert.equal(s.twoPc.participantRecord('A#1')?.state, 'committed');
    assert.equal(s.balanceOf(1), 110);
  });

  test('a commit of another (earlier, forgotten) preparation undoes the one held: superseded', () => {
    const s = state();
    applyEach(s, transfer('X', 1, 2, 3, 1), prepareP(), commitP(1));
    assert.equal(s.twoPc.participantRecord('A#1')?.state, 'aborted');
    assert.equal(s.twoPc.participantRecord('A#1')?.reason, 'superseded');
    assert.equal(s.balanceOf(1), 100);
    assert.equal(s.twoPc.lockCount, 0);
  });
});

describe('the preparation a commit names survives the wire and the disk', () => {
  const samples: Envelope[] = [
    {
      kind: '2pc',
      fromCluster: 2,
      generation: 0,
      message: { type: 'vote', txn: { clientId: 'A', seq: 1 }, participant: 2, vote: 'yes', prepareSlot: 17 },
    },
    {
      kind: '2pc',
      fromCluster: 1,
      generation: 0,
      message: {
        type: 'decision',
        txn: { clientId: 'A', seq: 1 },
        coordinator: 1,
        decision: 'commit',
        prepareSlot: 17,
      },
    },
    {
      kind: 'paxos',
      cluster: 1,
      generation: 0,
      message: {
        type: 'accept',
        from: 1,
        ballot: { round: 1, node: 1 },
        commitIndex: 0,
        entries: [
          {
            slot: 1,
            value: [
              {
                clientId: 'A',
                seq: 1,
                op: { kind: 'x-decide', role: 'coordinator', decision: 'commit', peer: 2, prepareSlot: 17 },
              },
            ],
          },
        ],
      },
    },
  ];
  for (const sample of samples) {
    test(`prepareSlot round-trips in ${sample.kind === '2pc' ? sample.message.type : 'a chosen x-decide'}`, () => {
      assert.deepEqual(decodeEnvelope(encodeEnvelope(sample)), sample);
    });
  }

  test('prepareSlot round-trips in a coordinator record', () => {
    const record = {
      clientId: 'A',
      seq: 1,
      from: 1,
      to: 4,
      amount: 10,
      participant: 2,
      state: 'committed' as const,
      prepareSlot: 17,
    };
    assert.deepEqual(decodeCoordinatorRecord(JSON.parse(JSON.stringify(record)), 'record'), record);
  });
});

describe('a second preparation undone as superseded', () => {
  test('the resent commit is acknowledged, so the coordinator can forget the transaction', () => {
    const p = host(2, [4, 5, 6]);
    const dp = new TwoPcDriver(p, settings);
    const commitA = {
      clientId: 'A',
      seq: 1,
      op: {
        kind: 'x-decide' as const,
        role: 'participant' as const,
        decision: 'commit' as const,
        peer: 1,
        prepareSlot: 99,
      },
    };
    choose(p, dp, { clientId: 'A', seq: 1, op: { kind: 'x-prepare-participant', to: 4, amount: 10, coordinator: 1 } });
    choose(p, dp, commitA); // names preparation 99, not this one (slot 1): superseded
    assert.equal(p.state.twoPc.participantRecord('A#1')?.reason, 'superseded');
    p.sent = [];
    dp.onMessage({
      type: 'decision',
      txn: { clientId: 'A', seq: 1 },
      coordinator: 1,
      decision: 'commit',
      prepareSlot: 99,
    });
    assert.deepEqual(p.sent, [{ to: 1, message: { type: 'ack', txn: { clientId: 'A', seq: 1 }, participant: 2 } }]);
    assert.equal(p.state.balanceOf(4), 100);
  });
});

describe('a late PREPARE copy refused (locked) after the participant forgot a committed transaction', () => {
  test('the coordinator still holds the committed record (ack lost): its resent commit is acknowledged, so the transaction ends', () => {
    const c = host(1, [1, 2, 3]);
    const dc = new TwoPcDriver(c, settings);
    const p = host(2, [4, 5, 6], 1); // the participant keeps a single decided record
    const dp = new TwoPcDriver(p, settings);
    const isAck = (m: TwoPcMessage) => m.type === 'ack';
    choose(c, dc, prepareC('A', 1, 1, 4, 10));
    const late = c.sent.find((x) => x.message.type === 'prepare')?.message as TwoPcMessage;
    pump(c, dc, p, dp, isAck); // A commits on both sides; every ack is lost
    choose(c, dc, prepareC('X', 1, 2, 5, 10));
    pump(c, dc, p, dp, isAck); // X's decided record evicts A's at the participant
    assert.equal(p.state.twoPc.participantRecord('A#1'), undefined, 'precondition: A#1 forgotten by the participant');
    // Y holds account 4 prepared at the participant (its vote is slow).
    choose(c, dc, prepareC('Y', 1, 3, 4, 1));
    pump(c, dc, p, dp, (m) => m.type === 'ack' || m.type === 'vote');
    assert.equal(p.state.twoPc.participantRecord('Y#1')?.state, 'prepared', 'precondition: account 4 locked by Y');
    dp.onMessage(late); // the late copy of A's PREPARE: prepared again, refused as locked
    choose(p, dp);
    assert.equal(
      p.state.twoPc.participantRecord('A#1')?.reason,
      'locked',
      'precondition: the second preparation was refused',
    );
    tickBoth(c, dc, p, dp, 300); // everything flows from here on
    assert.equal(p.state.balanceOf(4), 111, 'A (10) and Y (1) credited account 4 once each');
    assert.equal(money(c, p), 600, 'money is conserved');
    assert.ok(!p.events.includes('participant:decision-refused'), "the coordinator's genuine commit was refused");
    assert.equal(
      c.state.twoPc.coordinatorRecord('A#1'),
      undefined,
      'the coordinator never forgets A#1: it resends its commit forever',
    );
  });
});
