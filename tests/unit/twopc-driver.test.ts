import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Command, Outcome } from '../../src/protocol/commands.js';
import { LedgerState } from '../../src/ledger/state.js';
import { TwoPcDriver, type DriverHost, type TwoPcEvent, type TwoPcSettings } from '../../src/twopc/driver.js';
import type { TwoPcMessage, TxnId } from '../../src/protocol/twopc.js';

/**
 * The leader's side of Two-Phase Commit, driven by hand: a fake host records what the driver
 * proposes, sends and marks, over a real LedgerState that the tests apply chosen commands to.
 */

const settings: TwoPcSettings = { lockWaitTicks: 5, voteTimeoutTicks: 50, resendTicks: 10, queryTicks: 30 };

class FakeHost implements DriverHost {
  readonly state: LedgerState;
  now = 0;
  /** By default every PREPARE here was chosen in the leader's own term (it recovered nothing):
   *  a yes is answered at once, and silence aborts. A test of a recovered PREPARE sets more. */
  recoveredUpTo: number | undefined = 0;
  proposed: Command[] = [];
  sent: Array<{ to: number; message: TwoPcMessage }> = [];
  events: TwoPcEvent[] = [];
  answers: Array<{ key: string; outcome: Outcome }> = [];

  constructor(
    readonly cluster: number,
    accounts: Array<[number, number]>,
  ) {
    this.state = new LedgerState({ balances: new Map(accounts), appliedIndex: 0 });
  }

  /** The operation kinds (and a decision's role and outcome) proposed to wait for company. */
  waitingForCompany: string[] = [];

  propose(command: Command, waitForCompany?: boolean): void {
    this.proposed.push(command);
    const { op } = command;
    if (waitForCompany === true)
      this.waitingForCompany.push(op.kind === 'x-decide' ? `${op.kind}/${op.role}/${op.decision}` : op.kind);
  }

  send(toCluster: number, message: TwoPcMessage): void {
    this.sent.push({ to: toCluster, message });
  }

  event(name: TwoPcEvent): void {
    this.events.push(name);
  }

  answer(txn: TxnId, outcome: Outcome): void {
    this.answers.push({ key: `${txn.clientId}#${txn.seq}`, outcome });
  }

  /** Forgets what was recorded so far. */
  clear(): void {
    this.proposed = [];
    this.sent = [];
    this.events = [];
    this.answers = [];
  }
}

/** A host and its driver. Cluster 1 holds accounts 1-3, cluster 2 accounts 7-9. */
function setup(cluster = 1): { host: FakeHost; driver: TwoPcDriver } {
  const accounts: Array<[number, number]> =
    cluster === 1
      ? [
          [1, 100],
          [2, 100],
          [3, 100],
        ]
      : [
          [7, 100],
          [8, 100],
          [9, 100],
        ];
  const host = new FakeHost(cluster, accounts);
  return { host, driver: new TwoPcDriver(host, settings) };
}

/** Chooses `commands` in the next slot: applies them and tells the driver, as a leader does. */
function choose(host: FakeHost, driver: TwoPcDriver, ...commands: Command[]): void {
  host.state.applySlot(host.state.appliedIndex + 1, commands);
  for (const c of commands) if (c.op.kind.startsWith('x-')) driver.onApplied(c);
}

/** Chooses everything the driver proposed so far (and forgets it). */
function chooseProposed(host: FakeHost, driver: TwoPcDriver): Command[] {
  const proposed = host.proposed;
  host.proposed = [];
  if (proposed.length > 0) choose(host, driver, ...proposed);
  return proposed;
}

function prepareC(clientId: string, seq: number, from: number, to: number, amount: number, participant = 2): Command {
  return { clientId, seq, op: { kind: 'x-prepare-coordinator', from, to, amount, participant } };
}

function prepareP(clientId: string, seq: number, to: number, amount: number, coordinator = 1): Command {
  return { clientId, seq, op: { kind: 'x-prepare-participant', to, amount, coordinator } };
}

const txn = { clientId: 'c1', seq: 1 };

/** Ticks the driver until `host.now` reaches `until` (inclusive). */
function tickTo(host: FakeHost, driver: TwoPcDriver, until: number): void {
  while (host.now < until) {
    host.now++;
    driver.onTick();
  }
}

/** A coordinator whose PREPARE of c1#1 (1 -> 7, 30, participant 2) was chosen at tick 0. */
function preparedCoordinator(): { host: FakeHost; driver: TwoPcDriver } {
  const s = setup(1);
  choose(s.host, s.driver, prepareC('c1', 1, 1, 7, 30));
  s.host.clear();
  return s;
}

/** The operations proposed so far (a function, so an earlier assertion does not narrow it). */
function opsProposed(host: FakeHost): Command['op'][] {
  return host.proposed.map((c) => c.op);
}

function sentOfType<T extends TwoPcMessage['type']>(
  host: FakeHost,
  type: T,
): Array<{ to: number; message: Extract<TwoPcMessage, { type: T }> }> {
  return host.sent.filter(
    (s): s is { to: number; message: Extract<TwoPcMessage, { type: T }> } => s.message.type === type,
  );
}

