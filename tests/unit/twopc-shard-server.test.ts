import { isMoveMessage } from '../../src/protocol/moves.js';
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ClusterId, NodeId } from '../../src/protocol/ids.js';
import { SeededRandom } from '../../src/core/random.js';
import type { Command } from '../../src/protocol/commands.js';
import { ShardServer } from '../../src/ledger/shard-server.js';
import { companyWaitTicksMax } from '../../src/ledger/admission.js';
import type { Response } from '../../src/protocol/client.js';
import type { ShardReady } from '../../src/ledger/shard-ready.js';
import { ballotZero } from '../../src/paxos/ballot.js';
import type { TwoPcSettings } from '../../src/twopc/driver.js';
import { outranks, waitDieTicks } from '../../src/twopc/locks.js';
import type { TwoPcMessage } from '../../src/protocol/twopc.js';
import { ballot, testSettings } from './helpers/replica-harness.js';

/**
 * Two-Phase Commit end to end between two shard servers, wired by hand: cluster 1 (node 1,
 * accounts 1-3) and cluster 2 (node 2, accounts 7-9), each a single member that chooses on its
 * own. The `twoPc` of one server's ready is handed to the other's `stepTwoPc`.
 */

const twoPc: TwoPcSettings = { lockWaitTicks: 5, voteTimeoutTicks: 60, resendTicks: 10, queryTicks: 30 };

function clusterOfAccount(a: number): ClusterId | undefined {
  if (a >= 1 && a <= 3) return 1;
  if (a >= 7 && a <= 9) return 2;
  return undefined;
}

function newServer(self: NodeId, cluster: ClusterId, members: NodeId[]): ShardServer {
  const first = cluster === 1 ? 1 : 7;
  return new ShardServer({
    self,
    members,
    settings: testSettings,
    random: new SeededRandom(self),
    cluster,
    clusterOfAccount,
    twoPc,
    checkpoint: { intervalSlots: 1000, logTailSlots: 1000 },
    promised: ballotZero,
    log: [],
    appliedIndex: 0,
    balances: new Map([
      [first, 100],
      [first + 1, 100],
      [first + 2, 100],
    ]),
    sessions: [],
  });
}

function transfer(clientId: string, seq: number, from: number, to: number, amount: number): Command {
  return { clientId, seq, op: { kind: 'transfer', from, to, amount } };
}

function balance(
  clientId: string,
  seq: number,
  account: number,
  consistency?: 'linearizable' | 'leader' | 'any',
): Command {
  return {
    clientId,
    seq,
    op: consistency === undefined ? { kind: 'balance', account } : { kind: 'balance', account, consistency },
  };
}

interface Flight {
  from: ClusterId;
  to: ClusterId;
  message: TwoPcMessage;
}

/** Two single-member clusters and the 2PC messages between them. */
class TwoClusters {
  readonly servers = new Map<ClusterId, ShardServer>();
  readonly readies: Array<{ cluster: ClusterId; ready: ShardReady }> = [];
  inFlight: Flight[] = [];
  /** Every 2PC message delivered, in order. */
  readonly delivered: Flight[] = [];

  constructor() {
    this.servers.set(1, newServer(1, 1, [1]));
    this.servers.set(2, newServer(2, 2, [2]));
    for (const c of [1, 2]) {
      const s = this.get(c);
      for (let i = 0; i < 100 && !s.replica.isServing; i++) {
        s.tick();
        this.collect();
      }
      assert.ok(s.replica.isServing, `cluster ${c} elects itself`);
    }
    this.readies.length = 0;
    this.inFlight = [];
  }

  get(cluster: ClusterId): ShardServer {
    return this.servers.get(cluster) as ShardServer;
  }

  /** Each server's ready loop: record the ready, queue its 2PC messages, advance. */
  collect(): void {
    for (const [cluster, s] of this.servers) {
      for (let i = 0; i < 10 && (s.propose(), s.hasReady()); i++) {
        const ready = s.ready();
        this.readies.push({ cluster, ready });
        for (const { toCluster, message } of ready.twoPc)
          if (!isMoveMessage(message)) this.inFlight.push({ from: cluster, to: toCluster, message });
        s.advance();
      }
    }
  }

