import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ClusterId } from '../../src/protocol/ids.js';
import { SeededRandom } from '../../src/core/random.js';
import type { Command, Outcome } from '../../src/protocol/commands.js';
import { ShardServer } from '../../src/ledger/shard-server.js';
import type { Response } from '../../src/protocol/client.js';
import type { ClusterMessage, MoveMessage, OutboundMove } from '../../src/protocol/moves.js';
import { ballotZero } from '../../src/paxos/ballot.js';
import type { TwoPcSettings } from '../../src/twopc/driver.js';
import { testSettings } from './helpers/replica-harness.js';
import { decodeEnvelope, encodeEnvelope } from '../../src/codec/envelope.js';

/**
 * Moves between shard servers wired by hand (src/ledger/move-driver.ts through ShardServer):
 * three single-member clusters, cluster c (node c) holding accounts 10c+1..10c+3 with 100 each.
 * What one server's ready sends another cluster (2PC and move messages) is handed to that
 * server's stepTwoPc with the sender's cluster, as the runtime does from the envelope.
 */

const twoPc: TwoPcSettings = { lockWaitTicks: 5, voteTimeoutTicks: 60, resendTicks: 10, queryTicks: 30 };
const clusters = 3;

function clusterOfAccount(a: number): ClusterId | undefined {
  const c = Math.floor(a / 10);
  return c >= 1 && c <= clusters && a % 10 >= 1 && a % 10 <= 3 ? c : undefined;
}

function newServer(cluster: ClusterId, options: { balances?: Array<[number, number]> } = {}): ShardServer {
  const base = 10 * cluster;
  return new ShardServer({
    self: cluster,
    members: [cluster],
    settings: testSettings,
    random: new SeededRandom(cluster),
    cluster,
    clusterOfAccount,
    twoPc,
    twoPcBounds: { clusters, moneyTotal: 900 },
    checkpoint: { intervalSlots: 1000, logTailSlots: 1000 },
    promised: ballotZero,
    log: [],
    appliedIndex: 0,
    balances: new Map(
      options.balances ?? [
        [base + 1, 100],
        [base + 2, 100],
        [base + 3, 100],
      ],
    ),
    sessions: [],
  });
}

interface Flight {
  from: ClusterId;
  to: ClusterId;
  message: ClusterMessage;
}

class Clusters {
  readonly servers = new Map<ClusterId, ShardServer>();
  readonly replies: Array<{ cluster: ClusterId; reqId: number; response: Response }> = [];
  /** Commands each cluster chose, in slot order. */
  readonly chosenBy = new Map<ClusterId, Map<number, Command[]>>();
  inFlight: Flight[] = [];
  readonly delivered: Flight[] = [];

  constructor() {
    for (let c = 1; c <= clusters; c++) {
      const s = newServer(c);
      this.servers.set(c, s);
      this.chosenBy.set(c, new Map());
      for (let i = 0; i < 100 && !s.replica.isServing; i++) {
        s.tick();
        this.collect();
      }
      assert.ok(s.replica.isServing, `cluster ${c} elects itself`);
    }
    this.replies.length = 0;
    this.inFlight = [];
  }

  get(cluster: ClusterId): ShardServer {
    return this.servers.get(cluster) as ShardServer;
  }

  collect(): void {
    for (const [cluster, s] of this.servers) {
      for (let i = 0; i < 10 && (s.propose(), s.hasReady()); i++) {
        const ready = s.ready();
        for (const r of ready.replies) this.replies.push({ cluster, ...r });
        for (const e of ready.paxos.entries) if (e.value !== null) this.chosenBy.get(cluster)?.set(e.slot, e.value);
        for (const { toCluster, message } of ready.twoPc) this.inFlight.push({ from: cluster, to: toCluster, message });
        s.advance();
      }
    }
  }

  deliver(keep: (f: Flight) => boolean = () => true): number {
    this.collect();
    const batch = this.inFlight;
    this.inFlight = [];
    let n = 0;
    for (const f of batch) {
      if (!keep(f)) continue;
      n++;
      this.delivered.push(f);
      this.servers.get(f.to)?.stepTwoPc(f.message, f.from);
    }
    this.collect();
    return n;
  }

  settle(keep: (f: Flight) => boolean = () => true): void {
    for (let i = 0; i < 50; i++) {
      this.collect();
      if (this.inFlight.length === 0) return;
      this.deliver(keep);
    }
    assert.fail('messages still in flight after 50 rounds');
  }

