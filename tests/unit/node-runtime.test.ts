import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { NodeId } from '../../src/protocol/ids.js';
import { SeededRandom } from '../../src/core/random.js';
import { ShardServer } from '../../src/ledger/shard-server.js';
import type { Response, ShardMessage } from '../../src/protocol/client.js';
import type { Command } from '../../src/protocol/commands.js';
import type { PersistBatch } from '../../src/ports/node-store.js';
import { failpointRules, NodeRuntime, pendingRequestTtlMs } from '../../src/node/runtime.js';
import {
  restSendableBeforePersist,
  sendableBeforePersist,
  sendableBeforePersistUnderFailpoint,
  type ShardReady,
} from '../../src/ledger/shard-ready.js';
import type { HeldRequest, Outbox, Scheduler, SendRules } from '../../src/ports/runtime.js';
import { ballotZero } from '../../src/paxos/ballot.js';
import { testSettings } from './helpers/replica-harness.js';

/**
 * The node runtime (src/node/runtime.ts) over hand-driven ports: what it persists and sends, in
 * which order, and what it holds, drops and forgets. The simulator runs it under faults
 * (tests/sim/broken-runtime.test.ts); these pin each rule down on its own.
 */

interface Req extends HeldRequest {
  name: string;
}

/** Runs nothing until told: `run()` plays what the runtime scheduled, in order. */
class ManualScheduler implements Scheduler {
  nowMsValue = 0;
  private queue: Array<() => void> = [];
  nowMs(): number {
    return this.nowMsValue;
  }
  soon(run: () => void): void {
    this.queue.push(run);
  }
  afterSend(run: () => void): void {
    this.queue.push(run);
  }
  run(): void {
    while (this.queue.length > 0) this.runFirst();
  }
  /** Plays only what was scheduled first (a drain: the accepts leave; their persist waits). */
  runFirst(): void {
    (this.queue.shift() as () => void)();
  }
}

/** Everything the runtime did to its ports, in order. */
class Recorder implements Outbox<Req> {
  readonly events: string[] = [];
  readonly persisted: PersistBatch[] = [];
  readonly replies: Array<{ name: string; response: Response }> = [];
  readonly forwards: Array<{ name: string; hops: number; to: NodeId }> = [];
  readonly store = { persist: (batch: PersistBatch) => (this.persisted.push(batch), this.events.push('persist')) };
  paxos(to: NodeId | 'all', message: ShardMessage, generation: number): void {
    this.events.push(`paxos ${message.type} to ${to} in ${generation}`);
  }
  twoPc(): void {
    this.events.push('2pc');
  }
  reply(request: Req, response: Response): void {
    this.events.push(`reply ${request.name} ${response.kind}`);
    this.replies.push({ name: request.name, response });
  }
  forward(request: Req, to: NodeId, hops: number): void {
    this.events.push(`forward ${request.name} to ${to}`);
    this.forwards.push({ name: request.name, hops, to });
  }
  flush(): void {
    this.events.push('flush');
  }
}

function transfer(seq: number): Command {
  return { clientId: 'c', seq, op: { kind: 'transfer', from: 1, to: 2, amount: 1 } };
}

function newServer(members: NodeId[] = [1, 2, 3]): ShardServer {
  return new ShardServer({
    self: 1,
    members,
    settings: testSettings,
    random: new SeededRandom(1),
    cluster: 1,
    clusterOfAccount: (a) => (a >= 1 && a <= 4 ? 1 : undefined),
    twoPc: { lockWaitTicks: 50, voteTimeoutTicks: 200, resendTicks: 20, queryTicks: 100 },
    checkpoint: { intervalSlots: 1000, logTailSlots: 1000 },
    promised: ballotZero,
    log: [],
    appliedIndex: 0,
    balances: new Map([1, 2, 3, 4].map((a) => [a, 100] as [number, number])),
    sessions: [],
  });
}

/** Node 1 of three, elected by hand: members 2 and 3 grant its pre-vote and promise. */
function leaderOfThree(): ShardServer {
  const s = newServer();
  for (let i = 0; i < 500 && s.role !== 'leader'; i++) {
    s.tick();
    while (s.hasReady()) {
      const out = s.ready().paxos.messages.map((m) => m.message);
      s.advance();
      for (const m of out) {
        for (const from of [2, 3]) {
          if (m.type === 'prevote') s.step({ type: 'prevote-reply', from, attempt: m.attempt, granted: true });
          if (m.type === 'prepare') s.step({ type: 'promise', from, ballot: m.ballot, commitIndex: 0, entries: [] });
        }
      }
    }
  }
  assert.equal(s.role, 'leader');
  return s;
}