  /** Delivers what is in flight once (`keep` decides which survive), then collects. */
  deliver(keep: (f: Flight) => boolean = () => true): number {
    this.collect();
    const batch = this.inFlight;
    this.inFlight = [];
    let n = 0;
    for (const f of batch) {
      if (!keep(f)) continue;
      n++;
      this.delivered.push(f);
      this.servers.get(f.to)?.stepTwoPc(f.message);
    }
    this.collect();
    return n;
  }

  /** Ticks both servers until the steps that wait for company have gone (delivering nothing). */
  afterCompanyWait(): void {
    for (let t = 0; t < companyWaitTicksMax; t++) for (const s of this.servers.values()) s.tick();
    this.collect();
  }

  /** Delivers until nothing is in flight and no step waits at a leader. A step that waits for
   *  company (END, a decision nobody waits on: TwoPcDriver.propose) goes after a tick or two. */
  settle(keep: (f: Flight) => boolean = () => true): void {
    for (let i = 0; i < 50; i++) {
      this.collect();
      if (this.inFlight.length === 0) {
        if (![...this.servers.values()].some((s) => s.stepsWaitingForCompany > 0)) return;
        this.afterCompanyWait();
        continue;
      }
      this.deliver(keep);
    }
    assert.fail('2PC messages still in flight after 50 rounds');
  }

  /** Ticks both servers `n` times, delivering what `keep` lets through after each tick. */
  tick(n: number, keep: (f: Flight) => boolean = () => true): void {
    for (let i = 0; i < n; i++) {
      for (const s of this.servers.values()) s.tick();
      this.deliver(keep);
    }
  }

  /** Every reply a cluster gave to `reqId`, in order. */
  repliesTo(cluster: ClusterId, reqId: number): Response[] {
    const out: Response[] = [];
    for (const r of this.readies)
      if (r.cluster === cluster) for (const x of r.ready.replies) if (x.reqId === reqId) out.push(x.response);
    return out;
  }

  events(cluster: ClusterId): string[] {
    return this.readies.filter((r) => r.cluster === cluster).flatMap((r) => r.ready.events);
  }

  /** The commands a cluster chose (persisted log entries), in slot order. */
  chosen(cluster: ClusterId): Command[] {
    const bySlot = new Map<number, Command[]>();
    for (const r of this.readies)
      if (r.cluster === cluster)
        for (const e of r.ready.paxos.entries) if (e.value !== null) bySlot.set(e.slot, e.value);
    return [...bySlot.entries()].sort((a, b) => a[0] - b[0]).flatMap(([, v]) => v);
  }

  totalMoney(): number {
    return this.get(1).state.total() + this.get(2).state.total();
  }
}

function outcomesOf(responses: Response[]): unknown[] {
  return responses.map((r) => (r.kind === 'outcome' ? r.outcome : r));
}

describe('ShardServer 2PC: routing', () => {
  test("a client's transfer to another cluster's account becomes x-prepare-coordinator naming that cluster as participant", () => {
    const w = new TwoClusters();
    const s1 = w.get(1);
    s1.request({ reqId: 1, command: transfer('c1', 1, 1, 8, 30), hops: 0 });
    w.collect();
    const prepares = w.chosen(1).filter((c) => c.op.kind === 'x-prepare-coordinator');
    assert.deepEqual(prepares, [
      { clientId: 'c1', seq: 1, op: { kind: 'x-prepare-coordinator', from: 1, to: 8, amount: 30, participant: 2 } },
    ]);
    assert.deepEqual(
      w.inFlight.map((f) => [f.to, f.message]),
      [
        [
          2,
          {
            type: 'prepare',
            txn: { clientId: 'c1', seq: 1 },
            coordinator: 1,
            to: 8,
            amount: 30,
            from: 1,
            fromEpoch: 0,
          },
        ],
      ],
    );
    assert.deepEqual(w.repliesTo(1, 1), [], 'no answer before the decision');
    assert.deepEqual(w.events(1), ['coordinator:prepare-proposed', 'coordinator:prepare-chosen']);
    assert.equal(s1.state.twoPc.lockHolder(1), 'c1#1');
    assert.equal(s1.state.balanceOf(1), 70);
  });

  test('a transfer to an account no cluster holds is rejected without preparing', () => {
    const w = new TwoClusters();
    w.get(1).request({ reqId: 1, command: transfer('c1', 1, 1, 99, 30), hops: 0 });
    w.collect();
    assert.deepEqual(outcomesOf(w.repliesTo(1, 1)), [{ status: 'rejected', reason: 'account 99 does not exist' }]);
    assert.deepEqual(w.inFlight, []);
    assert.deepEqual(w.get(1).state.twoPc.coordinatorRecords(), []);
  });

  test('a cross-shard transfer with insufficient funds is answered at once and never reaches the participant', () => {
    const w = new TwoClusters();
    w.get(1).request({ reqId: 1, command: transfer('c1', 1, 1, 8, 130), hops: 0 });
    w.settle();
    assert.deepEqual(outcomesOf(w.repliesTo(1, 1)), [{ status: 'insufficient-funds', balance: 100 }]);
    assert.deepEqual(w.delivered, []);
    assert.equal(w.get(2).state.balanceOf(8), 100);
  });
});

