import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { NodeId } from '../../src/protocol/ids.js';
import { limits } from '../../src/core/limits.js';
import { SeededRandom } from '../../src/core/random.js';
import type { Command, Batch } from '../../src/protocol/commands.js';
import { ShardServer } from '../../src/ledger/shard-server.js';
import type { Response } from '../../src/protocol/client.js';
import { mustSyncBeforeSend, sendableBeforePersist, type ShardReady } from '../../src/ledger/shard-ready.js';
import { ballotZero } from '../../src/paxos/ballot.js';
import { ballot, testSettings, tickUntilPreVote, type Envelope } from './helpers/replica-harness.js';

function transfer(clientId: string, seq: number, from: number, to: number, amount: number): Command {
  return { clientId, seq, op: { kind: 'transfer', from, to, amount } };
}

function newServer(self: NodeId, accounts: number, settings = testSettings): ShardServer {
  return new ShardServer({
    self,
    members: [1, 2, 3],
    settings,
    random: new SeededRandom(self),
    cluster: 1,
    clusterOfAccount: (a: number) => (a >= 1 && a <= accounts ? 1 : undefined),
    twoPc: { lockWaitTicks: 50, voteTimeoutTicks: 200, resendTicks: 20, queryTicks: 100 },
    checkpoint: { intervalSlots: 1000, logTailSlots: 1000 },
    promised: ballotZero,
    log: [],
    appliedIndex: 0,
    balances: new Map(Array.from({ length: accounts }, (_, i) => [i + 1, 100] as [number, number])),
    sessions: [],
  });
}

/** Three shard servers wired by hand; every ready is recorded so tests can look at it. */
class ShardCluster {
  readonly servers = new Map<NodeId, ShardServer>();
  readonly readies: Array<{ node: NodeId; ready: ShardReady }> = [];
  private inFlight: Envelope<Batch>[] = [];

  constructor(accounts = 4, settings = testSettings) {
    for (const id of [1, 2, 3]) this.servers.set(id, newServer(id, accounts, settings));
  }

  get(id: NodeId): ShardServer {
    return this.servers.get(id) as ShardServer;
  }

  /** The runtime's ready loop on every server: take the ready, record it, send, advance. */
  collect(): void {
    for (const [id, s] of this.servers) {
      for (s.propose(); s.hasReady(); s.propose()) this.send(id, s.ready());
    }
  }

  /** Records and sends a ready `id` handed out, and advances it (the runtime's persist-then-send). */
  send(id: NodeId, ready: ShardReady): void {
    this.readies.push({ node: id, ready });
    for (const { to, message } of ready.paxos.messages) {
      for (const t of to === 'all' ? [1, 2, 3].filter((m) => m !== id) : [to])
        this.inFlight.push({ from: id, to: t, message });
    }
    this.get(id).advance();
  }

  settle(): void {
    this.collect();
    for (let i = 0; i < 100 && this.inFlight.length > 0; i++) {
      const batch = this.inFlight;
      this.inFlight = [];
      for (const e of batch) this.get(e.to).step(e.message);
      this.collect();
    }
    assert.equal(this.inFlight.length, 0, 'the cluster settles');
  }

  dropAll(): void {
    this.collect();
    this.inFlight = [];
  }

  elect(id: NodeId): ShardServer {
    tickUntilPreVote(this.get(id).replica);
    this.settle();
    assert.equal(this.get(id).role, 'leader');
    return this.get(id);
  }

  /** Lets the leader send a heartbeat so followers learn the commit index. */
  heartbeat(leader: NodeId): void {
    for (let i = 0; i < testSettings.heartbeatTicks; i++) this.get(leader).tick();
    this.settle();
  }

  /** Every reply a node gave to `reqId`, in order. */
  repliesTo(node: NodeId, reqId: number): Response[] {
    const out: Response[] = [];
    for (const r of this.readies)
      if (r.node === node) for (const x of r.ready.replies) if (x.reqId === reqId) out.push(x.response);
    return out;
  }

