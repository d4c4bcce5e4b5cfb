/**
 * The client's side of request batches (src/client/request-batcher.ts): one message per node per
 * turn, bounded in count and bytes, and each request answered, timed out or refused on its own.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { RequestBatcher } from '../../src/client/request-batcher.js';
import { decodeEnvelope, encodeEnvelope } from '../../src/codec/envelope.js';
import { limits } from '../../src/core/limits.js';
import type { BatchedRequest, Response } from '../../src/protocol/client.js';
import type { Command } from '../../src/protocol/commands.js';
import {
  NoRespondersError,
  NotSentError,
  TransportTimeoutError,
  type IncomingMessage,
  type Transport,
} from '../../src/transport/transport.js';

interface Published {
  subject: string;
  data: Uint8Array;
  reply: string;
  items: BatchedRequest[];
}

/** A broker that records what is published and lets the test answer at the inbox. */
function recordingTransport(brokerMaxPayloadBytes?: number) {
  const published: Published[] = [];
  let inbox: ((m: IncomingMessage) => void) | undefined;
  let inboxPattern = '';
  let connected = true;
  const transport = {
    publish(subject: string, data: Uint8Array, reply?: string) {
      const envelope = decodeEnvelope(data);
      assert.equal(envelope.kind, 'request-batch');
      if (envelope.kind === 'request-batch')
        published.push({ subject, data, reply: reply ?? '', items: envelope.items });
    },
    subscribe(subject: string, handler: (m: IncomingMessage) => void) {
      inboxPattern = subject;
      inbox = handler;
    },
    connection: () => ({
      connected,
      closed: false,
      reconnectAttempt: connected ? 0 : 2,
      disconnects: 0,
      disconnectedMs: 0,
    }),
    brokerMaxPayloadBytes,
  } as unknown as Transport;
  return {
    transport,
    published,
    get inboxPattern() {
      return inboxPattern;
    },
    setConnected: (up: boolean) => (connected = up),
    deliver: (subject: string, data: Uint8Array, noResponders = false) =>
      inbox?.({ subject, data, reply: undefined, ...(noResponders ? { noResponders } : {}) }),
  };
}

/** Runs the scheduled flushes when the test says the turn ends. */
function manualTurns() {
  const queued: Array<() => void> = [];
  return { schedule: (run: () => void) => queued.push(run), endTurn: () => queued.splice(0).forEach((run) => run()) };
}

const command = (seq: number, clientId = 'c-1'): Command => ({
  clientId,
  seq,
  op: { kind: 'transfer', from: 1, to: 2, amount: seq },
});
const committed = (slot: number): Response => ({
  kind: 'outcome',
  outcome: { status: 'committed' },
  servedBy: 1,
  slot,
});
const settled = <T>(p: Promise<T>) =>
  p.then(
    (value) => ({ value }),
    (error: unknown) => ({ error }),
  );

