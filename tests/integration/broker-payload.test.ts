import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { freePort, natsServerBinary, portAccepts } from '../../src/cluster/processes.js';
import { limits } from '../../src/core/limits.js';
import { makeConfig } from '../../src/node/config.js';
import { connectNats } from '../../src/transport/nats.js';
import type { PublishFailure } from '../../src/transport/transport.js';
import { cli, endProcess, waitUntil } from './harness.js';

/**
 * Against a real nats-server whose max_payload is smaller than the one Ledger's message budgets
 * are derived from (issue 10, bug 2): a publish above it reaches the transport's error listener
 * as `payload-too-large` (never swallowed), and a node refuses to start on such a broker with
 * one clear error instead of running with messages the broker would drop.
 */

const started = new Set<number>();
const dirs: string[] = [];
after(() => {
  for (const pid of started) endProcess(pid);
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

test('a broker with a small max_payload: oversized publishes are reported, and a node refuses to start', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ledger-payload-'));
  dirs.push(dir);
  const port = await freePort();
  const smallBytes = 64 * 1024;
  const confFile = join(dir, 'nats.conf');
  writeFileSync(confFile, `listen: "127.0.0.1:${port}"\nmax_payload: ${smallBytes}\n`);
  const broker = spawn(natsServerBinary(), ['-c', confFile], { stdio: 'ignore', detached: true });
  started.add(broker.pid as number);
  broker.unref();
  await waitUntil('nats-server up', 10_000, () => portAccepts(port));
  const url = `nats://127.0.0.1:${port}`;

  const transport = await connectNats({ url, name: 'it-payload', longRunning: false });
  try {
    assert.equal(transport.brokerMaxPayloadBytes, smallBytes);
    const failures: PublishFailure[] = [];
    transport.onPublishError((f) => failures.push(f));
    transport.publish('x.fits', new Uint8Array(smallBytes));
    transport.publish('x.big', new Uint8Array(smallBytes + 1));
    assert.deepEqual(
      failures.map((f) => ({ subject: f.subject, bytes: f.bytes, reason: f.reason })),
      [{ subject: 'x.big', bytes: smallBytes + 1, reason: 'payload-too-large' }],
    );
  } finally {
    await transport.close();
  }

  const configFile = join(dir, 'config.json');
  writeFileSync(configFile, JSON.stringify(makeConfig({ natsUrl: url, dataDir: dir })));
  const node = await cli(['node', 'start', '--id', '1', '--config', configFile]);
  assert.notEqual(node.code, 0);
  assert.match(
    node.stderr,
    new RegExp(
      `accepts payloads of at most ${smallBytes} bytes, and Ledger's messages need ${limits.natsMaxPayloadBytes}`,
    ),
  );
  assert.match(node.stderr, /max_payload: 1048576/);
});