  /** The ready in which `node` answered `reqId`. */
  readyAnswering(node: NodeId, reqId: number): ShardReady | undefined {
    return this.readies.find((r) => r.node === node && r.ready.replies.some((x) => x.reqId === reqId))?.ready;
  }
}

/** Slots and their command keys carried by the accepts in a ready. */
function proposed(ready: ShardReady): Array<[number, string[]]> {
  const out: Array<[number, string[]]> = [];
  for (const { message } of ready.paxos.messages) {
    if (message.type !== 'accept') continue;
    for (const e of message.entries) out.push([e.slot, (e.value ?? []).map((c) => `${c.clientId}#${c.seq}`)]);
  }
  return out;
}

function outcomeOf(response: Response | undefined): unknown {
  assert.equal(response?.kind, 'outcome', `expected an outcome, got ${JSON.stringify(response)}`);
  return response?.kind === 'outcome' ? response.outcome : undefined;
}

describe('ShardServer: routing', () => {
  test('a follower forwards a request to the leader it follows', () => {
    const c = new ShardCluster();
    c.elect(1);
    const s2 = c.get(2);
    s2.request({ reqId: 7, command: transfer('c1', 1, 1, 2, 10), hops: 0 });
    s2.propose();
    const rd = s2.ready();
    assert.deepEqual(rd.forwards, [{ reqId: 7, to: 1 }]);
    assert.deepEqual(rd.replies, []);
    assert.equal(s2.pendingCommands, 0);
  });

  test('a follower that knows no leader redirects without a hint', () => {
    const s = newServer(2, 4);
    s.request({ reqId: 7, command: transfer('c1', 1, 1, 2, 10), hops: 0 });
    s.propose();
    const rd = s.ready();
    assert.deepEqual(rd.replies, [{ reqId: 7, response: { kind: 'redirect', leaderHint: undefined } }]);
    assert.deepEqual(rd.forwards, []);
  });

  test('a follower redirects instead of forwarding once the request used up its hops', () => {
    const c = new ShardCluster();
    c.elect(1);
    const s2 = c.get(2);
    s2.request({ reqId: 7, command: transfer('c1', 1, 1, 2, 10), hops: limits.forwardHopsMax });
    s2.propose();
    const rd = s2.ready();
    assert.deepEqual(rd.replies, [{ reqId: 7, response: { kind: 'redirect', leaderHint: 1 } }]);
    assert.deepEqual(rd.forwards, []);
  });

  test('a replica rejects accounts not in its shard, without forwarding or proposing', () => {
    const c = new ShardCluster();
    c.elect(1);
    for (const id of [1, 2]) {
      const s = c.get(id);
      s.request({ reqId: 9, command: transfer('c1', 1, 1, 99, 10), hops: 0 });
      s.propose();
      const rd = s.ready();
      assert.deepEqual(rd.replies, [
        {
          reqId: 9,
          response: {
            kind: 'outcome',
            outcome: { status: 'rejected', reason: 'account 99 does not exist' },
            servedBy: id,
            slot: undefined,
          },
        },
      ]);
      assert.deepEqual(rd.forwards, []);
      assert.deepEqual(proposed(rd), []);
      s.advance();
    }
  });
});