describe('TwoPcDriver: the coordinator', () => {
  test('once its PREPARE is chosen it marks coordinator:prepare-chosen and sends PREPARE to the participant', () => {
    const { host, driver } = setup(1);
    choose(host, driver, prepareC('c1', 1, 1, 7, 30));
    assert.deepEqual(host.events, ['coordinator:prepare-chosen']);
    assert.deepEqual(host.sent, [
      { to: 2, message: { type: 'prepare', txn, coordinator: 1, to: 7, amount: 30, from: 1, fromEpoch: 0 } },
    ]);
    assert.deepEqual(host.proposed, []);
  });

  test('a PREPARE answered insufficient-funds creates no record: nothing is sent', () => {
    const { host, driver } = setup(1);
    choose(host, driver, prepareC('c1', 1, 1, 7, 500));
    assert.deepEqual(host.sent, []);
    assert.deepEqual(host.events, []);
    driver.onTick();
    assert.deepEqual(host.sent, []);
  });

  test('on a yes vote it answers the client committed at once, proposes a commit decision, and once chosen it sends COMMIT', () => {
    const { host, driver } = preparedCoordinator();
    driver.onMessage({ type: 'vote', txn, participant: 2, vote: 'yes' });
    assert.deepEqual(host.proposed, [
      { clientId: 'c1', seq: 1, op: { kind: 'x-decide', role: 'coordinator', decision: 'commit', peer: 2 } },
    ]);
    assert.deepEqual(host.answers, [{ key: 'c1#1', outcome: { status: 'committed' } }], 'both PREPAREs are chosen');
    assert.deepEqual(host.events, ['coordinator:committed']);
    assert.deepEqual(host.sent, [], 'the participant hears the decision only once it is chosen');
    driver.onMessage({ type: 'vote', txn, participant: 2, vote: 'yes' });
    assert.equal(host.answers.length, 1, 'a repeated yes answers no one twice');
    chooseProposed(host, driver);
    assert.deepEqual(host.events, ['coordinator:committed', 'coordinator:decision-chosen']);
    assert.deepEqual(host.sent, [{ to: 2, message: { type: 'decision', txn, coordinator: 1, decision: 'commit' } }]);
    assert.equal(host.state.twoPc.coordinatorRecord('c1#1')?.state, 'committed');
  });

  test("on a no vote with reason locked it proposes abort 'locked'", () => {
    const { host, driver } = preparedCoordinator();
    driver.onMessage({ type: 'vote', txn, participant: 2, vote: 'no', reason: 'locked' });
    assert.deepEqual(host.proposed, [
      {
        clientId: 'c1',
        seq: 1,
        op: { kind: 'x-decide', role: 'coordinator', decision: 'abort', reason: 'locked', peer: 2 },
      },
    ]);
    chooseProposed(host, driver);
    assert.deepEqual(host.sent, [{ to: 2, message: { type: 'decision', txn, coordinator: 1, decision: 'abort' } }]);
    assert.deepEqual(host.state.sessionOf('c1')?.outcome, { status: 'aborted', reason: 'locked' });
    assert.equal(host.state.balanceOf(1), 100);
  });

  test("on a no vote because the receiver is not in the participant's shard (it moved) it proposes abort with that reason, which the client acts on", () => {
    const { host, driver } = preparedCoordinator();
    driver.onMessage({ type: 'vote', txn, participant: 2, vote: 'no', reason: 'account 7 is not in this shard' });
    assert.deepEqual(opsProposed(host), [
      { kind: 'x-decide', role: 'coordinator', decision: 'abort', reason: 'account 7 is not in this shard', peer: 2 },
    ]);
  });

  test("on a no vote for any other reason it proposes abort 'participant-aborted'", () => {
    // A wrong shard naming another account than the receiver is not taken at its word.
    for (const reason of ['account 8 is not in this shard', 'aborted', undefined]) {
      const { host, driver } = preparedCoordinator();
      driver.onMessage(
        reason === undefined
          ? { type: 'vote', txn, participant: 2, vote: 'no' }
          : { type: 'vote', txn, participant: 2, vote: 'no', reason },
      );
      assert.deepEqual(
        opsProposed(host),
        [{ kind: 'x-decide', role: 'coordinator', decision: 'abort', reason: 'participant-aborted', peer: 2 }],
        String(reason),
      );
    }
  });

  test('a vote for an unknown or already decided transaction proposes nothing', () => {
    const { host, driver } = preparedCoordinator();
    driver.onMessage({ type: 'vote', txn: { clientId: 'zz', seq: 1 }, participant: 2, vote: 'yes' });
    driver.onMessage({ type: 'vote', txn: { clientId: 'c1', seq: 2 }, participant: 2, vote: 'yes' });
    assert.deepEqual(host.proposed, []);
    driver.onMessage({ type: 'vote', txn, participant: 2, vote: 'yes' });
    chooseProposed(host, driver);
    host.clear();
    driver.onMessage({ type: 'vote', txn, participant: 2, vote: 'no', reason: 'locked' });
    driver.onMessage({ type: 'vote', txn, participant: 2, vote: 'yes' });
    assert.deepEqual(host.proposed, [], 'decided: a late or repeated vote changes nothing');
  });

  test("with no vote before voteTimeoutTicks it asks the participant for a tombstone (PREPARE orAbort) and aborts only on its no, 'timeout'", () => {
    const { host, driver } = preparedCoordinator();
    host.recoveredUpTo = 1; // chosen in an earlier leader's term, recovered
    tickTo(host, driver, settings.voteTimeoutTicks - 1);
    assert.ok(
      sentOfType(host, 'prepare').every((s) => s.message.orAbort === undefined),
      'a plain PREPARE before the timeout',
    );
    host.clear();
    tickTo(host, driver, settings.voteTimeoutTicks);
    assert.deepEqual(host.sent, [
      {
        to: 2,
        message: { type: 'prepare', txn, coordinator: 1, to: 7, amount: 30, from: 1, fromEpoch: 0, orAbort: true },
      },
    ]);
    tickTo(host, driver, settings.voteTimeoutTicks * 4);
    assert.deepEqual(host.proposed, [], 'silence is no abort: the participant may hold a yes');
    driver.onMessage({ type: 'vote', txn, participant: 2, vote: 'no', reason: 'timeout' });
    assert.deepEqual(opsProposed(host), [
      { kind: 'x-decide', role: 'coordinator', decision: 'abort', reason: 'timeout', peer: 2 },
    ]);
    chooseProposed(host, driver);
    assert.deepEqual(host.state.sessionOf('c1')?.outcome, { status: 'aborted', reason: 'timeout' });
  });

  test('a yes vote after the tombstone request still commits (the participant had prepared)', () => {
    const { host, driver } = preparedCoordinator();
    host.recoveredUpTo = 1; // chosen in an earlier leader's term, recovered
    tickTo(host, driver, settings.voteTimeoutTicks + 1);
    driver.onMessage({ type: 'vote', txn, participant: 2, vote: 'yes', prepareSlot: 4 });
    assert.deepEqual(opsProposed(host), [
      { kind: 'x-decide', role: 'coordinator', decision: 'commit', peer: 2, prepareSlot: 4 },
    ]);
  });

  test("after a 'no-leader' vote it waits past the timeout; the tombstone's no then aborts 'no-quorum'", () => {
    const { host, driver } = preparedCoordinator();
    host.recoveredUpTo = 1; // chosen in an earlier leader's term, recovered
    driver.onMessage({ type: 'vote', txn, participant: 2, vote: 'no', reason: 'no-leader' });
    assert.deepEqual(host.proposed, [], 'a leaderless participant is not a no vote');
    tickTo(host, driver, settings.voteTimeoutTicks * 3);
    assert.deepEqual(host.proposed, [], 'it may have chosen its PREPARE before it lost its leader');
    driver.onMessage({ type: 'vote', txn, participant: 2, vote: 'no', reason: 'timeout' });
    assert.deepEqual(opsProposed(host), [
      { kind: 'x-decide', role: 'coordinator', decision: 'abort', reason: 'no-quorum', peer: 2 },
    ]);
  });

  test('a yes vote after a no-leader vote still commits', () => {
    const { host, driver } = preparedCoordinator();
    driver.onMessage({ type: 'vote', txn, participant: 2, vote: 'no', reason: 'no-leader' });
    tickTo(host, driver, 20);
    driver.onMessage({ type: 'vote', txn, participant: 2, vote: 'yes' });
    assert.deepEqual(opsProposed(host), [{ kind: 'x-decide', role: 'coordinator', decision: 'commit', peer: 2 }]);
  });

  test('it resends PREPARE every resendTicks while prepared', () => {
    const { host, driver } = preparedCoordinator();
    const sentAt: number[] = [];
    for (let t = 1; t < settings.voteTimeoutTicks; t++) {
      host.now = t;
      driver.onTick();
      if (host.sent.length > 0) {
        assert.deepEqual(host.sent, [
          { to: 2, message: { type: 'prepare', txn, coordinator: 1, to: 7, amount: 30, from: 1, fromEpoch: 0 } },
        ]);
        sentAt.push(t);
        host.sent = [];
      }
    }
    assert.deepEqual(sentAt, [10, 20, 30, 40]);
  });

  test('it resends the decision every resendTicks while decided and unacknowledged', () => {
    const { host, driver } = preparedCoordinator();
    host.now = 5;
    driver.onMessage({ type: 'vote', txn, participant: 2, vote: 'yes' });
    chooseProposed(host, driver); // the decision is sent at tick 5
    host.clear();
    const sentAt: number[] = [];
    for (let t = 6; t <= 200; t++) {
      host.now = t;
      driver.onTick();
      for (const s of host.sent) {
        assert.deepEqual(s, { to: 2, message: { type: 'decision', txn, coordinator: 1, decision: 'commit' } });
        sentAt.push(t);
      }
      host.sent = [];
    }
    assert.equal(sentAt[0], 15);
    assert.deepEqual(sentAt.slice(0, 4), [15, 25, 35, 45]);
    assert.equal(sentAt.length, 19, 'a decided transaction never times out: it resends until acknowledged');
    assert.deepEqual(host.proposed, [], 'no abort after voteTimeoutTicks once decided');
  });

  test('an ack of a decided transaction proposes x-end; once chosen, resending stops', () => {
    const { host, driver } = preparedCoordinator();
    driver.onMessage({ type: 'vote', txn, participant: 2, vote: 'yes' });
    chooseProposed(host, driver);
    host.clear();
    driver.onMessage({ type: 'ack', txn, participant: 2 });
    assert.deepEqual(host.proposed, [{ clientId: 'c1', seq: 1, op: { kind: 'x-end' } }]);
    chooseProposed(host, driver);
    assert.equal(host.state.twoPc.coordinatorRecord('c1#1'), undefined);
    host.clear();
    tickTo(host, driver, 100);
    assert.deepEqual(host.sent, []);
  });

  test('an ack of a prepared or unknown transaction proposes nothing', () => {
    const { host, driver } = preparedCoordinator();
    driver.onMessage({ type: 'ack', txn, participant: 2 });
    driver.onMessage({ type: 'ack', txn: { clientId: 'zz', seq: 1 }, participant: 2 });
    assert.deepEqual(host.proposed, []);
  });

  test('a driver that never saw the PREPARE chosen (a new leader) sends it on its first tick and asks for a tombstone at the timeout from then', () => {
    const s = setup(1);
    s.host.recoveredUpTo = 1; // chosen in an earlier leader's term, recovered
    s.host.state.applySlot(1, [prepareC('c1', 1, 1, 7, 30)]); // applied, the driver not told
    s.host.now = 100;
    s.driver.onTick();
    assert.deepEqual(s.host.sent, [
      { to: 2, message: { type: 'prepare', txn, coordinator: 1, to: 7, amount: 30, from: 1, fromEpoch: 0 } },
    ]);
    tickTo(s.host, s.driver, 100 + settings.voteTimeoutTicks - 1);
    assert.ok(sentOfType(s.host, 'prepare').every((m) => m.message.orAbort === undefined));
    s.host.clear();
    tickTo(s.host, s.driver, 100 + settings.voteTimeoutTicks);
    assert.equal(sentOfType(s.host, 'prepare')[0]?.message.orAbort, true);
    assert.deepEqual(s.host.proposed, []);
  });

  test('reset() forgets timers: the PREPARE is resent at once and the vote timeout restarts', () => {
    const { host, driver } = preparedCoordinator();
    host.recoveredUpTo = 1; // chosen in an earlier leader's term, recovered
    tickTo(host, driver, 45);
    host.clear();
    driver.reset();
    tickTo(host, driver, 46);
    assert.deepEqual(sentOfType(host, 'prepare').length, 1, 'resent at once, not at tick 50');
    tickTo(host, driver, 46 + settings.voteTimeoutTicks - 1);
    assert.ok(
      sentOfType(host, 'prepare').every((m) => m.message.orAbort === undefined),
      'the old deadline (tick 50) is forgotten',
    );
    host.clear();
    tickTo(host, driver, 46 + settings.voteTimeoutTicks);
    assert.equal(sentOfType(host, 'prepare')[0]?.message.orAbort, true);
  });

  test('reset() forgets that the participant has no leader', () => {
    const { host, driver } = preparedCoordinator();
    driver.onMessage({ type: 'vote', txn, participant: 2, vote: 'no', reason: 'no-leader' });
    driver.reset();
    tickTo(host, driver, 1 + settings.voteTimeoutTicks);
    driver.onMessage({ type: 'vote', txn, participant: 2, vote: 'no', reason: 'timeout' });
    assert.deepEqual(opsProposed(host), [
      { kind: 'x-decide', role: 'coordinator', decision: 'abort', reason: 'timeout', peer: 2 },
    ]);
  });
});