function runtimeOver(server: ShardServer, generation = 0, rules?: SendRules) {
  const ports = new Recorder();
  const scheduler = new ManualScheduler();
  const runtime = new NodeRuntime<Req>({
    server,
    generation,
    store: ports.store,
    outbox: ports,
    scheduler,
    ...(rules === undefined ? {} : { rules }),
  });
  return { runtime, ports, scheduler };
}

/** Counts what is stepped into the core, without changing what it does. */
function spyOnSteps(server: ShardServer): ShardMessage['type'][] {
  const stepped: ShardMessage['type'][] = [];
  const step = server.step.bind(server);
  server.step = (m) => {
    stepped.push(m.type);
    step(m);
  };
  return stepped;
}

const heartbeatFrom2 = (round: number): ShardMessage => ({
  type: 'accept',
  from: 2,
  ballot: { round, node: 2 },
  commitIndex: 0,
  entries: [],
});

describe('the node runtime', () => {
  test("a leader's accepts leave before the persist; a reply to a chosen slot leaves before the persist of the ready that applies it", () => {
    const server = leaderOfThree();
    const ballot = server.replica.ballot;
    const { runtime, ports, scheduler } = runtimeOver(server);
    runtime.request({ name: 'r1', hops: 0, receivedAtMs: 0 }, transfer(1), undefined);
    scheduler.run();
    assert.deepEqual(ports.events, ['paxos accept to all in 0', 'persist']);
    assert.equal(ports.persisted[0]?.sync, true, 'an accepted entry not yet chosen is a vote: fsynced');
    for (const from of [2, 3]) runtime.paxos({ type: 'accepted', from, ballot, slots: [1], commitIndex: 0 }, 0);
    scheduler.run();
    const reply = ports.events.indexOf('reply r1 outcome');
    assert.ok(reply > 1, `the reply waits for the slot to be chosen: ${ports.events.join(', ')}`);
    // The slot is chosen by the two followers' durable votes, so the answer need not wait for
    // this node's write (restSendableBeforePersist), and the outbox hands it over at once.
    assert.deepEqual(ports.events.slice(reply, reply + 3), ['reply r1 outcome', 'flush', 'persist']);
    assert.equal(
      ports.replies[0]?.response.kind === 'outcome' && ports.replies[0].response.outcome.status,
      'committed',
    );
  });

  test('in a cluster of one member, whose own write is the majority, the reply follows the persist', () => {
    const server = newServer([1]);
    for (let i = 0; i < 500 && server.role !== 'leader'; i++) {
      server.tick();
      while (server.hasReady()) {
        server.ready();
        server.advance();
      }
    }
    assert.equal(server.role, 'leader');
    const { runtime, ports, scheduler } = runtimeOver(server);
    runtime.request({ name: 'r1', hops: 0, receivedAtMs: 0 }, transfer(1), undefined);
    scheduler.run();
    const reply = ports.events.indexOf('reply r1 outcome');
    assert.ok(reply > 0, `answered: ${ports.events.join(', ')}`);
    assert.ok(ports.events.slice(0, reply).includes('persist'), `persist first: ${ports.events.join(', ')}`);
    assert.ok(!ports.events.includes('flush'), 'nothing left before its persist');
  });

  test('under a failpoint (failpointRules) the reply follows the persist, and nothing is flushed early', () => {
    const server = leaderOfThree();
    const ballot = server.replica.ballot;
    const { runtime, ports, scheduler } = runtimeOver(server, 0, failpointRules);
    runtime.request({ name: 'r1', hops: 0, receivedAtMs: 0 }, transfer(1), undefined);
    scheduler.run();
    for (const from of [2, 3]) runtime.paxos({ type: 'accepted', from, ballot, slots: [1], commitIndex: 0 }, 0);
    scheduler.run();
    const reply = ports.events.indexOf('reply r1 outcome');
    assert.equal(
      ports.events[reply - 1],
      'persist',
      `the persist of the applying ready first: ${ports.events.join(', ')}`,
    );
    assert.ok(!ports.events.includes('flush'));
  });

  test('inputs arriving while a ready whose accepts left is being persisted are held, then stepped in order', () => {
    const server = leaderOfThree();
    const { runtime, ports, scheduler } = runtimeOver(server);
    const stepped = spyOnSteps(server);
    runtime.request({ name: 'r1', hops: 0, receivedAtMs: 0 }, transfer(1), undefined);
    scheduler.runFirst();
    assert.deepEqual(ports.events, ['paxos accept to all in 0']);
    runtime.paxos({ type: 'accepted', from: 2, ballot: server.replica.ballot, slots: [1], commitIndex: 0 }, 0);
    runtime.tick();
    assert.deepEqual(stepped, [], 'nothing is stepped into the core before the persist');
    scheduler.run();
    assert.deepEqual(stepped, ['accepted']);
    assert.equal(ports.events[1], 'persist', 'the persist came before anything the held inputs produced');
    assert.ok(ports.events.includes('reply r1 outcome'), 'the held accepted chose the slot');
  });

  test('a message of another flush generation is counted and dropped; the check is made when it is stepped', () => {
    const { runtime, scheduler } = runtimeOver(newServer(), 3);
    const stepped = spyOnSteps(runtime.server);
    runtime.paxos(heartbeatFrom2(1), 2);
    runtime.twoPc({ type: 'decision', txn: { clientId: 'x', seq: 1 }, coordinator: 2, decision: 'commit' }, 2, 4);
    runtime.request({ name: 'old', hops: 0, receivedAtMs: 0 }, transfer(1), 2);
    scheduler.run();
    assert.deepEqual(stepped, []);
    assert.equal(runtime.staleGenerationMessages, 3);
    assert.equal(runtime.pendingRequests, 0, 'a request of another generation is forgotten');
    assert.equal(runtime.server.replica.leaderHint, undefined);
    runtime.paxos(heartbeatFrom2(1), 3);
    scheduler.run();
    assert.deepEqual(stepped, ['accept']);
    assert.equal(runtime.server.replica.leaderHint, 2);
  });

  test('after a flush held behind an outstanding ready, a message of the new generation is stepped into the new core', () => {
    const server = leaderOfThree();
    const { runtime, scheduler } = runtimeOver(server);
    runtime.request({ name: 'r1', hops: 0, receivedAtMs: 0 }, transfer(1), undefined);
    scheduler.runFirst();
    const fresh = newServer();
    const stepped = spyOnSteps(fresh);
    runtime.input(() => runtime.replaceCore(fresh, 1, false));
    runtime.paxos(heartbeatFrom2(1), 1);
    scheduler.run();
    assert.equal(runtime.server, fresh);
    assert.deepEqual(stepped, ['accept']);
    assert.equal(runtime.staleGenerationMessages, 0);
    assert.equal(runtime.pendingRequests, 0, 'a flush forgets the requests in flight');
  });

  test('a follower forwards a request to the leader it knows; the copy counts one hop more', () => {
    const { runtime, ports, scheduler } = runtimeOver(newServer());
    runtime.paxos(heartbeatFrom2(1), 0);
    runtime.request({ name: 'r1', hops: 1, receivedAtMs: 0 }, transfer(1), undefined);
    scheduler.run();
    assert.deepEqual(ports.forwards, [{ name: 'r1', hops: 2, to: 2 }]);
    assert.equal(runtime.pendingRequests, 0);
  });

  test('a node cut off from its peers (isolated) still answers its clients, but forwards and Paxos messages stay home', () => {
    const { runtime, ports, scheduler } = runtimeOver(newServer());
    runtime.paxos(heartbeatFrom2(1), 0);
    scheduler.run();
    ports.events.length = 0;
    runtime.isolated = true;
    runtime.paxos(heartbeatFrom2(2), 0);
    runtime.request({ name: 'r1', hops: 0, receivedAtMs: 0 }, transfer(1), undefined);
    runtime.request(
      { name: 'read', hops: 0, receivedAtMs: 0 },
      { clientId: 'c', seq: 2, op: { kind: 'balance', account: 1, consistency: 'any' } },
      undefined,
    );
    for (let i = 0; i < 100; i++) runtime.tick(); // long enough to stand for election
    scheduler.run();
    assert.equal(runtime.server.replica.ballot.round, 1, 'a Paxos message reaching an isolated node is not heard');
    assert.deepEqual(
      ports.events.filter((e) => !e.startsWith('persist') && e !== 'flush'),
      ['reply read outcome'],
      'the read is answered; the forward is dropped, no Paxos message leaves',
    );
    assert.equal(runtime.pendingRequests, 0, 'the dropped forward is not kept');
  });

  test('a failed node hears nobody: no request is taken, no tick moves its core', () => {
    const { runtime, ports, scheduler } = runtimeOver(newServer());
    runtime.failed = true;
    assert.ok(runtime.deafToClients && runtime.deafToPeers);
    runtime.request({ name: 'r1', hops: 0, receivedAtMs: 0 }, transfer(1), undefined);
    for (let i = 0; i < 100; i++) runtime.tick();
    scheduler.run();
    assert.equal(runtime.pendingRequests, 0);
    assert.deepEqual(ports.events, []);
  });

  test('requests nobody answered are forgotten once older than pendingRequestTtlMs, oldest first', () => {
    // A leader holds its requests until the accepteds come, which they do not here.
    const held = runtimeOver(leaderOfThree());
    held.runtime.request({ name: 'old', hops: 0, receivedAtMs: 0 }, transfer(1), undefined);
    held.scheduler.nowMsValue = 10_000;
    held.runtime.request({ name: 'young', hops: 0, receivedAtMs: 10_000 }, transfer(2), undefined);
    held.scheduler.run();
    assert.equal(held.runtime.pendingRequests, 2);
    held.scheduler.nowMsValue = pendingRequestTtlMs + 1;
    held.runtime.tick();
    assert.equal(held.runtime.pendingRequests, 1, 'only the request older than the TTL is forgotten');
    held.scheduler.nowMsValue = 10_000 + pendingRequestTtlMs + 1;
    held.runtime.tick();
    assert.equal(held.runtime.pendingRequests, 0);
  });

  test('a stopped runtime steps, persists and sends nothing, even a persist it had queued', () => {
    const server = leaderOfThree();
    const { runtime, ports, scheduler } = runtimeOver(server);
    runtime.request({ name: 'r1', hops: 0, receivedAtMs: 0 }, transfer(1), undefined);
    scheduler.runFirst();
    runtime.stop();
    runtime.tick();
    scheduler.run();
    assert.deepEqual(ports.events, ['paxos accept to all in 0']);
  });
});