  tick(n: number, keep: (f: Flight) => boolean = () => true): void {
    for (let i = 0; i < n; i++) {
      for (const s of this.servers.values()) s.tick();
      this.deliver(keep);
    }
  }

  chosen(cluster: ClusterId): Command[] {
    const bySlot = this.chosenBy.get(cluster) as Map<number, Command[]>;
    return [...bySlot.entries()].sort((a, b) => a[0] - b[0]).flatMap(([, v]) => v);
  }

  chosenKinds(cluster: ClusterId, kind: string): Command[] {
    return this.chosen(cluster).filter((c) => c.op.kind === kind);
  }

  repliesTo(cluster: ClusterId, reqId: number): Response[] {
    return this.replies.filter((r) => r.cluster === cluster && r.reqId === reqId).map((r) => r.response);
  }

  outcomesTo(cluster: ClusterId, reqId: number): Array<Outcome | string> {
    return this.repliesTo(cluster, reqId).map((r) => (r.kind === 'outcome' ? r.outcome : r.kind));
  }

  /** Asks cluster `from`'s leader to move `accounts` to `to` as the move of `epoch`. */
  moveOut(reqId: number, from: ClusterId, accounts: number[], to: ClusterId, epoch: number): void {
    this.get(from).request({
      reqId,
      command: { clientId: `reshard-${epoch}`, seq: 1, op: { kind: 'move-out', accounts, to, epoch } },
      hops: 0,
    });
  }

  totalMoney(): number {
    let sum = 0;
    for (const s of this.servers.values()) {
      sum += s.state.total();
      for (const m of s.state.outboundList()) for (const [, b] of m.balances) sum += b;
    }
    return sum;
  }
}

function transfer(clientId: string, seq: number, from: number, to: number, amount: number): Command {
  return { clientId, seq, op: { kind: 'transfer', from, to, amount } };
}

const kindsOf = (flights: Flight[]) => flights.map((f) => `${f.from}->${f.to}:${f.message.type}`);
const isMove = (f: Flight) => f.message.type === 'move';