describe('TwoPcDriver: parallel commit', () => {
  test('admitting a PREPARE sends it to the participant at once, before it is chosen', () => {
    const { host, driver } = setup(1);
    driver.onAdmitted(prepareC('c1', 1, 1, 7, 30));
    assert.deepEqual(host.events, ['coordinator:prepare-proposed']);
    assert.deepEqual(host.sent, [
      { to: 2, message: { type: 'prepare', txn, coordinator: 1, to: 7, amount: 30, from: 1, fromEpoch: 0 } },
    ]);
    host.clear();
    choose(host, driver, prepareC('c1', 1, 1, 7, 30));
    assert.deepEqual(host.sent, [], 'already sent: not again when chosen');
    assert.deepEqual(host.events, ['coordinator:prepare-chosen']);
  });

  test('an early PREPARE is resent only resendTicks after its apply, not at the next tick', () => {
    const { host, driver } = setup(1);
    driver.onAdmitted(prepareC('c1', 1, 1, 7, 30));
    choose(host, driver, prepareC('c1', 1, 1, 7, 30));
    host.clear();
    tickTo(host, driver, settings.resendTicks - 1);
    assert.deepEqual(sentOfType(host, 'prepare'), [], 'the vote may be on its way');
    tickTo(host, driver, settings.resendTicks);
    assert.deepEqual(
      sentOfType(host, 'prepare').map((s) => s.to),
      [2],
    );
  });

  test('a PREPARE chosen for another participant than the early one went to is sent to its own at once', () => {
    const { host, driver } = setup(1);
    driver.onAdmitted(prepareC('c1', 1, 1, 7, 30, 2));
    host.clear();
    choose(host, driver, prepareC('c1', 1, 1, 7, 30, 3));
    assert.deepEqual(
      sentOfType(host, 'prepare').map((s) => s.to),
      [3],
    );
  });

  test('a PREPARE that will find too little money, or is a lock-wait refusal, is not sent early', () => {
    const { host, driver } = setup(1);
    driver.onAdmitted(prepareC('c1', 1, 1, 7, 500));
    const refused = prepareC('c1', 2, 2, 7, 5);
    driver.onAdmitted({ ...refused, op: { ...refused.op, abort: 'locked' } as Command['op'] });
    assert.deepEqual(host.sent, []);
  });

  test("a late copy sent before the sender's account last arrived here (an older map epoch) is not sent early: it will be refused at apply, recorded nowhere", () => {
    const { host, driver } = setup(1);
    host.state.epochOf = () => 4; // account 1 came back here at epoch 4
    driver.onAdmitted({ ...prepareC('c1', 1, 1, 7, 30), mapEpoch: 2 });
    assert.deepEqual(host.sent, [], 'an old copy');
    driver.onAdmitted({ ...prepareC('c1', 2, 1, 7, 30), mapEpoch: 4 });
    assert.deepEqual(
      sentOfType(host, 'prepare').map((m) => m.message),
      [{ type: 'prepare', txn: { clientId: 'c1', seq: 2 }, coordinator: 1, to: 7, amount: 30, from: 1, fromEpoch: 4 }],
      'a live attempt names the epoch, which the participant keeps for its queries',
    );
  });

  test('a yes vote before our PREPARE is applied is kept: the client hears committed once it is applied', () => {
    const { host, driver } = setup(1);
    driver.onAdmitted(prepareC('c1', 1, 1, 7, 30));
    driver.onMessage({ type: 'vote', txn, participant: 2, vote: 'yes', prepareSlot: 2 });
    assert.deepEqual(host.answers, [], 'not while our own PREPARE is not chosen');
    assert.deepEqual(host.proposed, []);
    choose(host, driver, prepareC('c1', 1, 1, 7, 30));
    assert.deepEqual(host.answers, [{ key: 'c1#1', outcome: { status: 'committed' } }]);
    assert.deepEqual(opsProposed(host), [
      { kind: 'x-decide', role: 'coordinator', decision: 'commit', peer: 2, prepareSlot: 2 },
    ]);
  });

  test('a yes vote for a PREPARE refused here (insufficient funds at apply) commits nothing; the participant is told abort', () => {
    const { host, driver } = setup(1);
    driver.onAdmitted(prepareC('c1', 1, 1, 7, 30));
    driver.onMessage({ type: 'vote', txn, participant: 2, vote: 'yes', prepareSlot: 2 });
    host.clear();
    // Money left account 1 in between (this admission check ran against an older balance).
    choose(host, driver, { clientId: 'x', seq: 1, op: { kind: 'transfer', from: 1, to: 2, amount: 90 } });
    choose(host, driver, prepareC('c1', 1, 1, 7, 30));
    assert.deepEqual(host.answers, []);
    assert.deepEqual(host.proposed, []);
    assert.deepEqual(host.sent, [{ to: 2, message: { type: 'decision', txn, coordinator: 1, decision: 'abort' } }]);
    assert.equal(host.state.sessionOf('c1')?.outcome.status, 'insufficient-funds');
  });

  test('a query while our own PREPARE is on its way presumes nothing', () => {
    const { host, driver } = setup(1);
    driver.onAdmitted(prepareC('c1', 1, 1, 7, 30));
    host.clear();
    driver.onMessage({ type: 'query', txn, participant: 2 });
    assert.deepEqual(host.proposed, []);
    assert.deepEqual(host.sent, []);
  });

  test('a no vote after the client was told committed changes nothing (only a commit can follow)', () => {
    const { host, driver } = preparedCoordinator();
    driver.onMessage({ type: 'vote', txn, participant: 2, vote: 'yes', prepareSlot: 2 });
    host.proposed = [];
    driver.onMessage({ type: 'vote', txn, participant: 2, vote: 'no', reason: 'locked' });
    assert.deepEqual(host.proposed, []);
  });
});

