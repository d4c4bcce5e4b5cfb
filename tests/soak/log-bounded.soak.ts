/**
 * Soak (`npm run test:soak`, 10 minutes by default, LEDGER_SOAK_MINUTES to change): a 3x3
 * cluster of real processes under continuous intra-shard load, sampling every node's log size.
 * Passes when the log on disk stays bounded by the checkpoint settings, every sample, and the
 * replicas are consistent at the end. Not part of `npm test` (it takes too long).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LedgerClient } from '../../src/client/ledger-client.js';
import { intraShardLoad } from '../../src/load/transfer-load.js';
import { defaultTopology } from '../../src/ledger/topology.js';
import { defaultCheckpoint } from '../../src/node/config.js';
import { asAdmin } from '../../src/node/nats-access.js';
import { TestCluster } from '../integration/harness.js';

const minutes = Number(process.env.LEDGER_SOAK_MINUTES ?? 10);

test(
  `the log on disk stays bounded under ${minutes} minutes of load`,
  { timeout: (minutes + 5) * 60_000 },
  async (t) => {
    const cluster = await TestCluster.start();
    const transport = await cluster.connect(asAdmin, 'soak', true);
    try {
      const client = new LedgerClient(transport, defaultTopology, 'ledger');
      const deadline = Date.now() + minutes * 60_000;
      let maxLogEntries = 0;
      let maxApplied = 0;
      let transfers = 0;
      let round = 0;
      while (Date.now() < deadline) {
        // Bursts of load, with a log-size sample after each one.
        const report = await intraShardLoad(client, defaultTopology, {
          transfers: 5_000,
          concurrency: 32,
          seed: round++,
        });
        transfers += report.transfers;
        const statuses = await client.status(2_000);
        for (const s of statuses) {
          if (s.role === 'down') continue;
          maxLogEntries = Math.max(maxLogEntries, s.logEntries);
          maxApplied = Math.max(maxApplied, s.appliedIndex);
        }
        t.diagnostic(
          `${Math.round((deadline - Date.now()) / 1000)} s left: ${transfers} transfers, ${report.throughputPerSecond.toFixed(0)}/s, highest applied slot ${maxApplied}, largest log ${maxLogEntries} entries`,
        );
      }
      // A checkpoint every intervalSlots keeps logTailSlots below it, plus what arrived since.
      const bound = 2 * defaultCheckpoint.intervalSlots + defaultCheckpoint.logTailSlots;
      t.diagnostic(
        `largest log seen: ${maxLogEntries} entries (bound ${bound}) while the highest applied slot reached ${maxApplied}`,
      );
      assert.ok(maxApplied > bound, `the soak did not run long enough to test the bound (${maxApplied} slots)`);
      assert.ok(maxLogEntries <= bound, `a log grew to ${maxLogEntries} entries`);
      const consistency = await cluster.json(['check', 'consistency']);
      assert.equal(consistency.ok, true);
    } finally {
      await transport.close();
      await cluster.close();
    }
  },
);