describe('ShardServer 2PC: end to end', () => {
  test('the whole protocol commits: balances move on both clusters, locks are released, the client hears committed once both PREPAREs are chosen, before the decision', () => {
    const w = new TwoClusters();
    const [s1, s2] = [w.get(1), w.get(2)];
    s1.request({ reqId: 1, command: transfer('c1', 1, 1, 8, 30), hops: 0 });
    w.collect();
    assert.deepEqual(w.repliesTo(1, 1), []);

    // PREPARE reaches the participant, which chooses its PREPARE and votes yes.
    w.deliver();
    assert.equal(s2.state.twoPc.participantRecord('c1#1')?.state, 'prepared');
    assert.equal(s2.state.balanceOf(8), 130);
    assert.equal(s2.state.twoPc.lockHolder(8), 'c1#1');
    const prepareSlot = s2.state.twoPc.participantRecord('c1#1')?.slot;
    assert.deepEqual(
      w.inFlight.map((f) => f.message),
      [{ type: 'vote', txn: { clientId: 'c1', seq: 1 }, participant: 2, vote: 'yes', prepareSlot }],
    );
    assert.deepEqual(w.repliesTo(1, 1), [], 'a yes vote is not yet the decision');

    // The vote reaches the coordinator: both PREPAREs are chosen with yes, so the transfer is
    // committed; the client hears it now and COMMIT is chosen after (parallel commit).
    const [vote] = w.inFlight;
    assert.ok(vote !== undefined);
    s1.stepTwoPc(vote.message);
    assert.deepEqual(
      s1.ready().replies.map((r) => r.reqId),
      [1],
      'the reply is ready before the decision is even proposed',
    );
    assert.equal(s1.state.twoPc.coordinatorRecord('c1#1')?.state, 'prepared');
    w.inFlight = [];
    w.delivered.push(vote);
    w.collect();
    assert.deepEqual(outcomesOf(w.repliesTo(1, 1)), [{ status: 'committed' }]);

    w.settle();
    assert.equal(s1.state.balanceOf(1), 70);
    assert.equal(s2.state.balanceOf(8), 130);
    assert.equal(s2.state.twoPc.lockCount + s1.state.twoPc.lockCount, 0);
    assert.equal(s2.state.twoPc.participantRecord('c1#1')?.state, 'committed');
    assert.deepEqual(s1.state.twoPc.coordinatorRecords(), [], 'acknowledged, then forgotten (x-end)');
    assert.equal(w.totalMoney(), 600);
    assert.deepEqual(
      w.delivered.map((f) => `${f.from}->${f.to}:${f.message.type}`),
      ['1->2:prepare', '2->1:vote', '1->2:decision', '2->1:ack'],
    );
    assert.deepEqual(w.events(1), [
      'coordinator:prepare-proposed',
      'coordinator:prepare-chosen',
      'coordinator:committed',
      'coordinator:decision-chosen',
    ]);
    assert.deepEqual(w.events(2), [
      'participant:prepare-proposed',
      'participant:prepare-chosen',
      'participant:decision-applied',
    ]);
    assert.equal(w.repliesTo(1, 1).length, 1, 'answered once');

    // Nothing left to resend.
    w.tick(3 * twoPc.resendTicks);
    assert.equal(w.delivered.length, 4);
  });

  test('a retry of the transfer while prepared is answered with the decision; after it, from the session', () => {
    const w = new TwoClusters();
    const s1 = w.get(1);
    s1.request({ reqId: 1, command: transfer('c1', 1, 1, 8, 30), hops: 0 });
    w.collect();
    s1.request({ reqId: 2, command: transfer('c1', 1, 1, 8, 30), hops: 0 });
    w.collect();
    assert.deepEqual(w.repliesTo(1, 2), []);
    w.settle();
    assert.deepEqual(outcomesOf(w.repliesTo(1, 1)), [{ status: 'committed' }]);
    assert.deepEqual(outcomesOf(w.repliesTo(1, 2)), [{ status: 'committed' }]);
    s1.request({ reqId: 3, command: transfer('c1', 1, 1, 8, 30), hops: 0 });
    w.settle();
    assert.deepEqual(outcomesOf(w.repliesTo(1, 3)), [{ status: 'committed' }]);
    assert.equal(w.chosen(1).filter((c) => c.op.kind === 'x-prepare-coordinator').length, 1, 'prepared once');
    assert.equal(s1.state.balanceOf(1), 70);
    assert.equal(w.get(2).state.balanceOf(8), 130);
  });

  test("it aborts when the participant's receiver stays locked past lockWaitTicks (a transaction that outranks the holder waits it out): the client hears aborted: locked and the debit is undone", () => {
    const w = new TwoClusters();
    const [s1, s2] = [w.get(1), w.get(2)];
    // Cluster 2 prepares its own transfer out of account 8 and never hears a vote (its PREPARE to
    // cluster 1 is lost), so 8 stays locked there.
    s2.request({ reqId: 10, command: transfer('other', 1, 8, 2, 5), hops: 0 });
    w.collect();
    assert.equal(s2.state.twoPc.lockHolder(8), 'other#1');
    w.inFlight = [];

    const otherLost = (f: Flight) => !(f.message.type === 'prepare' && f.message.txn.clientId === 'other');
    assert.ok(outranks('c6#1', 'other#1'), 'c6#1 waits (wait-die)');
    s1.request({ reqId: 1, command: transfer('c6', 1, 1, 8, 30), hops: 0 });
    w.deliver(otherLost);
    assert.equal(s2.state.twoPc.participantRecord('c6#1'), undefined, 'the participant waits for the lock');
    w.tick(twoPc.lockWaitTicks - 1, otherLost);
    assert.equal(s2.state.twoPc.participantRecord('c6#1'), undefined, 'still waiting within lockWaitTicks');
    assert.deepEqual(w.repliesTo(1, 1), []);
    w.tick(2, otherLost);
    assert.deepEqual(s2.state.twoPc.participantRecord('c6#1')?.reason, 'locked');
    assert.equal(s2.state.twoPc.participantRecord('c6#1')?.state, 'aborted');
    assert.equal(s2.state.balanceOf(8), 95, 'only its own debit');

    w.settle(otherLost);
    assert.deepEqual(outcomesOf(w.repliesTo(1, 1)), [{ status: 'aborted', reason: 'locked' }]);
    assert.equal(s1.state.balanceOf(1), 100);
    assert.equal(s1.state.twoPc.lockHolder(1), undefined);
    assert.equal(s1.state.twoPc.coordinatorRecord('c6#1'), undefined, 'the participant acknowledged the abort');
    assert.equal(s2.state.twoPc.lockHolder(8), 'other#1', 'the other transaction still holds its lock');
  });

  test('wait-die: a PREPARE that does not outrank the coordinator-prepared holder of its receiver dies after waitDieTicks, long before the lock wait', () => {
    const w = new TwoClusters();
    const [s1, s2] = [w.get(1), w.get(2)];
    // As above: other#1 is prepared at cluster 2 as coordinator, holding 8, and never decided.
    s2.request({ reqId: 10, command: transfer('other', 1, 8, 2, 5), hops: 0 });
    w.collect();
    w.inFlight = [];
    const otherLost = (f: Flight) => !(f.message.type === 'prepare' && f.message.txn.clientId === 'other');
    assert.ok(outranks('other#1', 'c1#1'), 'c1#1 dies (wait-die)');
    assert.ok(waitDieTicks(twoPc.lockWaitTicks) < twoPc.lockWaitTicks);
    s1.request({ reqId: 1, command: transfer('c1', 1, 1, 8, 30), hops: 0 });
    w.deliver(otherLost);
    w.tick(waitDieTicks(twoPc.lockWaitTicks) - 1, otherLost);
    assert.equal(s2.state.twoPc.participantRecord('c1#1'), undefined, 'it waits a little first');
    w.tick(2, otherLost);
    assert.equal(s2.state.twoPc.participantRecord('c1#1')?.reason, 'locked', 'then its refusal is chosen');
    w.settle(otherLost);
    assert.deepEqual(outcomesOf(w.repliesTo(1, 1)), [{ status: 'aborted', reason: 'locked' }]);
    assert.equal(s1.state.balanceOf(1), 100, 'the debit is undone');
    assert.equal(s2.state.twoPc.lockHolder(8), 'other#1', 'the holder goes on');
  });

  test('a receiver locked only for a moment (the tail of a previous transaction) does not make the next one fail', () => {
    const w = new TwoClusters();
    const [s1, s2] = [w.get(1), w.get(2)];
    // a#1 (1 -> 8) is prepared on both sides; the vote is held back.
    s1.request({ reqId: 1, command: transfer('a', 1, 1, 8, 10), hops: 0 });
    w.deliver();
    assert.equal(s2.state.twoPc.lockHolder(8), 'a#1');
    const heldVote = w.inFlight;
    w.inFlight = [];
    // b#1 (2 -> 8) reaches the participant while 8 is held.
    s1.request({ reqId: 2, command: transfer('b', 1, 2, 8, 20), hops: 0 });
    w.deliver();
    assert.equal(s2.state.twoPc.participantRecord('b#1'), undefined, 'b waits for the lock');
    // Within lockWaitTicks, a#1 is decided and releases 8.
    w.tick(1);
    for (const f of heldVote) w.servers.get(f.to)?.stepTwoPc(f.message);
    w.settle();
    w.tick(1); // a waiting command is looked at again on the server's next input
    w.settle();
    assert.deepEqual(outcomesOf(w.repliesTo(1, 1)), [{ status: 'committed' }]);
    assert.deepEqual(outcomesOf(w.repliesTo(1, 2)), [{ status: 'committed' }]);
    assert.equal(s2.state.balanceOf(8), 130);
    assert.deepEqual([s1.state.balanceOf(1), s1.state.balanceOf(2)], [90, 80]);
    assert.equal(w.totalMoney(), 600);
  });

  test('with no vote by voteTimeoutTicks the leader that chose the PREPARE in its own term aborts: the client hears aborted: timeout, the debit is undone, and the healed participant hears abort', () => {
    const w = new TwoClusters();
    const s1 = w.get(1);
    s1.request({ reqId: 1, command: transfer('c1', 1, 1, 8, 30), hops: 0 });
    w.tick(twoPc.voteTimeoutTicks - 2, () => false); // every message is lost
    assert.deepEqual(w.repliesTo(1, 1), [], 'no answer before the vote timeout');
    w.tick(4, () => false);
    assert.deepEqual(outcomesOf(w.repliesTo(1, 1)), [{ status: 'aborted', reason: 'timeout' }]);
    assert.equal(s1.state.balanceOf(1), 100);
    w.tick(twoPc.resendTicks * 3); // healed: the abort is resent until the participant acknowledges it
    assert.deepEqual(s1.state.twoPc.coordinatorRecords(), []);
    assert.equal(w.get(2).state.balanceOf(8), 100, 'nothing credited there');
    assert.equal(w.get(2).state.twoPc.lockCount, 0);
  });

  test('a participant that voted yes and lost the decision asks for it and commits', () => {
    const w = new TwoClusters();
    const [s1, s2] = [w.get(1), w.get(2)];
    s1.request({ reqId: 1, command: transfer('c1', 1, 1, 8, 30), hops: 0 });
    w.deliver();
    w.deliver(); // the vote: the coordinator commits
    assert.deepEqual(outcomesOf(w.repliesTo(1, 1)), [{ status: 'committed' }]);
    w.afterCompanyWait(); // the client was told: the commit waited for company
    const decisions = w.inFlight.filter((f) => f.message.type === 'decision');
    assert.equal(decisions.length, 1);
    w.inFlight = []; // the decision is lost
    // Cluster 1's resends are lost too; the participant's query gets through.
    w.tick(
      twoPc.queryTicks + 2,
      (f) => f.from === 2 || (f.message.type === 'decision' && w.delivered.some((d) => d.message.type === 'query')),
    );
    assert.ok(
      w.delivered.some((d) => d.message.type === 'query'),
      'the participant asked',
    );
    w.settle();
    assert.equal(s2.state.twoPc.participantRecord('c1#1')?.state, 'committed');
    assert.equal(s2.state.twoPc.lockCount, 0);
    assert.equal(s2.state.balanceOf(8), 130);
    assert.deepEqual(s1.state.twoPc.coordinatorRecords(), []);
  });
});