describe("TwoPcDriver: the participant's silence, in the leader's own term", () => {
  /** A coordinator that chose the PREPARE of c1#1 itself, in its current term. */
  function ownTerm(): { host: FakeHost; driver: TwoPcDriver } {
    const s = setup(1);
    s.host.recoveredUpTo = 0;
    choose(s.host, s.driver, prepareC('c1', 1, 1, 7, 30));
    s.host.clear();
    return s;
  }

  test("no vote by voteTimeoutTicks: it aborts 'timeout' without a tombstone, and the client hears aborted once chosen", () => {
    const { host, driver } = ownTerm();
    tickTo(host, driver, settings.voteTimeoutTicks - 1);
    assert.deepEqual(host.proposed, []);
    tickTo(host, driver, settings.voteTimeoutTicks);
    assert.deepEqual(opsProposed(host), [
      { kind: 'x-decide', role: 'coordinator', decision: 'abort', reason: 'timeout', peer: 2 },
    ]);
    chooseProposed(host, driver);
    assert.deepEqual(host.state.sessionOf('c1')?.outcome, { status: 'aborted', reason: 'timeout' });
    assert.equal(host.state.balanceOf(1), 100, 'the debit is undone');
    assert.ok(
      sentOfType(host, 'decision').some((s) => s.message.decision === 'abort'),
      'the participant hears abort',
    );
  });

  test("after a 'no-leader' vote the abort on silence is 'no-quorum', after half the vote timeout", () => {
    const { host, driver } = ownTerm();
    driver.onMessage({ type: 'vote', txn, participant: 2, vote: 'no', reason: 'no-leader' });
    tickTo(host, driver, settings.voteTimeoutTicks / 2 - 1);
    assert.deepEqual(host.proposed, [], 'not before half the vote timeout');
    tickTo(host, driver, settings.voteTimeoutTicks / 2);
    assert.deepEqual(opsProposed(host), [
      { kind: 'x-decide', role: 'coordinator', decision: 'abort', reason: 'no-quorum', peer: 2 },
    ]);
  });

  test('a yes that arrives after the abort on silence was proposed is not answered committed; the participant is told abort', () => {
    const { host, driver } = ownTerm();
    tickTo(host, driver, settings.voteTimeoutTicks);
    driver.onMessage({ type: 'vote', txn, participant: 2, vote: 'yes', prepareSlot: 3 });
    assert.deepEqual(host.answers, [], 'no committed answer');
    assert.ok(
      opsProposed(host).every((op) => op.kind !== 'x-decide' || op.decision === 'abort'),
      'no commit proposed',
    );
    chooseProposed(host, driver);
    host.clear();
    driver.onMessage({ type: 'vote', txn, participant: 2, vote: 'yes', prepareSlot: 3 });
    assert.deepEqual(host.proposed, [], 'a yes for a decided record changes nothing');
    tickTo(host, driver, host.now + settings.resendTicks);
    assert.ok(sentOfType(host, 'decision').every((s) => s.message.decision === 'abort'));
  });

  test('once the client was told committed, silence never aborts (the commit is on its way)', () => {
    const { host, driver } = ownTerm();
    driver.onMessage({ type: 'vote', txn, participant: 2, vote: 'yes', prepareSlot: 3 });
    assert.equal(host.answers.length, 1);
    host.clear();
    tickTo(host, driver, settings.voteTimeoutTicks * 3);
    assert.ok(
      opsProposed(host).every((op) => op.kind !== 'x-decide' || op.decision === 'commit'),
      'never an abort after committed was answered',
    );
  });

  test('a yes for a PREPARE it recovered from an earlier term is not answered at once: the leader that chose it may abort it on silence, deposed without knowing; the client hears the decision once chosen', () => {
    const { host, driver } = preparedCoordinator();
    host.recoveredUpTo = 1;
    driver.onMessage({ type: 'vote', txn, participant: 2, vote: 'yes', prepareSlot: 3 });
    assert.deepEqual(host.answers, [], 'no early answer');
    assert.deepEqual(opsProposed(host), [
      { kind: 'x-decide', role: 'coordinator', decision: 'commit', peer: 2, prepareSlot: 3 },
    ]);
    chooseProposed(host, driver);
    assert.deepEqual(host.state.sessionOf('c1')?.outcome, { status: 'committed' }, 'the decision is the answer');
  });

  test('a PREPARE chosen at or below the slots it recovered, or a driver not leading, waits for a no instead', () => {
    for (const recoveredUpTo of [1, undefined]) {
      const s = setup(1);
      s.host.recoveredUpTo = recoveredUpTo;
      choose(s.host, s.driver, prepareC('c1', 1, 1, 7, 30));
      s.host.clear();
      tickTo(s.host, s.driver, settings.voteTimeoutTicks * 3);
      assert.deepEqual(s.host.proposed, [], `recoveredUpTo ${String(recoveredUpTo)}: no abort on silence`);
      assert.ok(
        sentOfType(s.host, 'prepare').some((m) => m.message.orAbort === true),
        'a tombstone is asked',
      );
    }
  });
});

