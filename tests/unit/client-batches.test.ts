/**
 * A node's side of request batches (src/node/client-batches.ts): the answers ready in one turn
 * go to each reply subject in one message; a later answer in a later message; a follower's
 * forwards in one request batch per leader and reply subject. And what a node's request subject
 * takes in (src/codec/client-request.ts): a bad batch is refused whole.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { encodeCbor } from '../../src/codec/cbor.js';
import { admitClientRequest } from '../../src/codec/client-request.js';
import { decodeEnvelope, encodeEnvelope, envelopeVersion } from '../../src/codec/envelope.js';
import { limits } from '../../src/core/limits.js';
import type { Response } from '../../src/protocol/client.js';
import type { Envelope } from '../../src/protocol/envelope.js';
import { ClientBatches } from '../../src/node/client-batches.js';

function node() {
  const sent: Array<{ subject: string; data: Uint8Array; reply?: string; envelope: Envelope }> = [];
  const queued: Array<() => void> = [];
  const batches = new ClientBatches(
    (subject, data, reply) => sent.push({ subject, data, reply, envelope: decodeEnvelope(data) }),
    (n) => `ledger.n${n}.req`,
    (run) => queued.push(run),
  );
  return { batches, sent, endTurn: () => queued.splice(0).forEach((run) => run()) };
}

const outcome = (slot: number): Response => ({ kind: 'outcome', outcome: { status: 'committed' }, servedBy: 1, slot });
const transfer = (seq: number) => ({
  clientId: 'c-1',
  seq,
  op: { kind: 'transfer' as const, from: 1, to: 2, amount: 1 },
});

describe("a node's answers to batched requests", () => {
  test("one turn's answers to a reply subject go in one message; a slow one goes alone, later", () => {
    const n = node();
    n.batches.reply('ledger.inbox.a.1', 1, outcome(5));
    n.batches.reply('ledger.inbox.b.9', 7, outcome(5));
    n.batches.reply('ledger.inbox.a.1', 2, { kind: 'busy' });
    assert.equal(n.sent.length, 0, 'nothing before the turn ends');
    n.endTurn();
    assert.deepEqual(
      n.sent.map((s) => [s.subject, s.envelope]),
      [
        [
          'ledger.inbox.a.1',
          {
            kind: 'response-batch',
            items: [
              { id: 1, response: outcome(5) },
              { id: 2, response: { kind: 'busy' } },
            ],
          },
        ],
        ['ledger.inbox.b.9', { kind: 'response-batch', items: [{ id: 7, response: outcome(5) }] }],
      ],
    );
    // The batch's slow request (a cross-shard transfer) is answered in a later turn on its own.
    n.batches.reply('ledger.inbox.a.1', 3, outcome(9));
    n.endTurn();
    assert.deepEqual(n.sent[2]?.envelope, { kind: 'response-batch', items: [{ id: 3, response: outcome(9) }] });
    assert.equal(n.batches.responseBatchesSent, 3);
  });

  test('answers beyond the bounds go in several messages, each within them', () => {
    const n = node();
    const count = limits.requestsPerBatchMax * 3 + 5;
    const reason = 'r'.repeat(limits.reasonLengthMax);
    for (let id = 1; id <= count; id++) n.batches.reply('ledger.inbox.a.1', id, { kind: 'refused', reason });
    n.endTurn();
    assert.ok(n.sent.length > 3, `${n.sent.length} messages`);
    const ids: number[] = [];
    for (const s of n.sent) {
      assert.ok(s.data.length <= limits.requestBatchBytesMax, `${s.data.length} bytes`);
      assert.ok(s.envelope.kind === 'response-batch' && s.envelope.items.length <= limits.requestsPerBatchMax);
      if (s.envelope.kind === 'response-batch') ids.push(...s.envelope.items.map((i) => i.id));
    }
    assert.deepEqual(
      ids,
      Array.from({ length: count }, (_, i) => i + 1),
    );
  });

  test('flush publishes the open answers and forwards at once (before a persist blocks the turn); the end of the turn adds nothing', () => {
    const n = node();
    n.batches.reply('ledger.inbox.a.1', 1, outcome(5));
    n.batches.forward({ to: 1, reply: 'ledger.inbox.b.2', hops: 1, generation: 4 }, { id: 1, command: transfer(1) });
    n.batches.flush();
    assert.deepEqual(
      n.sent.map((s) => [s.subject, s.envelope.kind]),
      [
        ['ledger.inbox.a.1', 'response-batch'],
        ['ledger.n1.req', 'request-batch'],
      ],
    );
    n.endTurn();
    assert.equal(n.sent.length, 2, 'nothing is sent twice');
    n.batches.reply('ledger.inbox.a.1', 2, outcome(6));
    n.endTurn();
    assert.equal(n.sent.length, 3, 'a later answer still goes at the end of its turn');
  });

  test("a follower's forwards of one turn go to the leader in one batch per reply subject, keeping it", () => {
    const n = node();
    const to = { to: 1, reply: 'ledger.inbox.a.1', hops: 1, generation: 4 };
    n.batches.forward(to, { id: 1, command: transfer(1) });
    n.batches.forward(to, { id: 2, command: transfer(2) });
    n.batches.forward({ ...to, reply: 'ledger.inbox.b.2' }, { id: 1, command: transfer(3) });
    n.endTurn();
    assert.equal(n.sent.length, 2);
    const [first] = n.sent;
    assert.equal(first?.subject, 'ledger.n1.req');
    assert.equal(first?.reply, 'ledger.inbox.a.1');
    assert.deepEqual(first?.envelope, {
      kind: 'request-batch',
      hops: 1,
      generation: 4,
      items: [
        { id: 1, command: transfer(1) },
        { id: 2, command: transfer(2) },
      ],
    });
    // What the leader takes in is what the client sent.
    assert.deepEqual(admitClientRequest(first?.data as Uint8Array), { envelope: first?.envelope });
  });
});

describe('a request delivered twice (a duplicating broker)', () => {
  test('is forwarded and answered once per batch: a batch naming an id twice would be refused whole', () => {
    const n = node();
    const to = { to: 1, reply: 'ledger.inbox.a.1', hops: 1, generation: undefined };
    n.batches.forward(to, { id: 1, command: transfer(1) });
    n.batches.forward(to, { id: 2, command: transfer(2) });
    n.batches.forward(to, { id: 1, command: transfer(1) });
    n.batches.reply('ledger.inbox.a.1', 5, outcome(3));
    n.batches.reply('ledger.inbox.a.1', 5, outcome(3));
    n.endTurn();
    const [forwarded, answered] = n.sent;
    assert.ok(forwarded?.envelope.kind === 'request-batch');
    assert.deepEqual(
      forwarded.envelope.items.map((i) => i.id),
      [1, 2],
    );
    assert.ok('envelope' in admitClientRequest(forwarded.data), 'the leader takes it');
    assert.deepEqual(answered?.envelope, { kind: 'response-batch', items: [{ id: 5, response: outcome(3) }] });
    assert.ok('kind' in decodeEnvelope(answered.data), 'the client takes it');
    // In the next turn a copy goes again: it is another message.
    n.batches.forward(to, { id: 1, command: transfer(1) });
    n.endTurn();
    assert.equal(n.sent.length, 3);
  });
});

describe('a request batch as a node takes it in', () => {
  const batch = (items: unknown, extra: object = {}) =>
    encodeCbor({ v: envelopeVersion, kind: 'request-batch', hops: 0, items, ...extra });
  const refusal = (data: Uint8Array) => {
    const r = admitClientRequest(data);
    assert.ok('refusal' in r, `refused: ${JSON.stringify(r).slice(0, 200)}`);
    return r.refusal;
  };

  test('a valid batch is taken whole', () => {
    const envelope: Envelope = {
      kind: 'request-batch',
      hops: 0,
      items: [
        { id: 3, command: transfer(1) },
        { id: 9, command: transfer(2) },
      ],
    };
    assert.deepEqual(admitClientRequest(encodeEnvelope(envelope)), { envelope });
  });

  test('a malformed, oversized or ambiguous batch is refused whole, with the reason', () => {
    const cases: Array<[string, Uint8Array, RegExp]> = [
      [
        'duplicate ids',
        batch([
          { id: 1, command: transfer(1) },
          { id: 1, command: transfer(2) },
        ]),
        /id 1 appears twice/,
      ],
      ['no items', batch([]), /at least one item/],
      [
        'too many items',
        batch(Array.from({ length: limits.requestsPerBatchMax + 1 }, (_, i) => ({ id: i, command: transfer(i + 1) }))),
        /a list of at most 256/,
      ],
      ['items not a list', batch({ id: 1 }), /envelope.items: expected a list/],
      ['an item without an id', batch([{ command: transfer(1) }]), /items\[0\].id/],
      [
        'one bad command among good ones',
        batch([
          { id: 1, command: transfer(1) },
          { id: 2, command: { ...transfer(2), seq: 0 } },
        ]),
        /items\[1\].command.seq/,
      ],
      [
        'no hops',
        encodeCbor({ v: envelopeVersion, kind: 'request-batch', items: [{ id: 1, command: transfer(1) }] }),
        /hops/,
      ],
      [
        'over the byte bound',
        batch([{ id: 1, command: transfer(1) }], { pad: 'x'.repeat(limits.requestBatchBytesMax) }),
        /too large: \d+ bytes, at most 65536/,
      ],
      [
        'a single request over its own bound, though under the batch bound',
        encodeCbor({ v: envelopeVersion, kind: 'request', hops: 0, command: transfer(1), pad: 'x'.repeat(5_000) }),
        /too large: \d+ bytes, at most 4096/,
      ],
      [
        'a response batch',
        encodeEnvelope({ kind: 'response-batch', items: [{ id: 1, response: { kind: 'busy' } }] }),
        /expected request or request-batch, got response-batch/,
      ],
    ];
    for (const [what, data, reason] of cases) assert.match(refusal(data), reason, what);
  });
});
