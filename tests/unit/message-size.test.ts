import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { decodeEnvelope, encodeEnvelope } from '../../src/codec/envelope.js';
import type { NodeId, Slot } from '../../src/protocol/ids.js';
import { limits, payloadBudgets } from '../../src/core/limits.js';
import { SeededRandom } from '../../src/core/random.js';
import type { Command, Batch, Session } from '../../src/protocol/commands.js';
import { ShardServer } from '../../src/ledger/shard-server.js';
import type { ShardMessage } from '../../src/protocol/client.js';
import { defaultTiming, replicaSettings } from '../../src/node/config.js';
import { ballotZero, initialBallot } from '../../src/paxos/ballot.js';
import type { LogEntry, Outbound, PaxosMessage } from '../../src/protocol/paxos.js';
import { Replica } from '../../src/paxos/replica.js';

/**
 * Worst-case messages, built by the real cores from the largest commands the decoder accepts,
 * encoded with the real codec, must stay under the broker's max_payload: nats.js refuses to
 * publish anything larger, and the message is lost (issue 10, bug 2).
 */

/** The broker's limit as deployed, read from the configuration `ledger cluster start` writes. */
const maxPayload = Number(
  /^max_payload:\s*(\d+)/m.exec(
    readFileSync(new URL('../../../infra/nats-server.conf.template', import.meta.url), 'utf8'),
  )?.[1],
);
const budgets = payloadBudgets(limits.natsMaxPayloadBytes);
const settings = replicaSettings(defaultTiming);

/** Member `self` of a three-member cluster, promised to n1's first ballot, over `log`. */
function memberOfThree(self: number, log: LogEntry<Batch>[]): Replica<Batch> {
  return new Replica<Batch>({
    self,
    members: [1, 2, 3],
    settings,
    random: new SeededRandom(self),
    promised: initialBallot(1),
    log,
    appliedIndex: 0,
  });
}

/** The widest character per UTF-16 unit: 3 bytes in UTF-8. */
const wide = (n: number) => '€'.repeat(n);
const clientId = (i: number) => wide(limits.clientIdLengthMax - 10) + String(i).padStart(10, '0');

/** The largest command a log may hold: longest client id and reason, widest numbers. */
function worstLogCommand(i: number): Command {
  return {
    clientId: clientId(i),
    seq: Number.MAX_SAFE_INTEGER,
    op: {
      kind: 'x-prepare-coordinator',
      from: Number.MAX_SAFE_INTEGER,
      to: Number.MAX_SAFE_INTEGER,
      amount: Number.MAX_SAFE_INTEGER,
      participant: Number.MAX_SAFE_INTEGER,
      abort: wide(limits.reasonLengthMax),
    },
  };
}

function wire(message: ShardMessage): Uint8Array {
  return encodeEnvelope({
    kind: 'paxos',
    cluster: Number.MAX_SAFE_INTEGER,
    generation: Number.MAX_SAFE_INTEGER,
    message,
  });
}

/** Encodes a message as a node publishes it and checks it against the broker and our budget. */
function assertFits(message: ShardMessage, what: string): number {
  const bytes = wire(message).length;
  assert.ok(bytes <= budgets.messageBytesMax, `${what}: ${bytes} bytes, over the budget of ${budgets.messageBytesMax}`);
  assert.ok(bytes < maxPayload, `${what}: ${bytes} bytes, over max_payload ${maxPayload}`);
  return bytes;
}

/** A full slot as a leader packs it: worst-case commands up to the slot's byte budget. */
function fullSlot(first: number): Batch {
  const batch: Batch = [];
  // Measured with the real codec, independently of the core's own estimate.
  while (true) {
    const next = [...batch, worstLogCommand(first + batch.length)];
    if (
      wire({ type: 'accept', from: 1, ballot: ballotZero, commitIndex: 0, entries: [{ slot: 1, value: next }] })
        .length > budgets.slotBytesMax
    )
      return batch;
    batch.push(worstLogCommand(first + batch.length));
  }
}

function sent<V>(outbound: readonly Outbound<V>[], type: PaxosMessage<V>['type']): Array<Outbound<V>> {
  return outbound.filter((o) => o.message.type === type);
}