describe('the client batches its requests', () => {
  test("one turn's requests to a node leave in one message, to another node in another; each answer finds its own request", async () => {
    const broker = recordingTransport();
    const turns = manualTurns();
    const batcher = new RequestBatcher(broker.transport, 'ledger.inbox.x', turns.schedule);
    const toN1 = [1, 2, 3].map((seq) => batcher.request('ledger.n1.req', command(seq), undefined, 5_000));
    const toN2 = batcher.request('ledger.n2.req', command(4), undefined, 5_000);
    assert.equal(broker.published.length, 0, 'nothing leaves before the turn ends');
    turns.endTurn();
    assert.deepEqual(
      broker.published.map((p) => [p.subject, p.items.map((i) => i.command.seq)]),
      [
        ['ledger.n1.req', [1, 2, 3]],
        ['ledger.n2.req', [4]],
      ],
    );
    assert.equal(broker.inboxPattern, 'ledger.inbox.x.>');
    const [b1, b2] = broker.published as [Published, Published];
    assert.ok(b1.reply.startsWith('ledger.inbox.x.') && b1.reply !== b2.reply, 'each batch has its own reply subject');
    // Answers out of order, in two messages: each request gets its own.
    const [i1, i2, i3] = b1.items as [BatchedRequest, BatchedRequest, BatchedRequest];
    broker.deliver(
      b1.reply,
      encodeEnvelope({ kind: 'response-batch', items: [{ id: i3.id, response: committed(30) }] }),
    );
    broker.deliver(
      b1.reply,
      encodeEnvelope({
        kind: 'response-batch',
        items: [
          { id: i1.id, response: committed(10) },
          { id: i2.id, response: committed(20) },
        ],
      }),
    );
    const answers = await Promise.all(toN1);
    assert.deepEqual(
      answers.map((r) => r.kind === 'outcome' && r.slot),
      [10, 20, 30],
    );
    // An answer for an id of another batch at this batch's subject is not taken.
    broker.deliver(
      b1.reply,
      encodeEnvelope({
        kind: 'response-batch',
        items: [{ id: (b2.items[0] as BatchedRequest).id, response: committed(1) }],
      }),
    );
    broker.deliver(
      b2.reply,
      encodeEnvelope({
        kind: 'response-batch',
        items: [{ id: (b2.items[0] as BatchedRequest).id, response: committed(40) }],
      }),
    );
    const last = await toN2;
    assert.equal(last.kind === 'outcome' && last.slot, 40);
    assert.ok(batcher.strayReplies >= 1);
    assert.equal(batcher.inFlight, 0);
  });

  test('a batch is bounded in count: the request that would overflow it starts the next', () => {
    const broker = recordingTransport();
    const turns = manualTurns();
    const batcher = new RequestBatcher(broker.transport, 'ledger.inbox.x', turns.schedule);
    const count = limits.requestsPerBatchMax * 2 + 1;
    for (let seq = 1; seq <= count; seq++) void settled(batcher.request('ledger.n1.req', command(seq), undefined, 50));
    turns.endTurn();
    assert.deepEqual(
      broker.published.map((p) => p.items.length),
      [limits.requestsPerBatchMax, limits.requestsPerBatchMax, 1],
    );
    assert.deepEqual(
      broker.published.flatMap((p) => p.items.map((i) => i.command.seq)),
      Array.from({ length: count }, (_, i) => i + 1),
      'in order, none lost or repeated',
    );
  });

  test("a batch is bounded in bytes, under the broker's budget when it is smaller", () => {
    const maxPayload = 8_192; // a message budget of half of it (payloadBudgets)
    const broker = recordingTransport(maxPayload);
    const turns = manualTurns();
    const batcher = new RequestBatcher(broker.transport, 'ledger.inbox.x', turns.schedule);
    const long = 'c'.repeat(limits.clientIdLengthMax);
    for (let seq = 1; seq <= 100; seq++)
      void settled(batcher.request('ledger.n1.req', command(seq, long), undefined, 50));
    turns.endTurn();
    assert.ok(broker.published.length > 1, `${broker.published.length} batches`);
    for (const p of broker.published) assert.ok(p.data.length <= maxPayload / 2, `a batch of ${p.data.length} bytes`);
    assert.equal(
      broker.published.reduce((n, p) => n + p.items.length, 0),
      100,
    );
  });

  test('a batch refused whole answers each of its requests; no responders fails each of its own', async () => {
    const broker = recordingTransport();
    const turns = manualTurns();
    const batcher = new RequestBatcher(broker.transport, 'ledger.inbox.x', turns.schedule);
    const refused = [1, 2].map((seq) => batcher.request('ledger.n1.req', command(seq), undefined, 5_000));
    const nobody = [3, 4].map((seq) => settled(batcher.request('ledger.n2.req', command(seq), undefined, 5_000)));
    turns.endTurn();
    const [b1, b2] = broker.published as [Published, Published];
    broker.deliver(b1.reply, encodeEnvelope({ kind: 'response', response: { kind: 'refused', reason: 'too odd' } }));
    assert.deepEqual(await Promise.all(refused), [
      { kind: 'refused', reason: 'too odd' },
      { kind: 'refused', reason: 'too odd' },
    ]);
    broker.deliver(b2.reply, new Uint8Array(0), true);
    for (const r of await Promise.all(nobody)) assert.ok('error' in r && r.error instanceof NoRespondersError);
    assert.equal(batcher.inFlight, 0);
  });

  test('a request without an answer times out alone; the others of its batch are answered', async () => {
    const broker = recordingTransport();
    const turns = manualTurns();
    const batcher = new RequestBatcher(broker.transport, 'ledger.inbox.x', turns.schedule);
    const answered = batcher.request('ledger.n1.req', command(1), undefined, 5_000);
    const silent = settled(batcher.request('ledger.n1.req', command(2), undefined, 30));
    turns.endTurn();
    const b = broker.published[0] as Published;
    broker.deliver(
      b.reply,
      encodeEnvelope({
        kind: 'response-batch',
        items: [{ id: (b.items[0] as BatchedRequest).id, response: committed(7) }],
      }),
    );
    assert.equal((await answered).kind, 'outcome');
    const r = await silent;
    assert.ok('error' in r && r.error instanceof TransportTimeoutError);
    assert.equal(batcher.inFlight, 0, 'the correlation map is empty again');
  });

  test('without a connection nothing is sent: at the request, or when its turn ends', async () => {
    const broker = recordingTransport();
    const turns = manualTurns();
    const batcher = new RequestBatcher(broker.transport, 'ledger.inbox.x', turns.schedule);
    broker.setConnected(false);
    const atOnce = await settled(batcher.request('ledger.n1.req', command(1), undefined, 5_000));
    assert.ok('error' in atOnce && atOnce.error instanceof NotSentError);
    assert.match(String(atOnce.error), /not sent: no connection to NATS \(reconnecting, attempt 2\)/);
    broker.setConnected(true);
    const later = settled(batcher.request('ledger.n1.req', command(2), undefined, 5_000));
    broker.setConnected(false);
    turns.endTurn();
    const r = await later;
    assert.ok('error' in r && r.error instanceof NotSentError);
    assert.equal(broker.published.length, 0);
    assert.equal(batcher.inFlight, 0);
  });

  test('the requests waiting for an answer are bounded: one more is not sent', async () => {
    const broker = recordingTransport();
    const turns = manualTurns();
    const batcher = new RequestBatcher(broker.transport, 'ledger.inbox.x', turns.schedule);
    const waiting = Array.from({ length: limits.clientRequestsInFlightMax }, (_, i) =>
      settled(batcher.request('ledger.n1.req', command(i + 1), undefined, 100)),
    );
    const over = await settled(batcher.request('ledger.n1.req', command(1), undefined, 100));
    assert.ok('error' in over && over.error instanceof NotSentError, 'refused before anything left');
    turns.endTurn();
    assert.equal(
      broker.published.reduce((n, p) => n + p.items.length, 0),
      limits.clientRequestsInFlightMax,
    );
    await Promise.all(waiting);
    assert.equal(batcher.inFlight, 0);
  });
});
