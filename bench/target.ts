import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LedgerClient } from '../src/client/ledger-client.js';
import {
  paths,
  requireRunningConfig,
  startLocalCluster,
  stopLocalCluster,
  waitForLeaders,
} from '../src/cluster/local-cluster.js';
import { LedgerError } from '../src/core/errors.js';
import { defaultTopology, type Topology } from '../src/ledger/topology.js';
import { connectNats } from '../src/transport/nats.js';
import type { Transport } from '../src/transport/transport.js';

/** auto: the cluster of --data-dir if one answers there, else a cluster of our own. */
export type ClusterMode = 'auto' | 'existing' | 'own';
export const clusterModes: readonly ClusterMode[] = ['auto', 'existing', 'own'];

/** The cluster a benchmark runs against, and how to let go of it. */
export interface Target {
  client: LedgerClient;
  topology: Topology;
  dataDir: string;
  startedByBench: boolean;
  close(): Promise<void>;
}

/** How long a cluster gets to have a leader in every shard before the run. */
const readyTimeoutMs = 30_000;

export async function openTarget(
  dataDir: string,
  mode: ClusterMode,
  say: (line: string) => void,
  options: { cpuProfileDir?: string | undefined } = {},
): Promise<Target> {
  if (mode === 'existing' || (mode === 'auto' && (await answersAt(dataDir)))) return useExisting(dataDir);
  if (mode === 'auto') say(`no running cluster in ${dataDir}: starting a local one for this run`);
  return startOwn(say, options.cpuProfileDir);
}

/** Is a cluster answering at this data dir? Cheap when there is none: no config, no broker. */
async function answersAt(dataDir: string): Promise<boolean> {
  if (!existsSync(paths(dataDir).config)) return false;
  const config = requireRunningConfig(dataDir);
  // With no broker there, the connection is refused at once: no wait.
  let transport: Transport;
  try {
    transport = await connectNats({ url: config.natsUrl, name: 'ledger-bench-probe', longRunning: false });
  } catch {
    return false;
  }
  try {
    const status = await new LedgerClient(transport, config.topology, config.prefix, config.client).status(1_000);
    return status.some((s) => s.role !== 'down');
  } finally {
    await transport.close();
  }
}

async function useExisting(dataDir: string): Promise<Target> {
  const config = requireRunningConfig(dataDir);
  await waitForLeaders(config, readyTimeoutMs);
  const transport = await connectNats({ url: config.natsUrl, name: 'ledger-bench', longRunning: true });
  return {
    client: new LedgerClient(transport, config.topology, config.prefix, config.client),
    topology: config.topology,
    dataDir,
    startedByBench: false,
    close: () => transport.close(),
  };
}

/** A default-topology cluster in a temp dir, stopped (every process, by PID) and removed at close. */
async function startOwn(say: (line: string) => void, cpuProfileDir: string | undefined): Promise<Target> {
  const dataDir = mkdtempSync(join(tmpdir(), 'ledger-bench-'));
  let transport: Transport | undefined;
  try {
    const state = await startLocalCluster(
      {
        dataDir,
        port: undefined,
        topology: defaultTopology,
        detached: true,
        readyTimeoutMs,
        ...(cpuProfileDir === undefined ? {} : { cpuProfileDir }),
      },
      (line) => say(`  ${line}`),
    );
    transport = await connectNats({ url: state.natsUrl, name: 'ledger-bench', longRunning: true });
  } catch (error) {
    await stopLocalCluster(dataDir).catch(() => undefined);
    rmSync(dataDir, { recursive: true, force: true });
    if (error instanceof LedgerError) throw error;
    throw new LedgerError(
      'unavailable',
      `could not start a local cluster for the benchmark: ${(error as Error).message}`,
      { cause: error },
    );
  }
  const config = requireRunningConfig(dataDir);
  const opened = transport;
  return {
    client: new LedgerClient(opened, config.topology, config.prefix, config.client),
    topology: config.topology,
    dataDir,
    startedByBench: true,
    close: async () => {
      await opened.close().catch(() => undefined);
      await stopLocalCluster(dataDir);
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