describe('ShardServer: the leader', () => {
  test('the leader proposes a transfer and answers only once it is chosen and applied; the state is written at the next checkpoint', () => {
    const c = new ShardCluster();
    const s1 = c.elect(1);
    s1.request({ reqId: 1, command: transfer('c1', 1, 1, 2, 10), hops: 0 });
    s1.propose();
    const first = s1.ready();
    assert.deepEqual(first.replies, [], 'no answer before the value is chosen');
    assert.deepEqual(proposed(first), [[1, ['c1#1']]]);
    c.settle();
    assert.deepEqual(c.repliesTo(1, 1), [{ kind: 'outcome', outcome: { status: 'committed' }, servedBy: 1, slot: 1 }]);
    const answering = c.readyAnswering(1, 1);
    assert.equal(s1.state.appliedIndex, 1);
    assert.equal(answering?.state, undefined, 'between checkpoints the state is not written: the chosen log holds it');
    assert.ok(
      answering?.paxos.entries.some((e) => e.slot === 1 && e.chosen),
      'the chosen mark is',
    );
    c.heartbeat(1);
    for (const id of [1, 2, 3]) assert.equal(c.get(id).state.balanceOf(1), 90, `n${id} applied the transfer`);
  });

  test('the leader answers a duplicate (clientId, seq) from the session without proposing it again', () => {
    const c = new ShardCluster();
    const s1 = c.elect(1);
    s1.request({ reqId: 1, command: transfer('c1', 1, 1, 2, 10), hops: 0 });
    c.settle();
    s1.request({ reqId: 2, command: transfer('c1', 1, 1, 2, 10), hops: 0 });
    s1.propose();
    const rd = s1.ready();
    assert.deepEqual(rd.replies, [
      { reqId: 2, response: { kind: 'outcome', outcome: { status: 'committed' }, servedBy: 1, slot: 1 } },
    ]);
    assert.deepEqual(proposed(rd), []);
    c.settle();
    assert.equal(s1.state.balanceOf(1), 90);
  });

  test('the leader answers a request older than the session as stale-sequence', () => {
    const c = new ShardCluster();
    const s1 = c.elect(1);
    s1.request({ reqId: 1, command: transfer('c1', 5, 1, 2, 10), hops: 0 });
    c.settle();
    s1.request({ reqId: 2, command: transfer('c1', 4, 1, 2, 10), hops: 0 });
    s1.propose();
    assert.deepEqual(outcomeOf(s1.ready().replies[0]?.response), { status: 'rejected', reason: 'stale-sequence' });
  });

  test('a retry of a command still in flight is not proposed twice; both requests get its outcome', () => {
    const c = new ShardCluster();
    const s1 = c.elect(1);
    s1.request({ reqId: 1, command: transfer('c1', 1, 1, 2, 10), hops: 0 });
    s1.request({ reqId: 2, command: transfer('c1', 1, 1, 2, 10), hops: 0 });
    s1.propose();
    assert.deepEqual(proposed(s1.ready()), [[1, ['c1#1']]]);
    c.settle();
    assert.deepEqual(outcomeOf(c.repliesTo(1, 1)[0]), { status: 'committed' });
    assert.deepEqual(outcomeOf(c.repliesTo(1, 2)[0]), { status: 'committed' });
    assert.equal(s1.state.balanceOf(1), 90);
  });

  test('conflicting transfers are serialized by locks: the second waits and is proposed after the first applies', () => {
    const c = new ShardCluster();
    const s1 = c.elect(1);
    s1.request({ reqId: 1, command: transfer('a', 1, 1, 2, 100), hops: 0 });
    s1.request({ reqId: 2, command: transfer('b', 1, 1, 3, 50), hops: 0 });
    s1.propose();
    assert.deepEqual(proposed(s1.ready()), [[1, ['a#1']]], 'b#1 shares account 1 with a#1');
    assert.equal(s1.pendingCommands, 1);
    c.settle();
    const proposals = c.readies.filter((r) => r.node === 1).flatMap((r) => proposed(r.ready));
    assert.deepEqual(
      proposals.filter(([, keys]) => keys.includes('b#1')).map(([slot]) => slot),
      [2],
    );
    assert.deepEqual(c.repliesTo(1, 1), [{ kind: 'outcome', outcome: { status: 'committed' }, servedBy: 1, slot: 1 }]);
    // Sequential, deterministic outcome: b sees a's debit, it does not fail spuriously on a lock.
    assert.deepEqual(c.repliesTo(1, 2), [
      { kind: 'outcome', outcome: { status: 'insufficient-funds', balance: 0 }, servedBy: 1, slot: 2 },
    ]);
    assert.equal(s1.pendingCommands, 0);
  });

  test('transfers on disjoint accounts are in flight at the same time', () => {
    const c = new ShardCluster(6);
    const s1 = c.elect(1);
    s1.request({ reqId: 1, command: transfer('a', 1, 1, 2, 10), hops: 0 });
    s1.request({ reqId: 2, command: transfer('b', 1, 3, 4, 10), hops: 0 });
    s1.propose();
    assert.deepEqual(proposed(s1.ready()), [[1, ['a#1', 'b#1']]]);
    s1.advance();
    s1.request({ reqId: 3, command: transfer('c', 1, 1, 3, 10), hops: 0 });
    s1.request({ reqId: 4, command: transfer('d', 1, 5, 6, 10), hops: 0 });
    s1.propose();
    assert.deepEqual(
      proposed(s1.ready()),
      [[2, ['d#1']]],
      'd#1 does not wait behind slot 1 (c#1 does: it shares accounts)',
    );
  });

  test('a leader proposes everything that arrived while the previous batch was persisting in one slot', () => {
    const c = new ShardCluster(12);
    const s1 = c.elect(1);
    s1.request({ reqId: 0, command: transfer('c0', 1, 1, 2, 1), hops: 0 });
    s1.propose();
    const first = s1.ready();
    assert.deepEqual(proposed(first), [[1, ['c0#1']]]);
    // The runtime persists and sends that ready; meanwhile five more requests arrive. They only
    // queue: a proposal is the runtime's input once per turn, after advance(), never between
    // ready() and advance().
    for (let i = 1; i < 6; i++)
      s1.request({ reqId: i, command: transfer(`c${i}`, 1, 2 * i + 1, 2 * i + 2, 1), hops: 0 });
    assert.deepEqual(proposed(s1.ready()), [[1, ['c0#1']]], 'nothing is proposed between two readies');
    c.send(1, first);
    s1.propose();
    assert.equal(s1.hasReady(), true);
    const second = s1.ready();
    assert.deepEqual(proposed(second), [[2, ['c1#1', 'c2#1', 'c3#1', 'c4#1', 'c5#1']]]);
    c.send(1, second);
    c.settle();
    for (let i = 0; i < 6; i++) assert.deepEqual(outcomeOf(c.repliesTo(1, i)[0]), { status: 'committed' });
  });

  test('commands waiting for room in the pipeline are batched into one slot', () => {
    const c = new ShardCluster(12);
    const s1 = c.elect(1);
    for (let i = 0; i < 4; i++) {
      s1.request({ reqId: i, command: transfer(`c${i}`, 1, 2 * i + 1, 2 * i + 2, 1), hops: 0 });
      c.collect();
    }
    assert.equal(s1.replica.proposalRoom, 0, 'slotsInFlightMax is 4');
    for (let i = 4; i < 6; i++)
      s1.request({ reqId: i, command: transfer(`c${i}`, 1, 2 * i + 1, 2 * i + 2, 1), hops: 0 });
    s1.propose();
    assert.equal(s1.hasReady(), false, 'no room: the commands wait');
    assert.equal(s1.pendingCommands, 2);
    c.settle();
    const proposals = c.readies.filter((r) => r.node === 1).flatMap((r) => proposed(r.ready));
    assert.deepEqual(
      proposals.find(([slot]) => slot === 5),
      [5, ['c4#1', 'c5#1']],
    );
    for (let i = 0; i < 6; i++) assert.deepEqual(outcomeOf(c.repliesTo(1, i)[0]), { status: 'committed' });
  });

  test('behind two slots in flight, a batch smaller than commandsPerSlotBehindMin waits for one to be chosen', () => {
    const c = new ShardCluster(20, { ...testSettings, commandsPerSlotBehindMin: 3 });
    const s1 = c.elect(1);
    const send = (i: number) =>
      s1.request({ reqId: i, command: transfer(`c${i}`, 1, 2 * i + 1, 2 * i + 2, 1), hops: 0 });
    const proposeOne = (): ShardReady => {
      s1.propose();
      const ready = s1.ready();
      c.send(1, ready);
      return ready;
    };
    // Nothing in flight, then one: a single command goes at once both times.
    send(0);
    assert.deepEqual(proposed(proposeOne()), [[1, ['c0#1']]]);
    send(1);
    assert.deepEqual(proposed(proposeOne()), [[2, ['c1#1']]]);
    // Two slots in flight: two commands are fewer than 3, so they wait...
    send(2);
    send(3);
    s1.propose();
    assert.equal(s1.hasReady(), false, 'a small batch waits behind two slots in flight');
    assert.equal(s1.replica.slotsInFlight, 2);
    // ...and a third makes the batch big enough to go behind them.
    send(4);
    assert.deepEqual(proposed(proposeOne()), [[3, ['c2#1', 'c3#1', 'c4#1']]]);
    // One more waits until a slot is chosen, then goes alone.
    send(5);
    s1.propose();
    assert.equal(s1.hasReady(), false);
    c.settle();
    const proposals = c.readies.filter((r) => r.node === 1).flatMap((r) => proposed(r.ready));
    assert.deepEqual(
      proposals.find(([slot]) => slot === 4),
      [4, ['c5#1']],
    );
    for (let i = 0; i < 6; i++) assert.deepEqual(outcomeOf(c.repliesTo(1, i)[0]), { status: 'committed' });
  });

  test('a batch larger than a slot holds is split over several slots of at most commandsPerSlotMax', () => {
    const n = limits.commandsPerSlotMax + 3;
    const c = new ShardCluster(2 * n);
    const s1 = c.elect(1);
    for (let i = 0; i < n; i++)
      s1.request({ reqId: i, command: transfer(`c${i}`, 1, 2 * i + 1, 2 * i + 2, 1), hops: 0 });
    s1.propose();
    assert.deepEqual(
      proposed(s1.ready()).map(([slot, keys]) => [slot, keys.length]),
      [
        [1, limits.commandsPerSlotMax],
        [2, 3],
      ],
    );
  });

  test('a balance read proposed after a transfer answers the balance after it', () => {
    const c = new ShardCluster();
    const s1 = c.elect(1);
    s1.request({ reqId: 1, command: transfer('a', 1, 1, 2, 30), hops: 0 });
    s1.request({ reqId: 2, command: { clientId: 'b', seq: 1, op: { kind: 'balance', account: 1 } }, hops: 0 });
    c.settle();
    assert.deepEqual(outcomeOf(c.repliesTo(1, 2)[0]), { status: 'ok', balance: 70 });
  });

  test('a leader that loses leadership answers its waiting requests with redirect to the new leader', () => {
    const c = new ShardCluster();
    const s1 = c.elect(1);
    s1.request({ reqId: 1, command: transfer('a', 1, 1, 2, 10), hops: 0 });
    s1.request({ reqId: 2, command: transfer('b', 1, 2, 3, 10), hops: 0 }); // waits for a lock
    c.dropAll();
    s1.step({ type: 'accept', from: 2, ballot: ballot(9, 2), commitIndex: 0, entries: [] });
    s1.propose();
    const rd = s1.ready();
    assert.equal(s1.role, 'follower');
    assert.deepEqual(rd.replies, [
      { reqId: 1, response: { kind: 'redirect', leaderHint: 2 } },
      { reqId: 2, response: { kind: 'redirect', leaderHint: 2 } },
    ]);
    assert.equal(s1.pendingCommands, 0);
  });
});

