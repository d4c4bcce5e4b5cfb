import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { natsUrlFrom, type NatsClusterServer } from '../../src/cluster/nats-cluster.js';
import { LedgerError } from '../../src/core/errors.js';
import { connectNats } from '../../src/transport/nats.js';
import { natsServerUrls } from '../../src/transport/nats-urls.js';

const configError = (pattern: RegExp) => (e: unknown) =>
  e instanceof LedgerError && e.code === 'config' && pattern.test(e.message);

describe('natsServerUrls', () => {
  test('one URL, or several comma-separated in the order given (spaces around commas allowed)', () => {
    assert.deepEqual(natsServerUrls('nats://127.0.0.1:4222'), ['nats://127.0.0.1:4222']);
    assert.deepEqual(natsServerUrls('nats://10.0.0.1:4222, tls://h2.example:4222,nats://[::1]:4223'), [
      'nats://10.0.0.1:4222',
      'tls://h2.example:4222',
      'nats://[::1]:4223',
    ]);
    assert.deepEqual(natsServerUrls('nats://h1'), ['nats://h1'], 'the port defaults to 4222');
  });

  test('refuses what is not a list of NATS servers, naming the culprit', () => {
    const cases: Array<[string, RegExp]> = [
      ['', /^natsUrl is missing$/],
      ['  ', /^natsUrl is missing$/],
      ['nats://a:1,', /^natsUrl: "" is empty \(a comma too many\?\)$/],
      ['nats://a:1,,nats://b:2', /^natsUrl: "" is empty/],
      ['127.0.0.1:4222', /^natsUrl: "127\.0\.0\.1:4222" must start with nats:\/\/ or tls:\/\/$/],
      ['nats://a:1,http://b:2', /^natsUrl: "http:\/\/b:2" must start with nats:\/\/ or tls:\/\/$/],
      ['not a url', /^natsUrl: "not a url" must start with nats:\/\/ or tls:\/\/$/],
      ['nats://a b:1', /^natsUrl: "nats:\/\/a b:1" is not a URL$/],
      ['nats://user:secret@a:1', /holds credentials: give them in their own settings$/],
      ['nats://a:1/ledger', /has a path or a query/],
      ['nats://a:1?x=1', /has a path or a query/],
      ['nats://a:1,nats://a:1', /^natsUrl lists a server twice/],
      [Array.from({ length: 17 }, (_, i) => `nats://h${i}:4222`).join(','), /^natsUrl lists 17 servers; at most 16$/],
    ];
    for (const [text, message] of cases) assert.throws(() => natsServerUrls(text), configError(message), text);
  });

  test('connectNats refuses a malformed list at once, even for a node that waits for its broker', async () => {
    let waited = 0;
    await assert.rejects(
      connectNats({
        url: 'nats://127.0.0.1:1,http://x:2',
        name: 'unit',
        longRunning: true,
        waitForBroker: () => waited++,
      }),
      configError(/must start with nats:\/\/ or tls:\/\//),
    );
    assert.equal(waited, 0, 'a configuration error is not an outage to wait out');
  });
});

test('natsUrlFrom lists the home server first, then the others in turn', () => {
  const servers = ['a', 'b', 'c'].map((n, i) => ({ url: `nats://127.0.0.1:${4000 + i}` }) as NatsClusterServer);
  assert.equal(natsUrlFrom(servers, 0), 'nats://127.0.0.1:4000,nats://127.0.0.1:4001,nats://127.0.0.1:4002');
  assert.equal(natsUrlFrom(servers, 1), 'nats://127.0.0.1:4001,nats://127.0.0.1:4002,nats://127.0.0.1:4000');
  assert.equal(natsUrlFrom(servers, 2), 'nats://127.0.0.1:4002,nats://127.0.0.1:4000,nats://127.0.0.1:4001');
});