describe('MoveDriver: a move end to end', () => {
  test('move-out at 1, move sent to 2, move-in chosen there, move-ack back, move-done at 1: no record left, the account is 2’s, the money kept', () => {
    const w = new Clusters();
    const [s1, s2, s3] = [w.get(1), w.get(2), w.get(3)];
    w.moveOut(1, 1, [11, 12], 2, 1);
    w.collect();
    assert.deepEqual(w.outcomesTo(1, 1), [{ status: 'committed' }]);
    assert.equal(s1.state.movesInFlight, 1);
    assert.equal(s1.state.balanceOf(11), undefined);
    assert.equal(w.totalMoney(), 900, 'the money in transit is in the record');
    // The move goes to 2; the other cluster hears where the accounts went.
    assert.deepEqual(kindsOf(w.inFlight), ['1->2:move', '1->3:map']);
    w.settle();
    assert.deepEqual(kindsOf(w.delivered), ['1->2:move', '1->3:map', '2->1:move-ack']);
    assert.equal(w.chosenKinds(2, 'move-in').length, 1);
    assert.equal(w.chosenKinds(1, 'move-done').length, 1);
    assert.equal(w.chosenKinds(3, 'map-merge').length, 1);
    assert.equal(s1.state.movesInFlight, 0);
    assert.deepEqual(s1.state.outboundList(), []);
    assert.equal(s2.state.balanceOf(11), 100);
    assert.equal(s2.state.balanceOf(12), 100);
    assert.deepEqual(s2.state.map.entryOf(11), { account: 11, cluster: 2, epoch: 1 });
    assert.deepEqual(s3.state.map.entryOf(12), { account: 12, cluster: 2, epoch: 1 });
    assert.equal(w.totalMoney(), 900);
    // Nothing is resent once acknowledged.
    const n = w.delivered.length;
    w.tick(3 * twoPc.resendTicks);
    assert.equal(w.delivered.length, n);
  });

  test('a lost move is resent after resendTicks ticks, not before', () => {
    const w = new Clusters();
    w.moveOut(1, 1, [11], 2, 1);
    w.deliver((f) => !isMove(f));
    assert.equal(w.get(2).state.balanceOf(11), undefined);
    const moves = () => w.delivered.filter(isMove).length;
    w.tick(twoPc.resendTicks - 1);
    assert.equal(moves(), 0, 'not resent before resendTicks');
    assert.equal(w.get(1).state.movesInFlight, 1);
    w.tick(1);
    assert.equal(moves(), 1, 'resent at resendTicks');
    w.settle();
    assert.equal(w.get(2).state.balanceOf(11), 100);
    assert.equal(w.get(1).state.movesInFlight, 0);
  });

  test('a lost move-ack: the move is resent, answered with a move-ack at once, no second move-in', () => {
    const w = new Clusters();
    w.moveOut(1, 1, [11], 2, 1);
    w.deliver(); // the move reaches 2, which chooses the move-in
    assert.equal(w.get(2).state.balanceOf(11), 100);
    w.deliver((f) => f.message.type !== 'move-ack'); // its ack is lost
    assert.equal(w.get(1).state.movesInFlight, 1);
    w.tick(twoPc.resendTicks);
    w.settle();
    assert.equal(w.chosenKinds(2, 'move-in').length, 1);
    assert.equal(w.get(1).state.movesInFlight, 0);
    assert.equal(w.get(2).state.balanceOf(11), 100);
  });

  test('a duplicated move after the move-in is acknowledged without a second move-in', () => {
    const w = new Clusters();
    w.moveOut(1, 1, [11], 2, 1);
    w.collect();
    const move = w.inFlight.find(isMove)?.message as MoveMessage;
    w.settle();
    assert.equal(w.chosenKinds(2, 'move-in').length, 1);
    const hash = w.get(2).state.stateHash;
    w.get(2).stepTwoPc(move, 1);
    w.collect();
    assert.deepEqual(kindsOf(w.inFlight), ['2->1:move-ack']);
    w.settle();
    assert.equal(w.chosenKinds(2, 'move-in').length, 1);
    assert.equal(w.get(2).state.stateHash, hash);
    assert.equal(w.get(2).state.balanceOf(11), 100);
    assert.equal(w.get(1).state.movesInFlight, 0);
  });

  test('a move delivered twice before its move-in is applied is proposed once', () => {
    const w = new Clusters();
    w.moveOut(1, 1, [11], 2, 1);
    w.collect();
    const move = w.inFlight.find(isMove)?.message as MoveMessage;
    w.inFlight = [];
    w.get(2).stepTwoPc(move, 1);
    w.get(2).stepTwoPc(move, 1);
    w.settle();
    assert.equal(w.chosenKinds(2, 'move-in').length, 1);
  });

  test('a move not addressed to this cluster, or whose source is not the sending cluster, is refused and counted', () => {
    const w = new Clusters();
    const s2 = w.get(2);
    const move = (from: number, to: number): MoveMessage => ({
      type: 'move',
      move: { epoch: 1, from, to, balances: [[11, 100]], sessions: [] } satisfies OutboundMove,
    });
    const hash = s2.state.stateHash;
    s2.stepTwoPc(move(1, 3), 1); // for cluster 3
    s2.stepTwoPc(move(1, 2), 3); // says 1, comes from 3
    s2.stepTwoPc({ type: 'move-ack', from: 1, epoch: 1 }, 3); // an ack that is not the sender's
    w.collect();
    w.tick(2);
    assert.equal(s2.refusals().get('move-not-for-us'), 3);
    assert.equal(w.chosenKinds(2, 'move-in').length, 0);
    assert.deepEqual(w.inFlight, []);
    assert.equal(s2.state.balanceOf(11), undefined);
    assert.equal(s2.state.stateHash, hash);
    assert.equal(w.get(1).refusals().get('move-not-for-us'), undefined);
  });

  test('a move-ack for a move this cluster has no record of, or from another cluster than its destination, proposes nothing', () => {
    const w = new Clusters();
    w.moveOut(1, 1, [11], 2, 1);
    w.deliver((f) => !isMove(f));
    const s1 = w.get(1);
    s1.stepTwoPc({ type: 'move-ack', from: 3, epoch: 1 }, 3); // not the destination
    s1.stepTwoPc({ type: 'move-ack', from: 2, epoch: 9 }, 2); // no such move
    w.collect();
    assert.equal(w.chosenKinds(1, 'move-done').length, 0);
    assert.equal(s1.state.movesInFlight, 1);
  });

  test('a follower ignores move messages (the leader acts on them)', () => {
    const s2 = newServer(2);
    assert.notEqual(s2.role, 'leader');
    s2.stepTwoPc({ type: 'move', move: { epoch: 1, from: 1, to: 2, balances: [[11, 100]], sessions: [] } }, 1);
    s2.stepTwoPc({ type: 'map', from: 1, entries: [{ account: 11, cluster: 3, epoch: 1 }] }, 1);
    const sent: ClusterMessage[] = [];
    const chosen: Command[] = [];
    for (let i = 0; i < 100; i++) {
      s2.tick();
      for (s2.propose(); s2.hasReady(); s2.propose()) {
        const ready = s2.ready();
        sent.push(...ready.twoPc.map((t) => t.message));
        for (const e of ready.paxos.entries) chosen.push(...(e.value ?? []));
        s2.advance();
      }
    }
    assert.equal(s2.role, 'leader', 'it leads later, and has kept nothing of what it ignored');
    assert.deepEqual(sent, []);
    assert.deepEqual(chosen, []);
    assert.equal(s2.state.balanceOf(11), undefined);
    assert.equal(s2.state.map.entryOf(11), undefined);
  });

  test('a map message: a third cluster merges the entries; old news and entries naming itself are not proposed', () => {
    const w = new Clusters();
    const s3 = w.get(3);
    s3.stepTwoPc({ type: 'map', from: 1, entries: [{ account: 11, cluster: 2, epoch: 2 }] }, 1);
    w.collect();
    assert.deepEqual(s3.state.map.entryOf(11), { account: 11, cluster: 2, epoch: 2 });
    const merges = w.chosenKinds(3, 'map-merge').length;
    s3.stepTwoPc({ type: 'map', from: 1, entries: [{ account: 11, cluster: 1, epoch: 1 }] }, 1); // older
    s3.stepTwoPc({ type: 'map', from: 1, entries: [{ account: 12, cluster: 3, epoch: 5 }] }, 1); // names us
    s3.stepTwoPc({ type: 'map', from: 1, entries: [{ account: 31, cluster: 1, epoch: 5 }] }, 1); // ours
    w.collect();
    assert.equal(w.chosenKinds(3, 'map-merge').length, merges);
    assert.equal(s3.state.balanceOf(31), 100);
    assert.equal(s3.state.map.entryOf(12), undefined);
  });
});