describe('restSendableBeforePersist: what else may leave with the accepts', () => {
  const ready = (over: {
    promised?: boolean;
    newView?: boolean;
    twoPc?: ShardReady['twoPc'];
    messages?: ShardReady['paxos']['messages'];
    events?: ShardReady['events'];
  }): ShardReady => ({
    paxos: {
      promised: over.promised === true ? { round: 2, node: 1 } : undefined,
      entries: [],
      compactedThrough: undefined,
      messages: over.messages ?? [],
      newViews: over.newView === true ? [{} as ShardReady['paxos']['newViews'][number]] : [],
      snapshotsFor: [],
    },
    state: undefined,
    replies: [],
    forwards: [],
    snapshots: [],
    twoPc: over.twoPc ?? [],
    events: over.events ?? [],
  });
  const prepare = {
    toCluster: 2,
    message: { type: 'prepare', txn: { clientId: 'c', seq: 1 }, coordinator: 1, to: 5, amount: 1 },
  } as unknown as ShardReady['twoPc'][number];

  test('replies and 2PC messages may, in a cluster of several members', () => {
    assert.equal(restSendableBeforePersist(ready({ twoPc: [prepare] }), 3), true);
  });
  test('never in a cluster of one member, nor with a promise or a NEW-VIEW', () => {
    assert.equal(restSendableBeforePersist(ready({}), 1), false);
    assert.equal(restSendableBeforePersist(ready({ promised: true }), 3), false);
    assert.equal(restSendableBeforePersist(ready({ newView: true }), 3), false);
  });
  test('a step of Two-Phase Commit holds the accepts back only under a failpoint', () => {
    const accept = {
      to: 'all',
      message: { type: 'accept', from: 1, ballot: { round: 1, node: 1 }, commitIndex: 0, entries: [] },
    } as ShardReady['paxos']['messages'][number];
    const withStep = ready({ messages: [accept], twoPc: [prepare], events: ['coordinator:prepare-proposed'] });
    assert.deepEqual(sendableBeforePersist(withStep), [accept]);
    assert.deepEqual(sendableBeforePersistUnderFailpoint(withStep), []);
    assert.deepEqual(sendableBeforePersistUnderFailpoint(ready({ messages: [accept] })), [accept]);
  });
});

test('the runtime and its ports read no clock, randomness or process of their own, and start no timer', () => {
  // So that the simulator runs it deterministically (docs/architecture.md, "Pure cores and the
  // Ready loop"). Its imports are rules of .dependency-cruiser.cjs (runtime-pure and the rules
  // after it); what no import rule sees is the use of a global.
  const forbidden: Array<[RegExp, string]> = [
    [/\bDate\b|\bperformance\b|Math\.random|\bprocess\./, 'a clock, randomness or the process'],
    [/\b(setTimeout|setInterval|setImmediate|queueMicrotask)\b/, 'a timer'],
  ];
  const violations: string[] = [];
  for (const file of ['node/runtime.ts', 'ports/runtime.ts', 'ports/node-store.ts']) {
    const code = readFileSync(fileURLToPath(new URL(`../../../src/${file}`, import.meta.url)), 'utf8').replace(
      /\/\*[\s\S]*?\*\/|\/\/.*$/gm,
      '',
    );
    for (const [pattern, what] of forbidden) if (pattern.test(code)) violations.push(`${file}: ${what}`);
  }
  assert.deepEqual(violations, []);
  assert.ok(
    forbidden.some(([p]) => p.test('const t = Date.now();')),
    'the scan does catch a clock',
  );
});