describe('TwoPcDriver: the coordinator answers queries', () => {
  test('a query for a decided record gets the decision', () => {
    const { host, driver } = preparedCoordinator();
    driver.onMessage({ type: 'vote', txn, participant: 2, vote: 'no', reason: 'locked' });
    chooseProposed(host, driver);
    host.clear();
    driver.onMessage({ type: 'query', txn, participant: 2 });
    assert.deepEqual(host.sent, [{ to: 2, message: { type: 'decision', txn, coordinator: 1, decision: 'abort' } }]);
    assert.deepEqual(host.proposed, []);
  });

  test('a query for a prepared record waits for the vote: nothing sent, nothing proposed', () => {
    const { host, driver } = preparedCoordinator();
    driver.onMessage({ type: 'query', txn, participant: 2 });
    assert.deepEqual(host.sent, []);
    assert.deepEqual(host.proposed, []);
  });

  test('a query for a forgotten transaction is answered abort: the participant already applied the decision, so its prepared record is a repeated PREPARE to undo', () => {
    const { host, driver } = preparedCoordinator();
    driver.onMessage({ type: 'vote', txn, participant: 2, vote: 'yes' });
    chooseProposed(host, driver);
    driver.onMessage({ type: 'ack', txn, participant: 2 });
    chooseProposed(host, driver);
    host.clear();
    driver.onMessage({ type: 'query', txn, participant: 2 });
    assert.deepEqual(host.sent, [{ to: 2, message: { type: 'decision', txn, coordinator: 1, decision: 'abort' } }]);
    assert.deepEqual(host.proposed, []);
  });

  test('a query for an older sequence than the session is answered abort (it never prepared here)', () => {
    const { host, driver } = setup(1);
    choose(host, driver, prepareC('c1', 5, 1, 7, 500)); // insufficient funds: session c1#5
    host.clear();
    driver.onMessage({ type: 'query', txn: { clientId: 'c1', seq: 3 }, participant: 2 });
    assert.deepEqual(host.sent, [
      { to: 2, message: { type: 'decision', txn: { clientId: 'c1', seq: 3 }, coordinator: 1, decision: 'abort' } },
    ]);
    assert.deepEqual(host.proposed, []);
  });

  test('a query with no record and no session proposes a presumed abort; once chosen it is a tombstone and the participant hears abort', () => {
    const { host, driver } = setup(1);
    driver.onMessage({ type: 'query', txn, participant: 2 });
    assert.deepEqual(host.sent, [], 'not before the abort is chosen');
    assert.deepEqual(host.proposed, [
      {
        clientId: 'c1',
        seq: 1,
        op: { kind: 'x-decide', role: 'coordinator', decision: 'abort', reason: 'timeout', peer: 2, presumed: true },
      },
    ]);
    chooseProposed(host, driver);
    assert.deepEqual(host.events, ['coordinator:decision-chosen']);
    assert.deepEqual(host.sent, [{ to: 2, message: { type: 'decision', txn, coordinator: 1, decision: 'abort' } }]);
    // The tombstone: the session holds the abort, so a PREPARE of c1#1 chosen after it (one
    // a deposed leader proposed) does not prepare.
    assert.deepEqual(host.state.sessionOf('c1')?.outcome, { status: 'aborted', reason: 'timeout' });
    host.clear();
    choose(host, driver, prepareC('c1', 1, 1, 7, 30));
    assert.equal(host.state.twoPc.coordinatorRecord('c1#1'), undefined);
    assert.equal(host.state.balanceOf(1), 100, 'not debited');
  });

  test('a presumed abort chosen after the PREPARE changes nothing: the record goes on to be decided from the vote', () => {
    const { host, driver } = setup(1);
    driver.onMessage({ type: 'query', txn, participant: 2 });
    const presumed = host.proposed;
    host.clear();
    choose(host, driver, prepareC('c1', 1, 1, 7, 30));
    choose(host, driver, ...presumed);
    assert.equal(host.state.twoPc.coordinatorRecord('c1#1')?.state, 'prepared');
    assert.equal(host.state.balanceOf(1), 70);
    assert.deepEqual(sentOfType(host, 'decision'), [], 'no abort reaches the participant');
    driver.onMessage({ type: 'vote', txn, participant: 2, vote: 'yes', prepareSlot: 3 });
    chooseProposed(host, driver);
    assert.equal(host.state.twoPc.coordinatorRecord('c1#1')?.state, 'committed');
  });
});