describe('ShardServer 2PC: a coordinator that restarts', () => {
  test('a coordinator restarted from its durable state finds the prepared transaction, resends PREPARE and commits it; a retry of the client gets the decision', () => {
    const w = new TwoClusters();
    const s1 = w.get(1);
    s1.request({ reqId: 1, command: transfer('c1', 1, 1, 8, 30), hops: 0 });
    w.deliver(); // prepared on both sides
    w.inFlight = []; // the yes vote is lost, and the coordinator's node restarts
    const image = s1.state.image();
    const restarted = new ShardServer({
      self: 1,
      members: [1],
      settings: testSettings,
      random: new SeededRandom(11),
      cluster: 1,
      clusterOfAccount,
      twoPc,
      checkpoint: { intervalSlots: 1000, logTailSlots: 1000 },
      promised: s1.replica.promisedBallot,
      log: [],
      logFloor: s1.state.appliedIndex,
      appliedIndex: s1.state.appliedIndex,
      balances: new Map(image.balances),
      sessions: image.sessions,
      coordinatorRecords: image.coordinatorRecords,
      participantRecords: image.participantRecords,
    });
    assert.equal(restarted.state.twoPc.lockHolder(1), 'c1#1', 'the lock is rebuilt from the record');
    assert.equal(restarted.state.committedBalance(1), 100);
    w.servers.set(1, restarted);
    w.tick(testSettings.electionTicksMax + 2);
    assert.ok(restarted.replica.isServing);
    restarted.request({ reqId: 5, command: transfer('c1', 1, 1, 8, 30), hops: 0 }); // the client retries
    w.settle();
    assert.deepEqual(outcomesOf(w.repliesTo(1, 5)), [{ status: 'committed' }]);
    assert.equal(restarted.state.balanceOf(1), 70);
    assert.equal(w.get(2).state.balanceOf(8), 130);
    assert.equal(w.get(2).state.twoPc.participantRecord('c1#1')?.state, 'committed');
    assert.deepEqual(restarted.state.twoPc.coordinatorRecords(), []);
    assert.equal(w.totalMoney(), 600);
  });
});

