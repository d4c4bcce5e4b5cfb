/**
 * Every attempt of a request carries the flush generation the request started in (the test-file
 * runner moves LedgerClient.generation on after each flush): a retry after a flush must not run
 * in the new generation, whatever message it travels in.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LedgerClient } from '../../src/client/ledger-client.js';
import { decodeEnvelope } from '../../src/codec/envelope.js';
import { defaultTopology } from '../../src/ledger/topology.js';
import { TransportTimeoutError } from '../../src/transport/transport.js';
import { FakeTransport } from './helpers/fake-transport.js';

/** The first attempt gets no answer; the generations of all attempts are kept. */
class FirstSilent extends FakeTransport {
  readonly generations: Array<number | undefined> = [];
  override async request(subject: string, data: Uint8Array, timeoutMs: number): Promise<Uint8Array> {
    const envelope = decodeEnvelope(data);
    if (envelope.kind === 'request') this.generations.push(envelope.generation);
    if (this.generations.length === 1) throw new TransportTimeoutError('no answer');
    return super.request(subject, data, timeoutMs);
  }
}

test('a retry carries the generation its request started in, not the one the client moved to since', async () => {
  const transport = new FirstSilent();
  const client = new LedgerClient(transport, defaultTopology, 'ledger', { attemptTimeoutMs: 100, deadlineMs: 2_000 });
  client.generation = 3;
  const pending = client.transfer(1, 2, 1);
  // A flush passes while the first attempt waits.
  client.generation = 4;
  const r = await pending;
  assert.equal(r.status, 'committed');
  assert.deepEqual(transport.generations, [3, 3]);
  assert.equal((await client.transfer(1, 2, 1)).status, 'committed');
  assert.deepEqual(transport.generations, [3, 3, 4], 'a request started after it carries the new one');
});
