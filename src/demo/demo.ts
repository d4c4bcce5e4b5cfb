import { rmSync } from 'node:fs';
import type { LedgerClient, TransferResult } from '../client/ledger-client.js';
import { startLocalCluster, stopLocalCluster } from '../cluster/local-cluster.js';
import { defaultTopology } from '../ledger/topology.js';
import { withClient } from '../cli/connect.js';
import { intraShardLoad, type LoadReport } from './performance.js';

/** The scripted transfers of the demo: what each shows is in the comment beside it. */
const script: Array<[number, number, number, string]> = [
  [1001, 1002, 3, 'intra-shard in cluster 1'],
  [3001, 3002, 5, 'intra-shard in cluster 2'],
  [6001, 6002, 10, "cluster 3: empties account 6001"],
  [6001, 6003, 1, 'insufficient funds: 6001 is empty now'],
  [1002, 1001, 2, 'back the other way'],
  [1001, 4001, 1, 'cross-shard: Two-Phase Commit between clusters 1 and 2'],
  [6002, 1002, 15, 'cross-shard from cluster 3 to cluster 1'],
];

export interface DemoReport {
  dataDir: string;
  transfers: Array<TransferResult & { note: string }>;
  balances: Array<{ account: number; balance: number | null; replicas: Array<{ node: number; balance: number | null }> }>;
  leaders: Array<{ cluster: number; node: number }>;
  performance: LoadReport;
}

/**
 * What `npm start` runs: a fresh local 3x3 cluster in `dataDir` (wiped first: it belongs to the
 * demo), a scripted set of transfers, PrintBalance of the accounts involved, the leaders, and a
 * short burst of load for the Performance figures. Stops the cluster unless `keep` is set.
 */
export async function runDemo(dataDir: string, options: { keep: boolean; say: (line: string) => void }): Promise<DemoReport> {
  const say = options.say;
  rmSync(dataDir, { recursive: true, force: true });
  say(`starting a local cluster of 3 clusters x 3 nodes in ${dataDir}`);
  await startLocalCluster({ dataDir, port: undefined, topology: defaultTopology, detached: true, readyTimeoutMs: 30_000 }, (line) => say(`  ${line}`));
  try {
    return await withClient(dataDir, (client) => scenario(client, dataDir, say));
  } finally {
    if (!options.keep) {
      await stopLocalCluster(dataDir);
      say('cluster stopped (run `ledger demo --keep` to leave it running)');
    }
  }
}

async function scenario(client: LedgerClient, dataDir: string, say: (line: string) => void): Promise<DemoReport> {
  say('\ntransfers:');
  const transfers: DemoReport['transfers'] = [];
  for (const [from, to, amount, note] of script) {
    const r = await client.transfer(from, to, amount);
    transfers.push({ ...r, note });
    say(`  (${from}, ${to}, ${amount})  ${r.status.padEnd(18)} ${r.latencyMs.toFixed(1).padStart(6)} ms  ${note}`);
  }
  say('\nPrintBalance (each replica of the account\'s cluster):');
  const balances: DemoReport['balances'] = [];
  for (const account of [1001, 1002, 3001, 3002, 4001, 6001, 6002]) {
    const read = await client.balance(account);
    const replicas = (await client.replicaBalances(account)).map((r) => ({ node: r.node, balance: r.balance }));
    balances.push({ account, balance: read.balance, replicas });
    say(`  ${account}: ${replicas.map((r) => `n${r.node} : ${r.balance ?? 'down'}`).join(', ')}`);
  }
  const status = await client.status();
  const leaders = status.filter((s) => s.role === 'leader').map((s) => ({ cluster: s.cluster, node: s.node }));
  say(`\nleaders: ${leaders.map((l) => `cluster ${l.cluster} -> n${l.node}`).join(', ')}`);
  say('\nPerformance (2000 intra-shard transfers, 32 at a time):');
  const performance = await intraShardLoad(client, defaultTopology, { transfers: 2000, concurrency: 32, seed: 1 });
  const l = performance.latencyMs;
  say(`  ${performance.throughputPerSecond.toFixed(0)} transfers/s; latency p50 ${l.p50.toFixed(1)} ms, p90 ${l.p90.toFixed(1)} ms, p99 ${l.p99.toFixed(1)} ms, max ${l.max.toFixed(1)} ms`);
  say(`  outcomes: ${Object.entries(performance.outcomes).map(([k, v]) => `${k} ${v}`).join(', ')}\n`);
  return { dataDir, transfers, balances, leaders, performance };
}