describe('ShardServer 2PC: reads of held accounts', () => {
  test('a linearizable read of an account held by a prepared transaction waits until the transaction ends, and never sees the tentative value', () => {
    const w = new TwoClusters();
    const [s1, s2] = [w.get(1), w.get(2)];
    s1.request({ reqId: 1, command: transfer('c1', 1, 1, 8, 30), hops: 0 });
    w.deliver(); // prepared on both sides; the vote is in flight
    s1.request({ reqId: 2, command: balance('r', 1, 1), hops: 0 });
    s2.request({ reqId: 3, command: balance('r', 2, 8), hops: 0 });
    w.collect();
    assert.deepEqual(w.repliesTo(1, 2), [], 'the sender is held: the read waits');
    assert.deepEqual(w.repliesTo(2, 3), [], 'the receiver is held: the read waits');
    w.settle();
    w.tick(1); // a waiting command is looked at again on the server's next input
    assert.deepEqual(outcomesOf(w.repliesTo(1, 2)), [{ status: 'ok', balance: 70 }]);
    assert.deepEqual(outcomesOf(w.repliesTo(2, 3)), [{ status: 'ok', balance: 130 }]);
  });

  test('a linearizable read of an account held for too long is answered busy, never with a tentative value', () => {
    const w = new TwoClusters();
    const s1 = w.get(1);
    s1.request({ reqId: 1, command: transfer('c1', 1, 1, 8, 30), hops: 0 });
    w.collect();
    w.inFlight = [];
    s1.request({ reqId: 2, command: balance('r', 1, 1), hops: 0 });
    w.tick(4 * twoPc.lockWaitTicks, () => false);
    assert.deepEqual(w.repliesTo(1, 2), [], 'still waiting');
    w.tick(2, () => false);
    assert.deepEqual(w.repliesTo(1, 2), [{ kind: 'busy', locked: true }]);
    assert.equal(s1.pendingCommands, 0);
  });

  test('a leader read of a held account goes through the log: a credit the client was told committed is visible once it answers; an any read answers at once with the balance before', () => {
    const w = new TwoClusters();
    const [s1, s2] = [w.get(1), w.get(2)];
    s1.request({ reqId: 1, command: transfer('c1', 1, 1, 8, 30), hops: 0 });
    w.settle((f) => f.message.type !== 'decision');
    assert.deepEqual(outcomesOf(w.repliesTo(1, 1)), [{ status: 'committed' }], 'the coordinator told the client');
    s1.request({ reqId: 2, command: balance('r', 1, 1, 'leader'), hops: 0 });
    s2.request({ reqId: 3, command: balance('r', 2, 8, 'leader'), hops: 0 });
    s2.request({ reqId: 4, command: balance('r', 3, 8, 'any'), hops: 0 });
    w.collect();
    assert.deepEqual(outcomesOf(w.repliesTo(1, 2)), [{ status: 'ok', balance: 70 }], 'the debit is decided: no wait');
    assert.deepEqual(w.repliesTo(2, 3), [], 'the participant has not heard the decision: the leader read waits');
    assert.deepEqual(
      outcomesOf(w.repliesTo(2, 4)),
      [{ status: 'ok', balance: 100 }],
      'any: never tentative, may be stale',
    );
    w.tick(twoPc.resendTicks + 2);
    assert.deepEqual(outcomesOf(w.repliesTo(2, 3)), [{ status: 'ok', balance: 130 }]);
  });

  test('an intra-shard transfer from a held sender waits, then runs after the decision', () => {
    const w = new TwoClusters();
    const s1 = w.get(1);
    s1.request({ reqId: 1, command: transfer('c1', 1, 1, 8, 30), hops: 0 });
    w.collect();
    s1.request({ reqId: 2, command: transfer('c2', 1, 1, 2, 70), hops: 0 });
    w.collect();
    assert.deepEqual(w.repliesTo(1, 2), []);
    w.settle();
    assert.deepEqual(
      outcomesOf(w.repliesTo(1, 2)),
      [{ status: 'committed' }],
      'sees the committed debit: exactly 70 left',
    );
    assert.deepEqual([s1.state.balanceOf(1), s1.state.balanceOf(2)], [0, 170]);
  });

  test('an intra-shard transfer from a sender held past lockWaitTicks is told busy, locked: nothing chosen, and the same (client, seq) commits once the sender is free', () => {
    const w = new TwoClusters();
    const s1 = w.get(1);
    s1.request({ reqId: 1, command: transfer('c1', 1, 1, 8, 30), hops: 0 });
    w.collect();
    w.inFlight = [];
    s1.request({ reqId: 2, command: transfer('c2', 1, 1, 2, 10), hops: 0 });
    w.tick(twoPc.lockWaitTicks - 1, () => false);
    assert.deepEqual(w.repliesTo(1, 2), [], 'still waiting within lockWaitTicks');
    w.tick(2, () => false);
    assert.deepEqual(w.repliesTo(1, 2), [{ kind: 'busy', locked: true }]);
    assert.equal(s1.state.sessionOf('c2'), undefined, 'no refusal chosen: the session has nothing for it');
    assert.equal(s1.pendingCommands, 0, 'it left the queue');
    assert.deepEqual([s1.state.balanceOf(1), s1.state.balanceOf(2)], [70, 100]);
    // The coordinator's resends reach the participant now; c1 is decided and frees account 1.
    w.tick(twoPc.resendTicks + 2);
    assert.deepEqual(outcomesOf(w.repliesTo(1, 1)), [{ status: 'committed' }]);
    s1.request({ reqId: 3, command: transfer('c2', 1, 1, 2, 10), hops: 0 });
    w.settle();
    assert.deepEqual(outcomesOf(w.repliesTo(1, 3)), [{ status: 'committed' }], 'the retry runs, once');
    assert.deepEqual([s1.state.balanceOf(1), s1.state.balanceOf(2)], [60, 110]);
  });
});