describe('ShardServer: what may leave before the persist', () => {
  test("a leader's accepts may leave before its own acceptance is persisted; a follower's accepted may not", () => {
    const c = new ShardCluster();
    const s1 = c.elect(1);
    s1.request({ reqId: 1, command: transfer('c1', 1, 1, 2, 10), hops: 0 });
    s1.propose();
    const rd = s1.ready();
    assert.deepEqual(
      sendableBeforePersist(rd).map((m) => m.message.type),
      ['accept'],
    );
    c.send(1, rd);
    const s2 = c.get(2);
    for (const r of c.readies)
      for (const { message } of r.ready.paxos.messages)
        if (message.type === 'accept' && message.entries.length > 0) s2.step(message);
    s2.propose();
    const follower = s2.ready();
    assert.ok(follower.paxos.messages.some((m) => m.message.type === 'accepted'));
    assert.deepEqual(sendableBeforePersist(follower), [], 'an accepted is a vote: it waits for the persist');
  });

  test('a ready that carries a promise or a NEW-VIEW sends nothing before it is persisted', () => {
    const c = new ShardCluster();
    tickUntilPreVote(c.get(1).replica);
    c.settle();
    const views = c.readies.filter((r) => r.ready.paxos.newViews.length > 0 || r.ready.paxos.promised !== undefined);
    assert.ok(views.length > 0);
    for (const r of views) assert.deepEqual(sendableBeforePersist(r.ready), []);
  });
});