describe('TwoPcDriver: the participant', () => {
  const prepare: TwoPcMessage = { type: 'prepare', txn, coordinator: 1, to: 7, amount: 30 };

  test('a tombstone request (PREPARE orAbort) with no record chooses an ABORT and votes no; a late PREPARE then gets the same no', () => {
    const { host, driver } = setup(2);
    driver.onMessage({ ...prepare, orAbort: true });
    assert.deepEqual(host.proposed, [
      {
        clientId: 'c1',
        seq: 1,
        op: { kind: 'x-prepare-participant', to: 7, amount: 30, coordinator: 1, abort: 'timeout' },
      },
    ]);
    chooseProposed(host, driver);
    assert.deepEqual(host.events, ['participant:tombstone-chosen']);
    assert.deepEqual(host.sent, [
      { to: 1, message: { type: 'vote', txn, participant: 2, vote: 'no', reason: 'timeout' } },
    ]);
    assert.equal(host.state.balanceOf(7), 100);
    host.clear();
    driver.onMessage(prepare);
    assert.deepEqual(host.proposed, []);
    assert.deepEqual(host.sent, [
      { to: 1, message: { type: 'vote', txn, participant: 2, vote: 'no', reason: 'timeout' } },
    ]);
    // Even chosen (a copy proposed before the tombstone), it prepares nothing.
    choose(host, driver, prepareP('c1', 1, 7, 30));
    assert.equal(host.state.balanceOf(7), 100);
    assert.equal(host.state.twoPc.participantRecord('c1#1')?.state, 'aborted');
  });

  test('a tombstone request for a prepared record gets its yes', () => {
    const { host, driver } = setup(2);
    driver.onMessage(prepare);
    chooseProposed(host, driver);
    host.clear();
    driver.onMessage({ ...prepare, orAbort: true });
    assert.deepEqual(host.proposed, []);
    assert.deepEqual(host.sent, [
      { to: 1, message: { type: 'vote', txn, participant: 2, vote: 'yes', prepareSlot: 1 } },
    ]);
  });

  test('a PREPARE with no record proposes x-prepare-participant; once chosen it marks participant:prepare-chosen and votes yes', () => {
    const { host, driver } = setup(2);
    driver.onMessage(prepare);
    assert.deepEqual(host.proposed, [
      { clientId: 'c1', seq: 1, op: { kind: 'x-prepare-participant', to: 7, amount: 30, coordinator: 1 } },
    ]);
    assert.deepEqual(host.sent, [], 'no vote before the PREPARE is chosen');
    chooseProposed(host, driver);
    assert.equal(host.state.balanceOf(7), 130);
    assert.deepEqual(host.events, ['participant:prepare-chosen']);
    assert.deepEqual(
      host.sent,
      [{ to: 1, message: { type: 'vote', txn, participant: 2, vote: 'yes', prepareSlot: 1 } }],
      'the yes names the slot that prepared it',
    );
  });

  test('a PREPARE whose receiver is locked is chosen as a no vote with reason locked', () => {
    const { host, driver } = setup(2);
    choose(host, driver, prepareP('other', 1, 7, 5, 3));
    host.clear();
    driver.onMessage(prepare);
    chooseProposed(host, driver);
    assert.deepEqual(host.sent, [
      { to: 1, message: { type: 'vote', txn, participant: 2, vote: 'no', reason: 'locked' } },
    ]);
    assert.equal(host.state.balanceOf(7), 105);
  });

  test('a participant with a record answers a repeated PREPARE with its vote, without proposing again', () => {
    const { host, driver } = setup(2);
    driver.onMessage(prepare);
    chooseProposed(host, driver);
    host.clear();
    driver.onMessage(prepare);
    assert.deepEqual(host.proposed, []);
    assert.deepEqual(
      host.sent,
      [{ to: 1, message: { type: 'vote', txn, participant: 2, vote: 'yes', prepareSlot: 1 } }],
      'the yes names the slot that prepared it',
    );
    assert.equal(host.state.balanceOf(7), 130, 'credited once');
  });

  test('a participant that voted no repeats its no vote and reason', () => {
    const { host, driver } = setup(2);
    choose(host, driver, {
      clientId: 'c1',
      seq: 1,
      op: { kind: 'x-prepare-participant', to: 7, amount: 30, coordinator: 1, abort: 'locked' },
    });
    host.clear();
    driver.onMessage(prepare);
    assert.deepEqual(host.proposed, []);
    assert.deepEqual(host.sent, [
      { to: 1, message: { type: 'vote', txn, participant: 2, vote: 'no', reason: 'locked' } },
    ]);
  });

  test('a decision for a prepared record is proposed; once applied it marks participant:decision-applied and acks', () => {
    for (const decision of ['commit', 'abort'] as const) {
      const { host, driver } = setup(2);
      driver.onMessage(prepare);
      chooseProposed(host, driver);
      host.clear();
      driver.onMessage({ type: 'decision', txn, coordinator: 1, decision });
      assert.deepEqual(host.proposed, [
        { clientId: 'c1', seq: 1, op: { kind: 'x-decide', role: 'participant', decision, peer: 1 } },
      ]);
      assert.deepEqual(host.sent, [], 'no ack before the decision is chosen here');
      chooseProposed(host, driver);
      assert.deepEqual(host.events, ['participant:decision-applied']);
      assert.deepEqual(host.sent, [{ to: 1, message: { type: 'ack', txn, participant: 2 } }]);
      assert.equal(host.state.balanceOf(7), decision === 'commit' ? 130 : 100);
      assert.equal(host.state.twoPc.lockCount, 0);
    }
  });

  test('a decision for a decided or unknown record is acknowledged without proposing', () => {
    const { host, driver } = setup(2);
    driver.onMessage(prepare);
    chooseProposed(host, driver);
    driver.onMessage({ type: 'decision', txn, coordinator: 1, decision: 'commit' });
    chooseProposed(host, driver);
    host.clear();
    driver.onMessage({ type: 'decision', txn, coordinator: 1, decision: 'commit' });
    driver.onMessage({ type: 'decision', txn: { clientId: 'zz', seq: 1 }, coordinator: 1, decision: 'abort' });
    assert.deepEqual(host.proposed, []);
    assert.deepEqual(host.sent, [
      { to: 1, message: { type: 'ack', txn, participant: 2 } },
      { to: 1, message: { type: 'ack', txn: { clientId: 'zz', seq: 1 }, participant: 2 } },
    ]);
    assert.equal(host.state.balanceOf(7), 130);
  });

  test('a commit for a transaction it has no record of is not acknowledged by a participant behind the slot that prepared it (a deposed leader that does not know it yet)', () => {
    const { host, driver } = setup(2);
    // Another leader of cluster 2 chose the PREPARE in slot 3; this one has applied slot 0.
    driver.onMessage({ type: 'decision', txn, coordinator: 1, decision: 'commit', prepareSlot: 3 });
    // A commit that names no preparation cannot be checked: never acknowledged without a record.
    driver.onMessage({ type: 'decision', txn, coordinator: 1, decision: 'commit' });
    assert.deepEqual(host.proposed, []);
    assert.deepEqual(host.sent, []);
    // Once it has applied past that slot, a missing record was decided and forgotten: ack.
    choose(host, driver);
    choose(host, driver);
    choose(host, driver);
    driver.onMessage({ type: 'decision', txn, coordinator: 1, decision: 'commit', prepareSlot: 3 });
    assert.deepEqual(host.sent, [{ to: 1, message: { type: 'ack', txn, participant: 2 } }]);
  });

  test('a participant that voted yes queries the coordinator every queryTicks until decided, and never aborts on its own', () => {
    const { host, driver } = setup(2);
    driver.onMessage(prepare);
    chooseProposed(host, driver);
    host.clear();
    const queriedAt: number[] = [];
    for (let t = 1; t <= 100; t++) {
      host.now = t;
      driver.onTick();
      for (const s of host.sent) {
        assert.deepEqual(s, { to: 1, message: { type: 'query', txn, participant: 2 } });
        queriedAt.push(t);
      }
      host.sent = [];
    }
    // The first tick that sees the record starts its clock.
    assert.deepEqual(queriedAt, [1 + settings.queryTicks, 1 + 2 * settings.queryTicks, 1 + 3 * settings.queryTicks]);
    assert.deepEqual(host.proposed, [], 'no unilateral abort after voting yes');
    assert.equal(host.state.twoPc.participantRecord('c1#1')?.state, 'prepared');
    // Decided: the queries stop.
    driver.onMessage({ type: 'decision', txn, coordinator: 1, decision: 'commit' });
    chooseProposed(host, driver);
    host.clear();
    tickTo(host, driver, 300);
    assert.deepEqual(host.sent, []);
  });

  test('a participant that voted no never queries', () => {
    const { host, driver } = setup(2);
    choose(host, driver, {
      clientId: 'c1',
      seq: 1,
      op: { kind: 'x-prepare-participant', to: 7, amount: 30, coordinator: 1, abort: 'locked' },
    });
    host.clear();
    tickTo(host, driver, 200);
    assert.deepEqual(host.sent, []);
  });

  test('reset() forgets the query clock: the next query comes queryTicks after the first tick that follows', () => {
    const { host, driver } = setup(2);
    driver.onMessage(prepare);
    chooseProposed(host, driver);
    tickTo(host, driver, 25); // asked-clock started at tick 1: query due at 31
    host.clear();
    driver.reset();
    tickTo(host, driver, 26 + settings.queryTicks - 1);
    assert.deepEqual(host.sent, [], 'the old clock (due at 31) is forgotten');
    tickTo(host, driver, 26 + settings.queryTicks);
    assert.deepEqual(host.sent, [{ to: 1, message: { type: 'query', txn, participant: 2 } }]);
  });
});