describe('ShardServer 2PC: leaderless participants', () => {
  test('a follower that knows no leader answers a PREPARE with a vote no, reason no-leader', () => {
    const s = newServer(4, 2, [4, 5, 6]);
    const prepare: TwoPcMessage = {
      type: 'prepare',
      txn: { clientId: 'c1', seq: 1 },
      coordinator: 1,
      to: 8,
      amount: 30,
    };
    s.stepTwoPc(prepare);
    s.propose();
    const rd = s.ready();
    assert.deepEqual(rd.twoPc, [
      {
        toCluster: 1,
        message: { type: 'vote', txn: { clientId: 'c1', seq: 1 }, participant: 2, vote: 'no', reason: 'no-leader' },
      },
    ]);
    assert.equal(s.state.twoPc.participantRecord('c1#1'), undefined, 'it prepares nothing');
    assert.equal(s.pendingCommands, 0);
  });

  test('a follower that knows a leader stays silent (the leader answers), and ignores other messages', () => {
    const s = newServer(4, 2, [4, 5, 6]);
    s.step({ type: 'accept', from: 5, ballot: ballot(3, 5), commitIndex: 0, entries: [] });
    s.advance();
    assert.equal(s.replica.leaderHint, 5);
    s.stepTwoPc({ type: 'prepare', txn: { clientId: 'c1', seq: 1 }, coordinator: 1, to: 8, amount: 30 });
    s.stepTwoPc({ type: 'decision', txn: { clientId: 'c1', seq: 1 }, coordinator: 1, decision: 'commit' });
    s.propose();
    assert.deepEqual(s.ready().twoPc, []);
    const fresh = newServer(4, 2, [4, 5, 6]);
    fresh.stepTwoPc({ type: 'decision', txn: { clientId: 'c1', seq: 1 }, coordinator: 1, decision: 'commit' });
    fresh.stepTwoPc({ type: 'query', txn: { clientId: 'c1', seq: 1 }, participant: 3 });
    fresh.propose();
    assert.deepEqual(fresh.ready().twoPc, [], 'only a PREPARE gets the no-leader answer');
  });

  test('a coordinator whose participant has no leader aborts its own PREPARE at the vote timeout: no-quorum', () => {
    const w = new TwoClusters();
    w.servers.set(2, newServer(4, 2, [4, 5, 6])); // cluster 2 never elects anyone
    const s1 = w.get(1);
    s1.request({ reqId: 1, command: transfer('c1', 1, 1, 8, 30), hops: 0 });
    w.deliver();
    assert.deepEqual(
      w.inFlight.map((f) => f.message),
      [{ type: 'vote', txn: { clientId: 'c1', seq: 1 }, participant: 2, vote: 'no', reason: 'no-leader' }],
    );
    w.deliver();
    assert.deepEqual(w.repliesTo(1, 1), [], 'no-leader is not a no vote: it waits for the vote timeout');
    w.tick(twoPc.voteTimeoutTicks + 2);
    assert.deepEqual(outcomesOf(w.repliesTo(1, 1)), [{ status: 'aborted', reason: 'no-quorum' }]);
    assert.equal(s1.state.balanceOf(1), 100);
  });
});
