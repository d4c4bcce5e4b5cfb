import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { writeNatsCredentials } from '../../src/cluster/nats-security-files.js';
import { makeConfig } from '../../src/node/config.js';
import { asAdmin, asClient, natsConnectionOf } from '../../src/node/nats-access.js';

/** Where each role's login comes from: the data dir's credentials, or the environment for a
 *  client or the admin (never for a node). */
describe('natsConnectionOf', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ledger-nats-access-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const credentialsDir = join(dir, 'credentials');
  const config = makeConfig({ natsUrl: 'nats://127.0.0.1:4222', dataDir: dir, natsSecurity: { credentialsDir } });
  const written = writeNatsCredentials(credentialsDir, config.topology);

  test('each role logs in as its own user from the data dir, files at mode 0600, passwords all different', () => {
    assert.equal(new Set(written.map((c) => c.password)).size, written.length);
    for (const c of written) assert.ok(c.password.length >= 32, 'a strong password');
    assert.equal(statSync(join(credentialsDir, 'n4.json')).mode & 0o777, 0o600);
    const n4 = natsConnectionOf(config, { kind: 'node', node: 4 }, {});
    assert.deepEqual(n4, { url: config.natsUrl, user: 'n4', password: written.find((c) => c.user === 'n4')!.password });
    assert.equal(natsConnectionOf(config, asClient, {}).user, 'client');
    assert.equal(natsConnectionOf(config, asAdmin, {}).user, 'admin');
    assert.equal(natsConnectionOf(makeConfig({ natsUrl: 'nats://x:1', dataDir: dir }), asClient, {}).user, undefined);
  });

  test('the environment wins for a client and the admin, never for a node', () => {
    const env = {
      LEDGER_NATS_URL: 'nats://10.0.0.5:4222',
      LEDGER_NATS_USER: 'client',
      LEDGER_NATS_PASSWORD: 'secret',
      LEDGER_NATS_CA: '/ca.pem',
      LEDGER_NATS_CERT: '/c.pem',
      LEDGER_NATS_KEY: '/k.pem',
    };
    assert.deepEqual(natsConnectionOf(config, asAdmin, env), {
      url: 'nats://10.0.0.5:4222',
      user: 'client',
      password: 'secret',
      tls: { caFile: '/ca.pem', certFile: '/c.pem', keyFile: '/k.pem' },
    });
    const node = natsConnectionOf(config, { kind: 'node', node: 1 }, env);
    assert.equal(node.url, config.natsUrl);
    assert.equal(node.user, 'n1');
    assert.equal(node.tls, undefined);
    const creds = join(dir, 'remote.json');
    writeFileSync(creds, JSON.stringify({ user: 'admin', password: 'p' }));
    assert.equal(natsConnectionOf(config, asClient, { LEDGER_NATS_CREDS: creds }).user, 'admin');
    assert.throws(() => natsConnectionOf(config, asClient, { LEDGER_NATS_CA: '/ca.pem' }), /TLS needs/);
  });

  test('a restart keeps the credentials already written', () => {
    assert.deepEqual(writeNatsCredentials(credentialsDir, config.topology), written);
  });
});