describe('TwoPcDriver: both sides together', () => {
  test('a coordinator and a participant driver reach commit and forget the transaction', () => {
    const c = setup(1);
    const p = setup(2);
    choose(c.host, c.driver, prepareC('c1', 1, 1, 7, 30));
    const deliver = (from: FakeHost, toDriver: TwoPcDriver): void => {
      const sent = from.sent;
      from.sent = [];
      for (const s of sent) toDriver.onMessage(s.message);
    };
    for (let round = 0; round < 10; round++) {
      deliver(c.host, p.driver);
      chooseProposed(p.host, p.driver);
      deliver(p.host, c.driver);
      chooseProposed(c.host, c.driver);
    }
    assert.equal(c.host.state.balanceOf(1), 70);
    assert.equal(p.host.state.balanceOf(7), 130);
    assert.deepEqual(c.host.state.twoPc.coordinatorRecords(), [], 'acknowledged and forgotten');
    assert.equal(p.host.state.twoPc.participantRecord('c1#1')?.state, 'committed');
    assert.equal(c.host.state.twoPc.lockCount + p.host.state.twoPc.lockCount, 0);
    assert.deepEqual(c.host.state.sessionOf('c1')?.outcome, { status: 'committed' });
    assert.deepEqual(c.host.events, [
      'coordinator:prepare-chosen',
      'coordinator:committed',
      'coordinator:decision-chosen',
    ]);
    assert.deepEqual(p.host.events, ['participant:prepare-chosen', 'participant:decision-applied']);
  });
});

