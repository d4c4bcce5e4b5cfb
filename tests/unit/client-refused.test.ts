import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { LedgerClient } from '../../src/client/ledger-client.js';
import { defaultTopology } from '../../src/ledger/topology.js';
import { FakeTransport } from './helpers/fake-transport.js';

/** A `refused` answer (a node could not accept the request) is definite: nothing ran, so the
 *  client neither retries elsewhere nor reports it unknown. */
describe('a request the node refuses', () => {
  const clientOn = (transport: FakeTransport) =>
    new LedgerClient(transport, defaultTopology, 'ledger', { attemptTimeoutMs: 100, deadlineMs: 2_000 });

  test('a transfer is aborted at once with the reason, after one attempt', async () => {
    const transport = new FakeTransport();
    transport.reply = 'refuse';
    const r = await clientOn(transport).transfer(1, 2, 1);
    assert.equal(r.status, 'aborted');
    assert.match(r.reason ?? '', /^refused by node 1: envelope.hops/);
    assert.equal(r.attempts, 1);
    assert.equal(transport.sent.length, 1, 'no retry through another node');
  });

  test('a read gets no balance, with the reason; the request was sent', async () => {
    const transport = new FakeTransport();
    transport.reply = 'refuse';
    const r = await clientOn(transport).balance(1);
    assert.equal(r.balance, null);
    assert.equal(r.sent, true);
    assert.match(r.reason ?? '', /^refused by node 1/);
    assert.equal(transport.sent.length, 1);
  });
});
