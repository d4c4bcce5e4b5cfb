import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { describe, test } from 'node:test';
import { LedgerClient } from '../../src/client/ledger-client.js';
import { defaultTopology } from '../../src/ledger/topology.js';
import { FakeTransport } from './helpers/fake-transport.js';

const later = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function clientOn(transport: FakeTransport, deadlineMs = 2_000, attemptTimeoutMs = 100): LedgerClient {
  return new LedgerClient(transport, defaultTopology, 'ledger', { attemptTimeoutMs, deadlineMs });
}

describe('a request without a connection to NATS', () => {
  test('closed for good: unavailable (not sent) at once, never unknown', async () => {
    const transport = new FakeTransport();
    await transport.close();
    const started = performance.now();
    const r = await clientOn(transport).transfer(1, 2, 1);
    assert.equal(r.status, 'unavailable');
    assert.match(r.reason ?? '', /^not sent: /);
    assert.equal(r.attempts, 0);
    assert.equal(transport.sent.length, 0);
    assert.ok(performance.now() - started < 500, 'a one-shot command fails fast');
  });

  test('while reconnecting it waits for the connection, then sends: the outage shows as latency', async () => {
    const transport = new FakeTransport();
    transport.disconnect();
    const pending = clientOn(transport).transfer(1, 2, 1);
    await later(300);
    assert.equal(transport.sent.length, 0, 'nothing sent while disconnected');
    assert.ok(transport.calls <= 2, `it waits instead of retrying: ${transport.calls} tries in 300 ms`);
    transport.reconnect();
    const r = await pending;
    assert.equal(r.status, 'committed');
    assert.equal(r.attempts, 1);
    assert.ok(r.latencyMs >= 290, `latency ${r.latencyMs} ms includes the wait`);
  });

  test('disconnected until the deadline: unavailable, with a bounded number of tries', async () => {
    const transport = new FakeTransport();
    transport.disconnect();
    const r = await clientOn(transport, 400).transfer(1, 2, 1);
    assert.equal(r.status, 'unavailable');
    assert.equal(transport.sent.length, 0);
    assert.ok(transport.calls <= 3, `${transport.calls} tries`);
  });

  test('an attempt that was sent keeps the request unknown, even if no later attempt could be sent', async () => {
    const transport = new FakeTransport();
    transport.reply = 'silence';
    const pending = clientOn(transport, 600, 100).transfer(1, 2, 1);
    // The first attempt leaves and times out after 100 ms; then the broker is gone.
    await later(50);
    transport.disconnect();
    const r = await pending;
    assert.equal(transport.sent.length, 1, 'exactly one attempt left the process');
    assert.equal(r.status, 'unknown', 'it may still commit');
    assert.equal(r.attempts, 1);
  });

  test('the same for a transfer whose attempts flap: sent, not sent, closed: unknown', async () => {
    const transport = new FakeTransport();
    transport.reply = 'silence';
    const pending = clientOn(transport, 2_000, 100).transfer(1, 2, 1);
    await later(50);
    transport.disconnect();
    await later(150);
    await transport.close();
    const r = await pending;
    assert.equal(r.status, 'unknown');
  });

  test('a read: answered after the reconnect; not sent when the connection is closed', async () => {
    const transport = new FakeTransport();
    transport.disconnect();
    const client = clientOn(transport);
    const pending = client.balance(1);
    await later(50);
    transport.reconnect();
    const answered = await pending;
    assert.equal(answered.balance, 10);
    assert.equal(answered.sent, true);
    await transport.close();
    const refused = await client.balance(1);
    assert.equal(refused.balance, null);
    assert.equal(refused.sent, false);
    assert.match(refused.reason ?? '', /^not sent: /);
  });
});
