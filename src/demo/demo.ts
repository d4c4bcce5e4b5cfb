import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { printBalance, printView } from '../cli/inspect.js';
import { LedgerError } from '../core/errors.js';
import { allNodes } from '../ledger/topology.js';
import { parseTestFile } from '../testfile/parse.js';
import { planRun } from '../testfile/plan.js';
import { TestRunner, type RunnerHooks, type RunReport } from '../testfile/runner.js';
import { intraShardLoad, type LoadReport } from '../load/transfer-load.js';

/** The bundled test file (infra/demo-tests.csv). */
const demoFile = fileURLToPath(new URL('../../../infra/demo-tests.csv', import.meta.url));

/**
 * What each row of the bundled file shows, by line. Set 1: intra-shard and cross-shard transfers
 * and an insufficient-funds refusal. Set 2: a leader failure and its NEW-VIEW, a cluster without
 * quorum (its transfer ends unknown, a cross-shard one into it aborts), and a recovery.
 */
export const demoNotes: Record<number, string> = {
  2: 'intra-shard in cluster 1',
  3: 'intra-shard in cluster 2',
  4: 'cluster 3: empties account 6001',
  5: 'insufficient funds: 6001 is empty now',
  6: 'cross-shard: Two-Phase Commit between clusters 1 and 2',
  7: 'cross-shard from cluster 3 to cluster 1',
  11: "fail cluster 1's leader",
  12: 'a new leader takes over (NEW-VIEW in PrintView)',
  13: 'cross-shard under the new leader',
  14: 'cluster 2 keeps a majority (n4, n6)',
  15: 'cluster 2 has lost its majority: n4 alone',
  16: 'no quorum in cluster 2: no answer (it may still commit once a majority is back)',
  17: 'cross-shard into cluster 2: aborted, cluster 2 cannot prepare',
  18: 'recovery: n5 rejoins, cluster 2 has a majority again',
  19: 'cluster 2 commits again',
};

/** Accounts whose PrintBalance the demo shows at the end. */
const shownAccounts = [1001, 1002, 1004, 3004, 6001, 6002];

export interface DemoReport {
  run: RunReport;
  balances: Array<{ account: number; replicas: Array<{ node: number; balance: number | null }> }>;
  views: number;
  performance: LoadReport;
}

/**
 * What `npm start` runs: the bundled test file on a fresh local 3x3 cluster in `clusterDir`
 * (wiped first: it belongs to the demo), then PrintBalance, PrintView and a Performance burst
 * while the cluster still runs. `hooks` draw the rows and, on a terminal, the menu.
 */
export async function runDemo(clusterDir: string, options: { keep: boolean; hooks: RunnerHooks }): Promise<DemoReport> {
  const file = parseTestFile(readFileSync(demoFile, 'utf8'), 'demo-tests.csv');
  const plans = planRun(file, 'demo-tests.csv', { flush: true });
  let tail: Omit<DemoReport, 'run'> | undefined;
  const runner = new TestRunner(
    {
      clusterDir,
      concurrent: false,
      concurrencyMax: 1,
      consistency: 'linearizable',
      deadlineMs: 3_000,
      leadTimeoutMs: 10_000,
      keepCluster: options.keep,
    },
    {
      ...options.hooks,
      afterSet: async (plan, report, session, isLast) => {
        const next = (await options.hooks.afterSet?.(plan, report, session, isLast)) ?? 'next';
        // The closing section runs while the cluster still does: after the last set, or as soon
        // as the user quits or skips (the demo has nothing after its last set to skip to).
        if (!isLast && next === 'next') return next;
        const say = options.hooks.say;
        say("\nPrintBalance (each replica of the account's cluster):");
        const balances: DemoReport['balances'] = [];
        for (const account of shownAccounts) {
          const { replicas, line } = await printBalance(session.client, account);
          balances.push({ account, replicas });
          say(`  ${account}: ${line}`);
        }
        say('\nPrintView:');
        const view = await printView(session.client, allNodes(session.topology));
        for (const line of view.lines) say(`  ${line}`);
        say('\nPerformance (2000 intra-shard transfers, 32 at a time):');
        const performance = await intraShardLoad(session.client, session.topology, {
          transfers: 2000,
          concurrency: 32,
          seed: 1,
        });
        const l = performance.latencyMs;
        say(
          `  ${performance.throughputPerSecond.toFixed(0)} transfers/s; latency p50 ${l.p50.toFixed(1)} ms, p90 ${l.p90.toFixed(1)} ms, p99 ${l.p99.toFixed(1)} ms, max ${l.max.toFixed(1)} ms`,
        );
        say(
          `  outcomes: ${Object.entries(performance.outcomes)
            .map(([k, v]) => `${k} ${v}`)
            .join(', ')}\n`,
        );
        tail = { balances, views: view.views.length, performance };
        return 'quit';
      },
    },
  );
  const run = await runner.run('demo-tests.csv', file.dialect, plans);
  if (options.keep)
    options.hooks.say(
      `the cluster keeps running in ${clusterDir}: look with \`ledger db --data-dir ${clusterDir}\`, stop with \`ledger cluster stop --data-dir ${clusterDir}\``,
    );
  else options.hooks.say('cluster stopped (run `ledger demo --keep` to leave it running)');
  if (tail === undefined)
    throw new LedgerError('unavailable', 'the demo stopped before its closing section', {
      hint: 'run `ledger demo` again',
    });
  return { run, ...tail };
}