describe('ShardServer: what must reach the disk before the messages leave', () => {
  test('votes must: a promise, a NEW-VIEW, an accepted entry not known chosen', () => {
    const c = new ShardCluster();
    tickUntilPreVote(c.get(1).replica);
    c.settle();
    const votes = c.readies.filter((r) => r.ready.paxos.promised !== undefined || r.ready.paxos.newViews.length > 0);
    assert.ok(votes.length > 0);
    for (const r of votes) assert.equal(mustSyncBeforeSend(r.ready, 3), true);

    const s1 = c.get(1);
    s1.request({ reqId: 1, command: transfer('c1', 1, 1, 2, 10), hops: 0 });
    s1.propose();
    const proposal = s1.ready();
    assert.ok(
      proposal.paxos.entries.some((e) => !e.chosen),
      "the leader's own acceptance of its proposal",
    );
    assert.equal(mustSyncBeforeSend(proposal, 3), true);
    c.send(1, proposal);
    const s2 = c.get(2);
    for (const r of c.readies)
      for (const { message } of r.ready.paxos.messages)
        if (message.type === 'accept' && message.entries.length > 0) s2.step(message);
    s2.propose();
    const follower = s2.ready();
    assert.ok(follower.paxos.messages.some((m) => m.message.type === 'accepted'));
    assert.equal(mustSyncBeforeSend(follower, 3), true, "a follower's accepted waits for the disk");
  });

  test('knowledge need not: the ready that learns a value chosen, applies it and answers the client', () => {
    const c = new ShardCluster();
    const s1 = c.elect(1);
    s1.request({ reqId: 7, command: transfer('c1', 1, 1, 2, 10), hops: 0 });
    c.settle();
    const answering = c.readyAnswering(1, 7);
    assert.ok(answering !== undefined);
    assert.ok(
      answering.paxos.entries.length > 0 && answering.paxos.entries.every((e) => e.chosen),
      'it carries only chosen marks',
    );
    assert.equal(mustSyncBeforeSend(answering, 3), false);
    // A checkpoint's state writes are knowledge too.
    assert.equal(
      mustSyncBeforeSend(
        { ...answering, state: { appliedIndex: 1, balances: [[1, 0]], sessions: [], evictedSessions: [] } },
        3,
      ),
      false,
    );
    c.heartbeat(1);
    const followerApply = c.readies.find((r) => r.node === 2 && r.ready.paxos.entries.some((e) => e.chosen));
    assert.ok(followerApply !== undefined);
    assert.equal(mustSyncBeforeSend(followerApply.ready, 3), false, 'a follower learning what was chosen');
    assert.equal(
      mustSyncBeforeSend(answering, 1),
      true,
      'in a single-member cluster every write is the whole majority',
    );
  });
});
