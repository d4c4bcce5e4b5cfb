/** Regression tests for bugs found in review of the first version of the cores. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Command, Session } from '../../src/protocol/commands.js';
import { LedgerState } from '../../src/ledger/state.js';
import { ShardServer } from '../../src/ledger/shard-server.js';
import { SeededRandom } from '../../src/core/random.js';
import { ballotZero, initialBallot } from '../../src/paxos/ballot.js';
import type { PaxosMessage } from '../../src/protocol/paxos.js';
import {
  ballot,
  drain,
  logEntry,
  messagesOf,
  newReplica,
  testSettings,
  tickUntilPreVote,
} from './helpers/replica-harness.js';

function transfer(clientId: string, seq: number, from: number, to: number, amount: number): Command {
  return { clientId, seq, op: { kind: 'transfer', from, to, amount } };
}

test('replicas evict the same session even when one of them reloaded its sessions from disk', () => {
  const balances = new Map([
    [1, 100],
    [2, 100],
  ]);
  const live = new LedgerState({ balances, appliedIndex: 0, sessionsMax: 2 });
  // Slot 1 records b then a (command order inside the batch).
  live.applySlot(1, [transfer('b', 1, 1, 2, 10), transfer('a', 1, 1, 2, 10)]);
  const w = live.takeWrites();
  // A replica that restarts now loads its sessions the way SqliteNodeStore does: ORDER BY slot, client_id.
  const loaded: Session[] = [...w.sessions].sort((x, y) => x.slot - y.slot || (x.clientId < y.clientId ? -1 : 1));
  const restarted = new LedgerState({
    balances: new Map(live.accounts()),
    sessions: loaded,
    appliedIndex: 1,
    sessionsMax: 2,
  });
  for (const s of [live, restarted]) {
    s.applySlot(2, [transfer('c', 1, 1, 2, 10)]); // evicts one of a, b
    s.applySlot(3, [transfer('b', 1, 1, 2, 10)]); // b retries its first transfer
  }
  assert.deepEqual([...restarted.accounts()], [...live.accounts()], 'the replicas diverged');
});

test('a new leader whose only source for the decided prefix dies does not lead forever without serving', () => {
  // n2 knows slots 1-2 are chosen; n3 accepted them but does not know; n1 has nothing.
  const n1 = newReplica(1, { promised: ballot(1, 2) });
  const n2 = newReplica(2, {
    promised: ballot(1, 2),
    log: [logEntry(1, ballot(1, 2), 'a', true), logEntry(2, ballot(1, 2), 'b', true)],
  });
  const n3 = newReplica(3, {
    promised: ballot(1, 2),
    log: [logEntry(1, ballot(1, 2), 'a'), logEntry(2, ballot(1, 2), 'b')],
  });
  tickUntilPreVote(n1);
  drain(n1);
  n3.step({ type: 'prevote', from: 1, attempt: 1, commitIndex: 0 });
  for (const { message } of drain(n3).messages) n1.step(message);
  const [prepare] = messagesOf(drain(n1).messages, 'prepare');
  assert.ok(prepare);
  n2.step(prepare.message); // n2's promise arrives first
  for (const { message } of drain(n2).messages) n1.step(message);
  assert.equal(n1.role, 'leader');
  // n2 crashes for good. n3 answers everything; n1 and n3 are a majority.
  n3.step(prepare.message);
  drain(n3);
  const pump = () => {
    for (const { to, message } of drain(n1).messages) if (to === 'all' || to === 3) n3.step(message);
    for (const { to, message } of drain(n3).messages) if (to === 1) n1.step(message as PaxosMessage<string>);
  };
  pump();
  for (let t = 0; t < 2000; t++) {
    n1.tick();
    n3.tick();
    pump();
  }
  assert.ok(
    n1.isServing || n1.role !== 'leader' || n3.role !== 'follower',
    `after 2000 ticks: n1 ${n1.role} serving=${n1.isServing} commit=${n1.commitIndex}, n3 ${n3.role}`,
  );
});

test('a pre-vote grant delayed from an earlier round does not start a candidacy', () => {
  const n3 = newReplica(3);
  tickUntilPreVote(n3); // round 1 of pre-vote; n2 (no leader yet) grants, but the grant is delayed
  drain(n3);
  const lateGrant = { type: 'prevote-reply', from: 2, attempt: 1, granted: true } as const;
  // Meanwhile n1 became leader in ballot (1,1) with n2; n3 is cut off from n1 and times out again.
  let secondRound = false;
  for (let t = 0; t < 200 && !secondRound; t++) {
    n3.tick();
    secondRound = messagesOf(drain(n3).messages, 'prevote').length > 0;
  }
  assert.ok(secondRound, 'n3 started a second pre-vote round');
  n3.step(lateGrant);
  const rd = drain(n3);
  // n3 now promised a higher ballot; when the partition heals, the leader's next accept is nacked.
  n3.step({ type: 'accept', from: 1, ballot: ballot(1, 1), commitIndex: 0, entries: [] });
  const nacks = messagesOf(drain(n3).messages, 'nack');
  assert.deepEqual(
    { promised: rd.promised, nacks: nacks.length },
    { promised: undefined, nacks: 0 },
    'a stale grant started a candidacy',
  );
});

test('ShardServer.ready() can be called again before advance() without losing state writes', () => {
  const s = new ShardServer({
    self: 1,
    members: [1],
    settings: testSettings,
    random: new SeededRandom(1),
    promised: ballotZero,
    log: [],
    appliedIndex: 0,
    balances: new Map([
      [1, 100],
      [2, 100],
    ]),
    sessions: [],
    cluster: 1,
    clusterOfAccount: (a: number) => (a >= 1 && a <= 3 ? 1 : undefined),
    twoPc: { lockWaitTicks: 50, voteTimeoutTicks: 200, resendTicks: 20, queryTicks: 100 },
    checkpoint: { intervalSlots: 1, logTailSlots: 1000 },
  });
  s.tick();
  for (let i = 0; i < 30 && s.role !== 'leader'; i++) s.tick();
  s.advance();
  s.request({ reqId: 1, command: transfer('c', 1, 1, 2, 10), hops: 0 });
  s.propose();
  const first = s.ready();
  assert.equal(s.state.balanceOf(1), 90, 'a single member chooses and applies as it proposes');
  s.propose(); // nothing waits: it proposes nothing (the runtime gives no input between ready() and advance())
  const second = s.ready();
  assert.deepEqual(
    new Map(first.state?.balances),
    new Map([
      [1, 90],
      [2, 110],
    ]),
  );
  assert.deepEqual(second.state, first.state);
});

test('ShardServer.ready() only collects: two calls without advance() give equal readies and change nothing; advance() acknowledges them', () => {
  const init = {
    settings: testSettings,
    log: [],
    sessions: [],
    cluster: 1,
    clusterOfAccount: (a: number) => (a >= 1 && a <= 3 ? 1 : undefined),
    twoPc: { lockWaitTicks: 50, voteTimeoutTicks: 200, resendTicks: 20, queryTicks: 100 },
  };
  // State writes and a reply: a single member that checkpoints at every slot.
  const s = new ShardServer({
    ...init,
    self: 1,
    members: [1],
    random: new SeededRandom(1),
    promised: ballotZero,
    appliedIndex: 0,
    balances: new Map([
      [1, 100],
      [2, 100],
    ]),
    checkpoint: { intervalSlots: 1, logTailSlots: 1000 },
  });
  s.tick();
  for (let i = 0; i < 30 && s.role !== 'leader'; i++) s.tick();
  s.advance();
  s.request({ reqId: 1, command: transfer('c', 1, 1, 2, 10), hops: 0 });
  s.propose();
  const hash = s.state.stateHash;
  const first = s.ready();
  const second = s.ready();
  assert.deepEqual(second, first);
  assert.ok(
    first.state !== undefined && first.replies.length === 1 && first.paxos.entries.length > 0,
    'the ready carries state writes, a reply and a log entry',
  );
  assert.deepEqual(s.state.pendingWrites(), first.state, 'the state writes are still pending');
  assert.equal(s.state.stateHash, hash);
  s.advance();
  assert.deepEqual(
    s.state.pendingWrites(),
    {
      appliedIndex: first.state.appliedIndex,
      balances: [],
      sessions: [],
      evictedSessions: [],
      coordinatorRecords: [],
      participantRecords: [],
    },
    'advance() acknowledged them',
  );
  assert.equal(s.hasReady(), false);

  // Snapshot pieces for a member behind the log's floor.
  const holder = new ShardServer({
    ...init,
    self: 1,
    members: [1, 2, 3],
    random: new SeededRandom(2),
    promised: initialBallot(1),
    appliedIndex: 10,
    logFloor: 10,
    balances: new Map([
      [1, 100],
      [2, 100],
      [3, 100],
    ]),
    checkpoint: { intervalSlots: 1000, logTailSlots: 1000 },
  });
  holder.step({ type: 'catchup-request', from: 3, fromSlot: 1 });
  const pieces = holder.ready().snapshots;
  assert.ok(pieces.length > 0 && pieces.every((p) => p.to === 3), 'a snapshot for member 3');
  assert.deepEqual(holder.ready().snapshots, pieces, 'a second ready() carries the same pieces');
  holder.advance();
  holder.step({ type: 'catchup-request', from: 3, fromSlot: 1 });
  assert.deepEqual(holder.ready().snapshots, [], 'advance() recorded that they went: none again within the interval');
});