describe('ShardServer routing after a move', () => {
  test('a request for an account that moved is rejected as not in this shard, with its owner; the owner answers it', () => {
    const w = new Clusters();
    w.moveOut(1, 1, [11], 2, 4);
    w.settle();
    const s1 = w.get(1);
    s1.request({ reqId: 2, command: { clientId: 'c', seq: 1, op: { kind: 'balance', account: 11 } }, hops: 0 });
    s1.request({ reqId: 3, command: transfer('d', 1, 11, 12, 5), hops: 0 });
    w.collect();
    for (const reqId of [2, 3]) {
      const [r] = w.repliesTo(1, reqId);
      assert.ok(r?.kind === 'outcome', JSON.stringify(r));
      assert.equal(r.outcome.status, 'rejected');
      assert.ok((r.outcome as { reason: string }).reason.endsWith(' is not in this shard'));
      assert.deepEqual(r.owner, { account: 11, cluster: 2, epoch: 4 });
    }
    // The client sends it there with the epoch it learned (Command.mapEpoch); the copy it sent
    // before, without it, is refused at the new owner as well (it never runs there).
    w.get(2).request({ reqId: 4, command: transfer('d', 1, 11, 12, 5), hops: 0 });
    w.settle();
    assert.deepEqual(w.outcomesTo(2, 4), [{ status: 'rejected', reason: 'account 11 is not in this shard' }]);
    w.get(2).request({ reqId: 5, command: { ...transfer('d', 1, 11, 12, 5), mapEpoch: 4 }, hops: 0 });
    w.settle();
    assert.deepEqual(w.outcomesTo(2, 5), [{ status: 'committed' }]);
    assert.equal(w.get(2).state.balanceOf(11), 95);
  });

  test('a cross-shard transfer to a receiver that moved is aborted as not in this shard (the coordinator keeps the reason, so the client sends it again)', () => {
    const w = new Clusters();
    w.moveOut(1, 2, [21], 3, 1);
    w.settle();
    // Cluster 1 did hear (the map message), so it sends to 3; a cluster that did not hear…
    assert.equal(w.get(1).state.map.entryOf(21)?.cluster, 3);
    w.get(1).request({ reqId: 2, command: transfer('c', 1, 11, 21, 5), hops: 0 });
    w.settle();
    assert.deepEqual(w.outcomesTo(1, 2), [{ status: 'committed' }]);
    assert.equal(w.get(3).state.balanceOf(21), 105);
    // …sends the PREPARE to 2, which votes no: the client hears aborted with the owner.
    const w2 = new Clusters();
    w2.moveOut(1, 2, [21], 3, 1);
    w2.settle((f) => f.message.type !== 'map');
    assert.equal(w2.get(1).state.map.entryOf(21), undefined);
    w2.get(1).request({ reqId: 2, command: transfer('c', 1, 11, 21, 5), hops: 0 });
    w2.settle((f) => f.message.type !== 'map');
    const [r] = w2.repliesTo(1, 2);
    assert.ok(r?.kind === 'outcome', JSON.stringify(r));
    assert.equal(r.outcome.status, 'aborted', JSON.stringify(r));
    assert.ok((r.outcome as { reason: string }).reason.endsWith(' is not in this shard'), JSON.stringify(r));
    assert.equal(w2.get(1).state.balanceOf(11), 100, 'the debit undone');
    assert.equal(w2.get(3).state.balanceOf(21), 100);
  });

  test('a wrong shard from a cluster whose map has no entry for the account (its move-in not applied yet) names no owner, and the reply decodes', () => {
    const w = new Clusters();
    w.moveOut(1, 1, [11], 2, 1);
    w.collect();
    w.inFlight = []; // the move has not reached 2
    w.get(2).request({ reqId: 2, command: { clientId: 'c', seq: 1, op: { kind: 'balance', account: 11 } }, hops: 0 });
    w.collect();
    const [r] = w.repliesTo(2, 2);
    assert.ok(r?.kind === 'outcome');
    assert.deepEqual(r.outcome, { status: 'rejected', reason: 'account 11 is not in this shard' });
    assert.equal(r.owner, undefined, 'the initial owner is no news to a client');
    const decoded = decodeEnvelope(encodeEnvelope({ kind: 'response', response: r }));
    assert.deepEqual(decoded, { kind: 'response', response: r });
  });

  test("wrong shard comes before a session's answer: a retry of a command that ran before the move is sent on, and the destination answers it from the carried session", () => {
    const w = new Clusters();
    const [s1, s2] = [w.get(1), w.get(2)];
    s1.request({ reqId: 1, command: transfer('c', 1, 11, 12, 30), hops: 0 });
    w.collect();
    assert.deepEqual(w.outcomesTo(1, 1), [{ status: 'committed' }]);
    w.moveOut(2, 1, [11, 12], 2, 1);
    w.settle();
    s1.request({ reqId: 3, command: transfer('c', 1, 11, 12, 30), hops: 0 });
    w.collect();
    const [r] = w.repliesTo(1, 3);
    assert.ok(r?.kind === 'outcome');
    assert.equal(r.outcome.status, 'rejected');
    assert.equal(r.owner?.cluster, 2);
    s2.request({ reqId: 4, command: transfer('c', 1, 11, 12, 30), hops: 0 });
    w.settle();
    assert.deepEqual(w.outcomesTo(2, 4), [{ status: 'committed' }]);
    assert.equal(s2.state.balanceOf(11), 70, 'not run again');
    assert.equal(s2.state.balanceOf(12), 130);
  });

  test("a transfer to a receiver this cluster's map places here but its state does not hold yet is told busy", () => {
    // Cluster 2 is the initial owner of 23 but does not hold it (a move of it is on its way in).
    const s2 = newServer(2, {
      balances: [
        [21, 100],
        [22, 100],
      ],
    });
    for (let i = 0; i < 100 && !s2.replica.isServing; i++) {
      s2.tick();
      for (s2.propose(); s2.hasReady(); s2.propose()) {
        s2.ready();
        s2.advance();
      }
    }
    s2.request({ reqId: 1, command: transfer('c', 1, 21, 23, 5), hops: 0 });
    s2.propose();
    const ready = s2.ready();
    assert.deepEqual(
      ready.replies.map((r) => r.response),
      [{ kind: 'busy' }],
    );
    assert.deepEqual(ready.twoPc, [], 'no transaction with itself');
    assert.equal(s2.state.balanceOf(21), 100);
  });

  test('move-out and map-merge requests at a follower go to the leader', () => {
    const s1 = newServer(1);
    assert.notEqual(s1.role, 'leader');
    s1.request({
      reqId: 1,
      command: { clientId: 'r', seq: 1, op: { kind: 'move-out', accounts: [11], to: 2, epoch: 1 } },
      hops: 0,
    });
    s1.request({
      reqId: 2,
      command: { clientId: 'r', seq: 2, op: { kind: 'map-merge', entries: [{ account: 21, cluster: 3, epoch: 1 }] } },
      hops: 0,
    });
    const ready = s1.ready();
    assert.deepEqual(
      ready.replies.map((r) => r.response.kind),
      ['redirect', 'redirect'],
    );
    assert.equal(s1.state.balanceOf(11), 100);
  });
});

