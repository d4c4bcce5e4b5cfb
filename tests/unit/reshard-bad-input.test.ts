import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import type { LedgerClient } from '../../src/client/ledger-client.js';
import { LedgerError } from '../../src/core/errors.js';
import { limits } from '../../src/core/limits.js';
import { defaultTopology } from '../../src/ledger/topology.js';
import { makeConfig } from '../../src/node/config.js';
import { reshard } from '../../src/reshard/reshard.js';

describe('resharding refuses bad input before it touches anything', () => {
  const dir = mkdtempSync(join(tmpdir(), 'reshard-bad-input-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('a history capacity outside 0..historyCapacityMax is a config error; both ends are taken', () => {
    for (const historyCapacity of [-1, 1.5, limits.historyCapacityMax + 1])
      assert.throws(
        () => makeConfig({ natsUrl: 'nats://127.0.0.1:4222', dataDir: dir, historyCapacity }),
        (e: unknown) => e instanceof LedgerError && e.code === 'config' && /historyCapacity/.test(e.message),
        String(historyCapacity),
      );
    for (const historyCapacity of [0, limits.historyCapacityMax])
      assert.equal(
        makeConfig({ natsUrl: 'nats://127.0.0.1:4222', dataDir: dir, historyCapacity }).historyCapacity,
        historyCapacity,
      );
  });

  test('a damaged unfinished plan is a storage error that says how to plan afresh, and no node is asked', async () => {
    const dataDir = join(dir, 'damaged');
    mkdirSync(join(dataDir, 'reshard'), { recursive: true });
    writeFileSync(join(dataDir, 'reshard', 'unfinished-plan.json'), '{"moves": [');
    let asked = 0;
    const client = new Proxy({} as LedgerClient, {
      get: () => {
        asked++;
        return () => Promise.reject(new Error('no node should be asked'));
      },
    });
    await assert.rejects(
      reshard(client, defaultTopology, { seed: 1, dryRun: false, dataDir }),
      (e: unknown) => e instanceof LedgerError && e.code === 'storage' && /--replan/.test(e.hint ?? ''),
    );
    assert.equal(asked, 0);
  });
});
