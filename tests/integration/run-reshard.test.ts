import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { after, describe, test } from 'node:test';
import { menuReshard } from '../../src/cli/run-menu.js';
import { printBalance } from '../../src/cli/inspect.js';
import { isAlive } from '../../src/cluster/processes.js';
import { parseTestFile } from '../../src/testfile/parse.js';
import { planRun } from '../../src/testfile/plan.js';
import { TestRunner, type AfterSet, type RunSession } from '../../src/testfile/runner.js';
import { peerDir } from '../helpers/peer-files.js';
import { ledgerBin, waitUntil } from './harness.js';

/**
 * PrintReshard in `ledger run` (docs/test-files.md): set 9 of the Fall-2025 "new test cases"
 * file moves exactly 4001 from cluster 2 to cluster 1, where it then reads 12 on n1, n2 and n3;
 * the next set's flush puts it back in cluster 2 with its initial 10.
 */

const root = mkdtempSync(join(tmpdir(), 'ledger-run-reshard-'));
after(() => {
  for (const dir of clusterDirs) killCluster(dir);
  rmSync(root, { recursive: true, force: true });
});

const peerFile = () => join(peerDir(), 'CSE535-F25-Project-3-New-Testcases.csv');
const clusterDirs: string[] = [];

/** Ends, by PID, whatever a run's cluster still runs (the runner stops it itself normally). */
function killCluster(dir: string): boolean {
  const file = join(dir, 'cluster.json');
  if (!existsSync(file)) return false;
  const state = JSON.parse(readFileSync(file, 'utf8')) as { natsPid: number; nodes: Array<{ pid: number }> };
  for (const pid of [state.natsPid, ...state.nodes.map((n) => n.pid)]) if (isAlive(pid)) process.kill(pid, 'SIGKILL');
  return true;
}

function runCli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const dataDir = mkdtempSync(join(root, 'd-'));
  clusterDirs.push(join(dataDir, 'run'));
  const child = spawn(process.execPath, [ledgerBin, 'run', ...args, '--data-dir', dataDir], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  return new Promise((resolve) => child.on('close', (c) => resolve({ code: c ?? 1, stdout, stderr })));
}

describe('ledger run: PrintReshard', { concurrency: true }, () => {
  test('--reshard-after-each-set on peer set 9: exactly (4001, c2, c1) in --json', async () => {
    const file = peerFile();
    const json = await runCli([file, '--sets', '9', '--reshard-after-each-set', '--json', '--deadline-ms', '5000']);
    assert.equal(json.code, 0, json.stderr);
    const doc = JSON.parse(json.stdout);
    assert.deepEqual(
      doc.sets.map((s: any) => s.set),
      [9],
      '--sets 9 runs set 9 only',
    );
    const [set9] = doc.sets;
    assert.ok(set9.results.every((r: any) => r.op !== 'transfer' || r.status === 'committed'));
    // Only 4001 moves: every other account of the set (1001..1005) is in cluster 1 already.
    assert.deepEqual(set9.reshard.moves, [{ account: 4001, from: 2, to: 1 }]);
    assert.deepEqual(set9.reshard.triplets, ['(4001, c2, c1)']);
    // 4 of the set's 10 transfers involve 4001 and cross shards; after the move, none does.
    assert.equal(set9.reshard.historyTransfers, 10);
    assert.equal(set9.reshard.crossShareBefore, 0.4);
    assert.equal(set9.reshard.crossShareAfter, 0);
  });

  test('the menu reshards set 9; PrintBalance reads 4001 = 12 on n1-n3 (n2 once recovered); the next flush puts it back in c2', async () => {
    // Set 9 of the peer file, then a set that only reads 4001 (flushed first, as every set of a
    // three-column file).
    const peer = readFileSync(peerFile(), 'utf8').split(/\r?\n/);
    const start = peer.findIndex((l) => l.startsWith('9,'));
    const end = peer.findIndex((l, i) => i > start && /^\d/.test(l));
    const all = '"[n1, n2, n3, n4, n5, n6, n7, n8, n9]"';
    const text = [...peer.slice(start, end), `10,"(4001)",${all}`].join('\n');
    const plans = planRun(parseTestFile(text, 'set9.csv'), 'set9.csv', { flush: true, initialBalance: 10 });
    const clusterDir = join(mkdtempSync(join(root, 'm-')), 'run');
    clusterDirs.push(clusterDir);

    const seen: Record<number, unknown> = {};
    const runner = new TestRunner(
      {
        clusterDir,
        concurrent: false,
        concurrencyMax: 1,
        consistency: 'linearizable',
        deadlineMs: 5_000,
        leadTimeoutMs: 10_000,
      },
      {
        say: () => undefined,
        afterSet: async (plan, _report, session: RunSession): Promise<AfterSet> => {
          if (plan.set.set === 9) {
            // What the menu's PrintReshard, then PrintBalance 4001, show.
            const lines = await menuReshard(session);
            // Set 9 ends with F(n2): the live replicas of 4001's new cluster apply the move-in
            // (a follower learns the commit a moment later: wait for it); n2, failed, does not
            // until it is recovered, and then catches up.
            const reads = async (nodes: number[]) =>
              (await printBalance(session.client, 4001)).replicas.filter((r) => nodes.includes(r.node));
            const twelve = (nodes: number[]) => nodes.map((node) => ({ node, balance: 12, pending: 0 }));
            await waitUntil('4001 reads 12 on n1 and n3', 15_000, async () =>
              isDeepStrictEqual(await reads([1, 3]), twelve([1, 3])),
            );
            const failed = (await session.client.replicaBalances(4001)).find((r) => r.node === 2);
            await session.client.injectFault(2, 'recover');
            await waitUntil('4001 reads 12 on n1, n2 and n3', 15_000, async () =>
              isDeepStrictEqual(await reads([1, 2, 3]), twelve([1, 2, 3])),
            );
            seen[9] = { lines, failed: failed?.balance, replicas: await reads([1, 2, 3]) };
          } else {
            await session.client.refreshMap();
            const balance = await printBalance(session.client, 4001);
            seen[10] = { owner: session.client.ownerOf(4001), replicas: balance.replicas };
          }
          return 'next';
        },
      },
    );
    const report = await runner.run('set9.csv', 'three-column', plans);
    assert.equal(killCluster(clusterDir), false, 'the runner stopped its cluster');

    assert.deepEqual(seen[9], {
      lines: ['  PrintReshard:', '  (4001, c2, c1)', '  cross-shard share of 10 transfers: 40.0 % → 0.0 %'],
      // 4001: 10 + 1 (from 1001) - 1 (to 1002) + 1 (from 1003) + 1 (from 1004) = 12, on each
      // replica of its new cluster.
      failed: null,
      replicas: [1, 2, 3].map((node) => ({ node, balance: 12, pending: 0 })),
    });
    // After the flush: the initial map, the initial balance, on cluster 2's nodes.
    assert.deepEqual(seen[10], {
      owner: 2,
      replicas: [4, 5, 6].map((node) => ({ node, balance: 10, pending: 0 })),
    });
    const set10 = report.sets.find((s) => s.set === 10);
    assert.deepEqual(
      set10?.results.map((r) => (r.op === 'balance' ? r.balance : r.op)),
      [10],
    );
  });
});