describe("the leader's admission of a move-out", () => {
  test('a transfer admitted before the move-out on its account is applied first, even from a client with earlier commands in the batch; one after it waits, then gets wrong shard', () => {
    const w = new Clusters();
    const s1 = w.get(1);
    // Origin `a` has a read and a transfer admitted; the move-out's origin would take its turn
    // between them (FairBatch), but the transfer holds account 11.
    s1.request({ reqId: 1, command: { clientId: 'a-1', seq: 1, op: { kind: 'balance', account: 13 } }, hops: 0 });
    s1.request({ reqId: 2, command: transfer('a-2', 1, 11, 13, 10), hops: 0 });
    w.moveOut(3, 1, [11], 2, 1);
    s1.request({ reqId: 4, command: transfer('b-1', 1, 11, 12, 5), hops: 0 });
    w.collect();
    const kinds = w.chosen(1).map((c) => (c.op.kind === 'move-out' ? c.op.kind : c.clientId));
    assert.deepEqual(kinds, ['a-1', 'a-2', 'move-out', 'b-1']);
    assert.deepEqual(w.outcomesTo(1, 2), [{ status: 'committed' }]);
    assert.deepEqual(w.outcomesTo(1, 3), [{ status: 'committed' }]);
    const [r] = w.repliesTo(1, 4);
    assert.ok(r?.kind === 'outcome');
    assert.deepEqual(r.outcome, { status: 'rejected', reason: 'account 11 is not in this shard' });
    assert.deepEqual(r.owner, { account: 11, cluster: 2, epoch: 1 });
    assert.deepEqual(s1.state.outbound(1)?.balances, [[11, 90]]);
    w.settle();
    assert.equal(w.get(2).state.balanceOf(11), 90);
    assert.equal(w.totalMoney(), 900);
  });

  test('a move-out waiting on an account held by a prepared cross-shard transfer gives up with busy after the lock wait; once decided, it goes', () => {
    const w = new Clusters();
    const s1 = w.get(1);
    // 11 -> 21 is prepared at 1; its PREPARE to 2 is held back, so 11 stays locked.
    s1.request({ reqId: 1, command: transfer('x', 1, 11, 21, 5), hops: 0 });
    w.collect();
    const held = w.inFlight;
    w.inFlight = [];
    assert.equal(s1.state.twoPc.lockHolder(11), 'x#1');
    w.moveOut(2, 1, [11], 2, 1);
    w.collect();
    const noPrepare = (f: Flight) => f.message.type !== 'prepare';
    w.tick(twoPc.lockWaitTicks - 1, noPrepare);
    assert.deepEqual(w.repliesTo(1, 2), [], 'still waiting within the lock wait');
    w.tick(2, noPrepare);
    assert.deepEqual(w.outcomesTo(1, 2), ['busy']);
    assert.equal(w.chosenKinds(1, 'move-out').length, 0, 'nothing chosen: it gave up');
    assert.equal(s1.state.balanceOf(11), 95);
    assert.equal(s1.pendingCommands, 0);
    // The transaction ends; the driver's retry (the same command) then moves the account.
    w.inFlight.push(...held);
    w.settle();
    assert.deepEqual(w.outcomesTo(1, 1), [{ status: 'committed' }]);
    w.moveOut(3, 1, [11], 2, 1);
    w.settle();
    assert.deepEqual(w.outcomesTo(1, 3), [{ status: 'committed' }]);
    assert.equal(w.get(2).state.balanceOf(11), 95);
    assert.equal(w.totalMoney(), 900);
  });

  test('an audit’s hold keeps a new move-out waiting (it starts moving money between shards)', () => {
    const w = new Clusters();
    const s1 = w.get(1);
    s1.holdCrossShard(50);
    w.moveOut(1, 1, [11], 2, 1);
    w.tick(3);
    assert.equal(w.chosenKinds(1, 'move-out').length, 0);
    assert.equal(s1.state.balanceOf(11), 100);
    w.tick(50);
    w.settle();
    assert.equal(w.chosenKinds(1, 'move-out').length, 1);
    assert.equal(w.get(2).state.balanceOf(11), 100);
  });
});
