import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { AdminRefused } from '../../src/client/admin-refused.js';
import { LedgerClient } from '../../src/client/ledger-client.js';
import { decodeEnvelope, encodeEnvelope } from '../../src/codec/envelope.js';
import type { Envelope } from '../../src/protocol/envelope.js';
import { defaultTopology } from '../../src/ledger/topology.js';
import { FakeTransport } from './helpers/fake-transport.js';

/** A broker whose nodes answer every admin request with what the test says. */
class AdminTransport extends FakeTransport {
  readonly asked: Envelope[] = [];
  constructor(private readonly answer: (request: Envelope) => Envelope) {
    super();
  }
  override async request(subject: string, data: Uint8Array): Promise<Uint8Array> {
    this.sent.push(subject);
    const request = decodeEnvelope(data);
    this.asked.push(request);
    return encodeEnvelope(this.answer(request));
  }
}

const clientOn = (transport: FakeTransport) => new LedgerClient(transport, defaultTopology, 'ledger');

describe('the typed admin call', () => {
  test('sends the op with its own fields and gives back the body its op names', async () => {
    const transport = new AdminTransport(() => ({
      kind: 'admin-reply',
      ok: true,
      op: 'hold-cross-shard',
      body: { node: 4, heldMs: 1_500 },
    }));
    const hold = await clientOn(transport).admin(4, { op: 'hold-cross-shard', holdMs: 1_500 });
    assert.deepEqual(hold, { node: 4, heldMs: 1_500 });
    assert.deepEqual(transport.asked, [{ kind: 'admin', op: 'hold-cross-shard', holdMs: 1_500 }]);
    assert.deepEqual(transport.sent, ['ledger.n4.admin']);
  });

  test("a refusal throws AdminRefused carrying the node's code", async () => {
    const transport = new AdminTransport(() => ({
      kind: 'admin-reply',
      ok: false,
      code: 'wrong-shard',
      message: 'account 5 is not on node 4',
    }));
    await assert.rejects(
      clientOn(transport).admin(4, { op: 'balance', account: 5 }),
      (e: unknown) =>
        e instanceof AdminRefused &&
        e.refusal === 'wrong-shard' &&
        e.node === 4 &&
        e.code === 'unavailable' &&
        e.message === 'node 4: account 5 is not on node 4',
    );
  });

  test("a reply for another op than the one asked is refused, not read as this op's body", async () => {
    const transport = new AdminTransport(() => ({
      kind: 'admin-reply',
      ok: true,
      op: 'hold-cross-shard',
      body: { node: 4, heldMs: 0 },
    }));
    await assert.rejects(clientOn(transport).admin(4, { op: 'lead' }), /answered hold-cross-shard to lead/);
  });

  test('holdCrossShard asks every node with holdMs, never in account', async () => {
    const transport = new AdminTransport((request) => ({
      kind: 'admin-reply',
      ok: true,
      op: 'hold-cross-shard',
      body: { node: 1, heldMs: request.kind === 'admin' && request.op === 'hold-cross-shard' ? request.holdMs : -1 },
    }));
    await clientOn(transport).holdCrossShard(2_000);
    assert.equal(transport.asked.length, 9);
    for (const request of transport.asked)
      assert.deepEqual(request, { kind: 'admin', op: 'hold-cross-shard', holdMs: 2_000 });
  });

  test('disturb sends both settings to the node; a node or a setting out of range is refused before anything is sent', async () => {
    const transport = new AdminTransport(() => ({
      kind: 'admin-reply',
      ok: false,
      code: 'internal',
      message: 'the test reads the request only',
    }));
    const client = clientOn(transport);
    await assert.rejects(client.disturb(6, { duplicatePercent: 50, delayMsMax: 40 }), AdminRefused);
    assert.deepEqual(transport.asked, [{ kind: 'admin', op: 'disturb', duplicatePercent: 50, delayMsMax: 40 }]);
    assert.deepEqual(transport.sent, ['ledger.n6.admin']);
    for (const [node, settings, says] of [
      [10, { duplicatePercent: 5, delayMsMax: 0 }, /node 10 does not exist/],
      [6, { duplicatePercent: 101, delayMsMax: 0 }, /duplicate share 101/],
      [6, { duplicatePercent: 1.5, delayMsMax: 0 }, /duplicate share 1.5/],
      [6, { duplicatePercent: 0, delayMsMax: 2_001 }, /delay 2001 ms/],
      [6, { duplicatePercent: 0, delayMsMax: -1 }, /delay -1 ms/],
    ] as const)
      await assert.rejects(client.disturb(node, settings), (e: unknown) => e instanceof Error && says.test(e.message));
    assert.equal(transport.asked.length, 1, 'none of those was sent');
  });
});