describe('worst-case messages stay under the broker max_payload', () => {
  test('the deployed broker limit is the one the budgets are derived from', () => {
    assert.equal(maxPayload, limits.natsMaxPayloadBytes);
    assert.ok(budgets.slotBytesMax + limits.messageOverheadBytes < budgets.messageBytesMax);
  });

  test('the largest command the decoder accepts is far below a slot, and one character more is refused', () => {
    const command = worstLogCommand(1);
    const bytes = wire({
      type: 'accept',
      from: 1,
      ballot: ballotZero,
      commitIndex: 0,
      entries: [{ slot: 1, value: [command] }],
    }).length;
    assert.ok(bytes < budgets.slotBytesMax / 16, `${bytes} bytes`);
    const roundTrip = decodeEnvelope(
      wire({ type: 'accept', from: 1, ballot: ballotZero, commitIndex: 0, entries: [{ slot: 1, value: [command] }] }),
    );
    assert.equal(roundTrip.kind, 'paxos');
    const longer = { ...command, clientId: command.clientId + 'x' };
    assert.throws(
      () =>
        decodeEnvelope(
          wire({
            type: 'accept',
            from: 1,
            ballot: ballotZero,
            commitIndex: 0,
            entries: [{ slot: 1, value: [longer] }],
          }),
        ),
      /clientId/,
    );
    const longerReason = { ...command, op: { ...command.op, abort: wide(limits.reasonLengthMax + 1) } };
    assert.throws(
      () =>
        decodeEnvelope(
          wire({
            type: 'accept',
            from: 1,
            ballot: ballotZero,
            commitIndex: 0,
            entries: [{ slot: 1, value: [longerReason as Command] }],
          }),
        ),
      /abort/,
    );
  });

  test('the largest slot the decoder accepts (512 of the largest commands, more than any leader packs) still fits alone under max_payload', () => {
    const value = Array.from({ length: limits.commandsPerSlotMax }, (_, i) => worstLogCommand(i));
    const message: ShardMessage = {
      type: 'catchup-reply',
      from: 1,
      commitIndex: Number.MAX_SAFE_INTEGER,
      entries: [{ slot: Number.MAX_SAFE_INTEGER, value }],
    };
    const bytes = wire(message).length;
    assert.equal(decodeEnvelope(wire(message)).kind, 'paxos');
    // A message always carries at least one entry, so even a slot from a leader that packed by
    // count only (an older version) travels.
    assert.ok(bytes < maxPayload, `${bytes} bytes`);
  });

  test('a full slot: a leader flooded with the largest client requests proposes accepts under the budget', () => {
    const accounts = 6000;
    const server = new ShardServer({
      self: 1,
      members: [1, 2, 3],
      settings,
      random: new SeededRandom(1),
      cluster: 1,
      clusterOfAccount: (a) => (a >= 1 && a <= accounts ? 1 : undefined),
      twoPc: { lockWaitTicks: 50, voteTimeoutTicks: 200, resendTicks: 20, queryTicks: 100 },
      checkpoint: { intervalSlots: 1000, logTailSlots: 1000 },
      promised: initialBallot(1),
      log: [],
      appliedIndex: 0,
      balances: new Map(Array.from({ length: accounts }, (_, i) => [i + 1, 100] as [number, number])),
      sessions: [],
      initialLeader: 1,
    });
    // A flush's agreed leader runs Phase 1 in (1, itself): the other members promise.
    for (const from of [2, 3])
      server.step({ type: 'promise', from, ballot: initialBallot(1), commitIndex: 0, entries: [], fromSlot: 1 });
    for (server.propose(); server.hasReady(); server.propose()) {
      server.ready();
      server.advance();
    }
    assert.equal(server.role, 'leader');
    // Disjoint accounts, so no command waits for a lock: all of them are ready for slots at once.
    const requests = 2000;
    for (let i = 0; i < requests; i++) {
      server.request({
        reqId: i,
        command: {
          clientId: clientId(i),
          seq: Number.MAX_SAFE_INTEGER,
          op: { kind: 'transfer', from: 2 * i + 1, to: 2 * i + 2, amount: Number.MAX_SAFE_INTEGER },
        },
        hops: 0,
      });
    }
    server.propose();
    const accepts = sent(server.ready().paxos.messages, 'accept');
    server.advance();
    let commands = 0;
    let largest = 0;
    for (const { message } of accepts) {
      largest = Math.max(largest, assertFits(message, 'an accept'));
      for (const e of (message as Extract<ShardMessage, { type: 'accept' }>).entries) {
        commands += e.value?.length ?? 0;
        assert.ok(
          wire({ type: 'accept', from: 1, ballot: ballotZero, commitIndex: 0, entries: [e] }).length <=
            budgets.slotBytesMax + limits.messageOverheadBytes,
        );
      }
    }
    // The pipeline (16 slots) took them all: slots were full by bytes, not by the 512 count.
    assert.equal(commands, requests);
    assert.ok(
      accepts.length >= 1 && largest > budgets.slotBytesMax / 2,
      `${accepts.length} accepts, the largest ${largest} bytes`,
    );
  });

  test('a full catch-up reply: a member with many full chosen slots answers in messages under the budget, and the asker gets every slot', () => {
    const slots = 40;
    const log: LogEntry<Batch>[] = Array.from({ length: slots }, (_, i) => ({
      slot: i + 1,
      ballot: initialBallot(1),
      value: fullSlot(i * 1000),
      chosen: true,
    }));
    const holder = memberOfThree(1, log);
    const lagging = memberOfThree(3, []);
    holder.takeCommitted();
    holder.advance();
    let fromSlot: Slot = 1;
    let replies = 0;
    while (fromSlot <= slots) {
      holder.step({ type: 'catchup-request', from: 3, fromSlot });
      const reply = sent(holder.ready().messages, 'catchup-reply')[0]?.message;
      holder.advance();
      assert.ok(reply?.type === 'catchup-reply' && reply.entries.length > 0, 'a reply with at least one slot');
      assertFits(reply, 'a catch-up reply');
      lagging.step(reply);
      lagging.advance();
      replies++;
      fromSlot = lagging.commitIndex + 1;
    }
    assert.equal(lagging.commitIndex, slots);
    assert.ok(replies > 1 && replies < slots, `${replies} replies for ${slots} slots`);
  });

  test('a full promise and the NEW-VIEW it leads to: pages and accept batches under the budget, and no accepted entry left out', () => {
    const slots = 40;
    const values = new Map<Slot, Batch>();
    // An acceptor whose commit index is stuck at 0 with 40 full slots accepted above it.
    const log: LogEntry<Batch>[] = Array.from({ length: slots }, (_, i) => {
      values.set(i + 1, fullSlot(i * 1000));
      return { slot: i + 1, ballot: initialBallot(1), value: values.get(i + 1) as Batch, chosen: false };
    });
    const acceptor = memberOfThree(1, log);
    const candidate = memberOfThree(2, []);
    candidate.campaign();
    let toAcceptor = sent(candidate.ready().messages, 'prepare').map((o) => o.message);
    candidate.advance();
    let pages = 0;
    while (toAcceptor.length > 0) {
      for (const m of toAcceptor) acceptor.step(m);
      const promises = sent(acceptor.ready().messages, 'promise').map((o) => o.message);
      acceptor.advance();
      for (const p of promises) {
        assertFits(p, 'a promise page');
        pages++;
        candidate.step(p);
      }
      const rd = candidate.ready();
      candidate.advance();
      toAcceptor = sent(rd.messages, 'prepare').map((o) => o.message);
      if (candidate.role === 'leader') {
        const view = rd.newViews[0];
        assert.ok(view !== undefined, 'the candidate led with a NEW-VIEW');
        // Every accepted slot came back through the pages, with its value.
        assert.deepEqual(
          view.entries.map((e) => e.slot),
          Array.from({ length: slots }, (_, i) => i + 1),
        );
        for (const e of view.entries) assert.deepEqual(e.value, values.get(e.slot));
        const accepts = sent(rd.messages, 'accept');
        assert.ok(accepts.length > 1, 'the NEW-VIEW went out in several accept batches');
        for (const { message } of accepts) assertFits(message, 'a NEW-VIEW accept batch');
        assert.equal(
          accepts.flatMap((a) => (a.message as Extract<ShardMessage, { type: 'accept' }>).entries).length,
          slots,
        );
      }
    }
    assert.equal(candidate.role, 'leader');
    assert.ok(pages > 1, `the promise came in ${pages} pages`);
  });

  test('snapshot chunks: the largest sessions are cut into pieces under the budget, and all arrive', () => {
    const accounts = 50_000;
    const sessionCount = 1500;
    const sessions: Session[] = Array.from({ length: sessionCount }, (_, i) => ({
      clientId: clientId(i),
      seq: Number.MAX_SAFE_INTEGER,
      outcome: { status: 'aborted', reason: wide(1024) },
      slot: 10,
    }));
    const make = (self: NodeId, withState: boolean) =>
      new ShardServer({
        self,
        members: [1, 2, 3],
        settings,
        random: new SeededRandom(self),
        cluster: 1,
        clusterOfAccount: (a) => (a >= 1 && a <= accounts ? 1 : undefined),
        twoPc: { lockWaitTicks: 50, voteTimeoutTicks: 200, resendTicks: 20, queryTicks: 100 },
        checkpoint: { intervalSlots: 1000, logTailSlots: 1000 },
        promised: initialBallot(1),
        log: [],
        appliedIndex: withState ? 10 : 0,
        logFloor: withState ? 10 : 0,
        balances: new Map(
          Array.from({ length: accounts }, (_, i) => [i + 1, Number.MAX_SAFE_INTEGER] as [number, number]),
        ),
        sessions: withState ? sessions : [],
      });
    const holder = make(1, true);
    const lagging = make(3, false);
    holder.step({ type: 'catchup-request', from: 3, fromSlot: 1 });
    const chunks = holder.ready().snapshots;
    holder.advance();
    assert.ok(chunks.length > 4, `${chunks.length} chunks`);
    for (const { message } of chunks) {
      assertFits(message, 'a snapshot chunk');
      lagging.step(decodeEnvelope(wire(message)).kind === 'paxos' ? message : message);
    }
    assert.equal(lagging.state.appliedIndex, 10);
    assert.equal(lagging.state.sessionOf(clientId(sessionCount - 1))?.seq, Number.MAX_SAFE_INTEGER);
  });
});