describe('TwoPcDriver: a vote belongs to one pair of clusters (review of parallel commit)', () => {
  test("a participant's yes goes only to its record's coordinator: a PREPARE of the same transaction from another cluster (the sender's account moved there and the client retried with the same id) gets a no", () => {
    // C (1) sent its PREPARE early, then refused its own (the account had moved away): it has
    // no record, so it answers P's query with a presumed abort. Had P voted yes to the new
    // home (3) as well, 3 would commit (debit) while P's credit is undone by 1's abort.
    const { host, driver } = setup(2);
    driver.onMessage({ type: 'prepare', txn, coordinator: 1, to: 7, amount: 30, from: 1 });
    chooseProposed(host, driver);
    host.clear();
    driver.onMessage({ type: 'prepare', txn, coordinator: 3, to: 7, amount: 30, from: 1 });
    assert.deepEqual(host.proposed, []);
    const votes = sentOfType(host, 'vote');
    assert.equal(votes.length, 1);
    assert.equal(votes[0]?.to, 3);
    assert.equal(votes[0]?.message.vote, 'no');
  });

  test("a coordinator decides only on its record's participant's vote: a yes from another cluster (the receiver moved between two leaders' admissions of the same transfer) is no commit", () => {
    // This leader admitted the client's retry with participant 4 (its map has the receiver
    // there) and sent it early; 4 voted yes. The PREPARE chosen first is the deposed leader's,
    // naming participant 2: the record's. 4's yes says nothing of 2.
    const { host, driver } = setup(1);
    driver.onAdmitted(prepareC('c1', 1, 1, 7, 30, 4));
    driver.onMessage({ type: 'vote', txn, participant: 4, vote: 'yes', prepareSlot: 5 });
    choose(host, driver, prepareC('c1', 1, 1, 7, 30, 2), prepareC('c1', 1, 1, 7, 30, 4));
    assert.equal(host.state.twoPc.coordinatorRecord('c1#1')?.participant, 2);
    driver.onMessage({ type: 'vote', txn, participant: 4, vote: 'yes', prepareSlot: 5 });
    assert.deepEqual(host.answers, []);
    assert.deepEqual(host.proposed, []);
  });
});

describe('TwoPcDriver: the steps that wait for company (nobody waits on them)', () => {
  test("a commit whose client was told, and the END after the participant's ack, wait", () => {
    const { host, driver } = preparedCoordinator();
    driver.onMessage({ type: 'vote', txn, participant: 2, vote: 'yes' });
    assert.deepEqual(host.answers, [{ key: 'c1#1', outcome: { status: 'committed' } }]);
    assert.deepEqual(host.waitingForCompany, ['x-decide/coordinator/commit']);
    chooseProposed(host, driver);
    driver.onMessage({ type: 'ack', txn, participant: 2 });
    assert.deepEqual(host.waitingForCompany, ['x-decide/coordinator/commit', 'x-end']);
  });

  test('a commit whose client still waits for it (a PREPARE recovered from an earlier term) does not wait', () => {
    const { host, driver } = preparedCoordinator();
    host.recoveredUpTo = 1;
    driver.onMessage({ type: 'vote', txn, participant: 2, vote: 'yes', prepareSlot: 3 });
    assert.deepEqual(host.answers, []);
    assert.equal(host.proposed.length, 1);
    assert.deepEqual(host.waitingForCompany, []);
  });

  test('an abort does not wait: its client hears it once chosen', () => {
    const { host, driver } = preparedCoordinator();
    driver.onMessage({ type: 'vote', txn, participant: 2, vote: 'no', reason: 'locked' });
    assert.equal(host.proposed.length, 1);
    assert.deepEqual(host.waitingForCompany, []);
  });

  test("a participant's decision waits, a commit or an abort", () => {
    for (const decision of ['commit', 'abort'] as const) {
      const { host, driver } = setup(2);
      choose(host, driver, prepareP('c1', 1, 7, 30));
      host.clear();
      driver.onMessage({ type: 'decision', txn, coordinator: 1, decision });
      assert.deepEqual(opsProposed(host), [{ kind: 'x-decide', role: 'participant', decision, peer: 1 }]);
      assert.deepEqual(host.waitingForCompany, [`x-decide/participant/${decision}`]);
    }
  });

  test("a participant's PREPARE and a coordinator's presumed abort do not wait", () => {
    const { host, driver } = setup(2);
    driver.onMessage({ type: 'prepare', txn, coordinator: 1, to: 7, amount: 30 });
    assert.equal(host.proposed.length, 1);
    const c = setup(1);
    c.driver.onMessage({ type: 'query', txn: { clientId: 'c9', seq: 4 }, participant: 2 });
    assert.equal(c.host.proposed.length, 1, 'a presumed abort');
    assert.deepEqual([...host.waitingForCompany, ...c.host.waitingForCompany], []);
  });
});
