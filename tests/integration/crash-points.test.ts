import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { cli, TestCluster, waitUntil } from './harness.js';

/**
 * Kill the coordinator's or the participant's leader at each step of Two-Phase Commit
 * (docs/durability.md, failpoints in src/node/failpoints.ts), then bring it back: the transaction must
 * end atomically (both legs or neither), money must be conserved, and no account may stay
 * locked once the cluster has a leader again.
 */
const points: Array<{ side: 'coordinator' | 'participant'; failpoint: string; what: string }> = [
  { side: 'coordinator', failpoint: 'coordinator:prepare-proposed@before-send', what: 'before PREPARE is chosen' },
  {
    side: 'coordinator',
    failpoint: 'coordinator:prepare-proposed@after-send',
    what: 'after sending PREPARE to the participant, before its own is chosen',
  },
  {
    side: 'coordinator',
    failpoint: 'coordinator:prepare-chosen@before-send',
    what: 'after PREPARE is chosen (the participant asked already)',
  },
  {
    side: 'coordinator',
    failpoint: 'coordinator:committed@before-send',
    what: 'with both PREPAREs chosen, before answering the client',
  },
  {
    side: 'coordinator',
    failpoint: 'coordinator:committed@after-send',
    what: 'after answering the client committed, before the decision is chosen',
  },
  {
    side: 'coordinator',
    failpoint: 'coordinator:decision-chosen@before-send',
    what: 'after the decision is chosen, before it is sent',
  },
  { side: 'coordinator', failpoint: 'coordinator:decision-chosen@after-send', what: 'after the decision is sent' },
  { side: 'participant', failpoint: 'participant:prepare-proposed@before-send', what: 'before its PREPARE is chosen' },
  {
    side: 'participant',
    failpoint: 'participant:prepare-chosen@before-send',
    what: 'after its PREPARE is chosen, before the vote',
  },
  { side: 'participant', failpoint: 'participant:prepare-chosen@after-send', what: 'after the vote' },
  {
    side: 'participant',
    failpoint: 'participant:decision-applied@before-send',
    what: 'after applying the decision, before acknowledging it',
  },
];

describe('crash points of Two-Phase Commit with real processes', () => {
  let cluster: TestCluster;
  let markers: string;
  before(async () => {
    cluster = await TestCluster.start();
    markers = mkdtempSync(join(tmpdir(), 'ledger-failpoints-'));
  });
  after(async () => {
    await cluster?.close();
    rmSync(markers, { recursive: true, force: true });
  });

  points.forEach(({ side, failpoint, what }, i) => {
    test(`${side} leader killed ${what}: the transfer ends atomically`, async (t) => {
      // Coordinator: cluster 1 (sender 101+i); participant: cluster 2 (receiver 3101+i).
      const from = 501 + i;
      const to = 3501 + i;
      const armed = side === 'coordinator' ? [1, 2, 3] : [4, 5, 6];
      const once = join(markers, `point-${i}`);
      // Arm every node of the cluster; the first to reach the point (its leader) dies there.
      for (const node of armed) {
        const r = await cli(['node', 'restart', String(node), '--json', '--data-dir', cluster.dataDir], {
          LEDGER_FAILPOINT: failpoint,
          LEDGER_FAILPOINT_ONCE: once,
        });
        assert.equal(r.code, 0, r.stderr);
      }
      await waitUntil(
        'every cluster has a leader again',
        20_000,
        async () => (await cluster.cli(['cluster', 'status', '--json'])).code === 0,
      );
      const result = await cluster.json(['transfer', String(from), String(to), '3'], [0, 1, 3]);
      t.diagnostic(`the client was told: ${result.status}${result.reason ? ` (${result.reason})` : ''}`);
      await waitUntil(`the failpoint ${failpoint} fired`, 20_000, async () => existsSync(once));
      // Disarm: restart the armed nodes plainly (the crashed one comes back from its disk).
      for (const node of armed) await cluster.json(['node', 'restart', String(node)]);
      await waitUntil('the transaction ends and every lock is released', 60_000, async () => {
        const r = await cluster.cli(['check', 'consistency', '--json', '--wait', '2']);
        return r.code === 0 && r.json?.money?.inFlight === 0;
      });
      const a = (await cluster.json(['balance', String(from)])).balance;
      const b = (await cluster.json(['balance', String(to)])).balance;
      t.diagnostic(`balances after: ${from}=${a}, ${to}=${b}`);
      assert.ok((a === 7 && b === 13) || (a === 10 && b === 10), `both legs or neither: ${a}/${b}`);
      if (result.status === 'committed') assert.deepEqual([a, b], [7, 13], 'an acknowledged transfer is never undone');
      if (result.status === 'aborted' || result.status === 'insufficient-funds') assert.deepEqual([a, b], [10, 10]);
    });
  });
});
