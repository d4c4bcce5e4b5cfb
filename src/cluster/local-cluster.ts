import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LedgerClient } from '../client/ledger-client.js';
import { LedgerError } from '../core/errors.js';
import type { NodeId } from '../protocol/ids.js';
import { allNodes, type Topology } from '../ledger/topology.js';
import { makeConfig, readConfig, type LedgerConfig, type NatsSecurity } from '../node/config.js';
import { asAdmin, connectAs } from '../node/nats-access.js';
import {
  authorizationBlock,
  tlsBlock,
  writeNatsCredentials,
  writeSecret,
  writeTlsFiles,
  type TlsSet,
} from './nats-security-files.js';
import {
  commandLineOf,
  freePort,
  isAlive,
  natsServerBinary,
  portAccepts,
  portFree,
  startProcess,
  stopProcess,
  waitFor,
} from './processes.js';

/** What `ledger cluster start` leaves in the data dir so that later commands find the cluster. */
export interface ClusterState {
  natsPid: number;
  natsPort: number;
  natsUrl: string;
  nodes: Array<{ node: NodeId; pid: number }>;
  /** The foreground `ledger cluster start`, when not detached. */
  supervisorPid: number | undefined;
  startedAtMs: number;
}

export interface StartOptions {
  dataDir: string;
  port: number | undefined;
  topology: Topology;
  /** Settings that override the data dir's config (or the defaults) for this start. */
  overrides?: Partial<
    Pick<
      LedgerConfig,
      'checkpoint' | 'durability' | 'timing' | 'client' | 'twoPc' | 'metricsPortBase' | 'historyCapacity'
    >
  >;
  detached: boolean;
  /** How long to wait for every cluster to elect a leader. */
  readyTimeoutMs: number;
  /** Logins and per-user permissions at the broker (docs/security.md); default on. */
  auth?: boolean;
  /** Named client users besides the shared `client` (NatsRole); a restart keeps the config's. */
  clientUsers?: string[];
  /** TLS between every process and the broker, with a local CA made for this data dir. */
  tls?: boolean;
  /** Run each node under V8's CPU profiler (`ledger bench --profile`): it writes
   *  nN.cpuprofile into this directory when it stops. */
  cpuProfileDir?: string;
}

const nodeMain = fileURLToPath(new URL('../node/main.js', import.meta.url));
const natsTemplate = fileURLToPath(new URL('../../../infra/nats-server.conf.template', import.meta.url));

export function resolveDataDir(flag: string | undefined): string {
  return resolve(flag ?? process.env.LEDGER_DATA_DIR ?? '.ledger');
}

export function paths(dataDir: string) {
  return {
    config: join(dataDir, 'config.json'),
    state: join(dataDir, 'cluster.json'),
    natsConfig: join(dataDir, 'nats', 'nats-server.conf'),
    natsLog: join(dataDir, 'nats', 'nats-server.log'),
    natsCredentials: join(dataDir, 'nats', 'credentials'),
    natsTls: join(dataDir, 'nats', 'tls'),
    logs: join(dataDir, 'logs'),
    nodes: join(dataDir, 'nodes'),
  };
}

/** Node N's SQLite file (the node opens it at this path: src/node/ledger-node.ts). */
export function nodeFile(dataDir: string, node: NodeId): string {
  return join(paths(dataDir).nodes, `n${node}.sqlite`);
}

function readClusterState(dataDir: string): ClusterState | undefined {
  const file = paths(dataDir).state;
  if (!existsSync(file)) return undefined;
  return JSON.parse(readFileSync(file, 'utf8')) as ClusterState;
}

/** The config of the cluster in `dataDir`, or a clear error saying how to start one. */
export function requireRunningConfig(dataDir: string): LedgerConfig {
  if (!existsSync(paths(dataDir).config)) {
    throw new LedgerError('unavailable', `no cluster in ${dataDir}`, {
      hint: 'start one with `ledger cluster start --detach`, or pass --data-dir',
    });
  }
  return readConfig(paths(dataDir).config);
}

/** Is this PID still the process we started (and not a reused PID)? */
function isOurs(pid: number, marker: string): boolean {
  return isAlive(pid) && (commandLineOf(pid)?.includes(marker) ?? false);
}

function spawnNode(config: LedgerConfig, node: NodeId, detached: boolean, cpuProfileDir?: string): number {
  const p = paths(config.dataDir);
  mkdirSync(p.logs, { recursive: true });
  // The profile is written when the node exits, which it does on SIGTERM (cluster stop).
  const profiling =
    cpuProfileDir === undefined
      ? []
      : ['--cpu-prof', '--cpu-prof-dir', cpuProfileDir, '--cpu-prof-name', `n${node}.cpuprofile`];
  const child = startProcess(
    process.execPath,
    [...profiling, nodeMain, '--id', String(node), '--config', p.config],
    join(p.logs, `n${node}.out`),
    detached,
  );
  if (child.pid === undefined) throw new LedgerError('unavailable', `could not start node ${node}`);
  return child.pid;
}

/**
 * Starts nats-server and every node of the topology, each in its own process, and waits until
 * every cluster has a leader. Data, logs and the broker's config live under the data dir.
 */
export async function startLocalCluster(
  options: StartOptions,
  onProgress: (line: string) => void = () => undefined,
): Promise<ClusterState> {
  const dataDir = resolve(options.dataDir);
  const p = paths(dataDir);
  const running = readClusterState(dataDir);
  if (running !== undefined && isOurs(running.natsPid, p.natsConfig)) {
    throw new LedgerError(
      'unavailable',
      `a cluster is already running in ${dataDir} (nats-server pid ${running.natsPid})`,
      {
        hint: 'stop it with `ledger cluster stop`, or use another --data-dir',
      },
    );
  }
  // Another process on the port would answer our connection probes while nats-server exits.
  if (options.port !== undefined && !(await portFree(options.port)))
    throw portTaken(options.port, 'another process listens on it');
  mkdirSync(join(dataDir, 'nats'), { recursive: true });
  mkdirSync(p.nodes, { recursive: true });
  const natsPort = options.port ?? (await freePort());
  const natsUrl = `nats://127.0.0.1:${natsPort}`;
  const previous = existsSync(p.config) ? readConfig(p.config) : undefined;
  if (previous !== undefined && JSON.stringify(previous.topology) !== JSON.stringify(options.topology)) {
    throw new LedgerError(
      'config',
      `${dataDir} holds a cluster with another topology (${JSON.stringify(previous.topology)})`,
      {
        hint: 'use a new --data-dir, or delete this one to start over',
      },
    );
  }
  const tlsSet = options.tls === true ? writeTlsFiles(p.natsTls) : undefined;
  const config = makeConfig({
    ...(previous ?? {}),
    ...(options.overrides ?? {}),
    natsUrl,
    dataDir,
    topology: options.topology,
    natsSecurity: natsSecurityOf(
      p,
      options.auth ?? true,
      tlsSet,
      options.clientUsers ?? previous?.natsSecurity?.clientUsers ?? [],
    ),
  });
  // What a failed start must put back, so that it blocks no later start (say with other flags).
  const previousConfigText = previous === undefined ? undefined : readFileSync(p.config, 'utf8');
  const nodeFilesBefore = new Set(readdirSync(p.nodes));
  writeFileSync(p.config, `${JSON.stringify(config, null, 2)}\n`);
  const template = readFileSync(natsTemplate, 'utf8');
  const credentials =
    config.natsSecurity?.credentialsDir === undefined
      ? undefined
      : writeNatsCredentials(p.natsCredentials, config.topology, config.natsSecurity.clientUsers);
  writeSecret(
    p.natsConfig,
    template.replaceAll('{{port}}', String(natsPort)).replaceAll('{{dataDir}}', dataDir) +
      (credentials === undefined
        ? ''
        : authorizationBlock(config.prefix, config.topology, credentials, config.natsSecurity?.clientUsers)) +
      (tlsSet === undefined ? '' : tlsBlock(tlsSet.server)),
  );

  onProgress(`starting nats-server on 127.0.0.1:${natsPort}`);
  const nats = startProcess(natsServerBinary(), ['-c', p.natsConfig], p.natsLog, options.detached);
  const natsPid = nats.pid as number;
  const state: ClusterState = {
    natsPid,
    natsPort,
    natsUrl,
    nodes: [],
    supervisorPid: options.detached ? undefined : process.pid,
    startedAtMs: Date.now(),
  };
  try {
    await waitFor('nats-server accepting connections', 10_000, async () =>
      !isAlive(natsPid) ? failNats(p.natsLog, natsPort) : (await portAccepts(natsPort)) ? true : undefined,
    );
    onProgress(`starting ${allNodes(options.topology).length} nodes`);
    for (const node of allNodes(options.topology))
      state.nodes.push({ node, pid: spawnNode(config, node, options.detached, options.cpuProfileDir) });
    writeClusterState(dataDir, state);
    await waitForLeaders(config, options.readyTimeoutMs);
  } catch (error) {
    await stopLocalCluster(dataDir).catch(() => undefined);
    if (previousConfigText === undefined) rmSync(p.config, { force: true });
    else writeFileSync(p.config, previousConfigText);
    // Only a first start creates node files; a restart of an existing cluster keeps its data.
    if (previous === undefined)
      for (const file of readdirSync(p.nodes))
        if (!nodeFilesBefore.has(file)) rmSync(join(p.nodes, file), { force: true });
    throw error;
  }
  onProgress('every cluster has a leader');
  return state;
}

/** Where the processes find their logins and TLS files; undefined: neither (`--no-auth`). */
function natsSecurityOf(
  p: ReturnType<typeof paths>,
  auth: boolean,
  tls: TlsSet | undefined,
  clientUsers: string[],
): NatsSecurity | undefined {
  if (!auth && tls === undefined) return undefined;
  return {
    ...(auth ? { credentialsDir: p.natsCredentials } : {}),
    ...(tls === undefined ? {} : { tls: tls.client }),
    ...(auth && clientUsers.length > 0 ? { clientUsers } : {}),
  };
}

function failNats(logFile: string, port: number): never {
  const log = existsSync(logFile) ? readFileSync(logFile, 'utf8').trim().split('\n').slice(-3).join(' | ') : '';
  if (/address already in use/i.test(log)) throw portTaken(port, 'nats-server: bind: address already in use');
  throw new LedgerError('unavailable', `nats-server exited at start: ${log}`, { hint: `see ${logFile}` });
}

function portTaken(port: number, why: string): LedgerError {
  return new LedgerError('unavailable', `port ${port} is already in use on 127.0.0.1 (${why})`, {
    hint: 'pass another --port, or leave it out to use a free one',
  });
}

/** Waits until each cluster has exactly one node that says it leads. */
export async function waitForLeaders(config: LedgerConfig, timeoutMs: number): Promise<void> {
  const transport = await connectAs(config, asAdmin, { name: 'ledger-cli-wait', longRunning: false });
  try {
    const client = new LedgerClient(transport, config.topology, config.prefix);
    await waitFor(
      'a leader in every cluster',
      timeoutMs,
      async () => {
        const status = await client.status(500);
        const leading = new Set(status.filter((s) => s.role === 'leader').map((s) => s.cluster));
        return leading.size === config.topology.clusters ? true : undefined;
      },
      100,
    );
  } finally {
    await transport.close();
  }
}

/** Stops exactly the processes this data dir's cluster started (checked by command line). */
export async function stopLocalCluster(dataDir: string): Promise<{ stopped: number[] }> {
  const p = paths(resolve(dataDir));
  const state = readClusterState(resolve(dataDir));
  if (state === undefined) return { stopped: [] };
  const stopped: number[] = [];
  await Promise.all(
    state.nodes.map(async ({ pid }) => {
      if (!isOurs(pid, p.config)) return;
      await stopProcess(pid);
      stopped.push(pid);
    }),
  );
  if (isOurs(state.natsPid, p.natsConfig)) {
    await stopProcess(state.natsPid);
    stopped.push(state.natsPid);
  }
  rmSync(p.state, { force: true });
  return { stopped };
}

/** The processes of the cluster running in `dataDir` (those still ours), e.g. to count their CPU. */
export function clusterProcesses(dataDir: string): {
  natsPid: number | null;
  nodes: Array<{ node: NodeId; pid: number }>;
} {
  const p = paths(resolve(dataDir));
  const state = readClusterState(resolve(dataDir));
  if (state === undefined) return { natsPid: null, nodes: [] };
  return {
    natsPid: isOurs(state.natsPid, p.natsConfig) ? state.natsPid : null,
    nodes: state.nodes.filter(({ pid }) => isOurs(pid, p.config)),
  };
}

function writeClusterState(dataDir: string, state: ClusterState): void {
  writeFileSync(paths(dataDir).state, `${JSON.stringify(state, null, 2)}\n`);
}

function requireClusterState(dataDir: string): ClusterState {
  const state = readClusterState(dataDir);
  if (state === undefined) {
    throw new LedgerError('unavailable', `no running cluster in ${dataDir}`, {
      hint: 'start one with `ledger cluster start --detach`',
    });
  }
  return state;
}

/** `ledger node kill N`: a real SIGKILL of the node's process (only if it is still ours). */
export async function killNode(dataDir: string, node: NodeId): Promise<{ node: NodeId; pid: number | null }> {
  const state = requireClusterState(dataDir);
  const entry = state.nodes.find((n) => n.node === node);
  if (entry === undefined)
    throw new LedgerError('bad-input', `node ${node} does not exist`, { hint: `nodes are 1..${state.nodes.length}` });
  if (!isOurs(entry.pid, paths(dataDir).config)) return { node, pid: null };
  process.kill(entry.pid, 'SIGKILL');
  await waitFor(`node ${node} to die`, 10_000, async () => (isAlive(entry.pid) ? undefined : true), 10);
  return { node, pid: entry.pid };
}

/** Is the cluster of this data dir running (its nats-server still ours)? */
export function clusterRunning(dataDir: string): boolean {
  const state = readClusterState(dataDir);
  return state !== undefined && isOurs(state.natsPid, paths(dataDir).natsConfig);
}

/** `ledger node restart N`: SIGKILL if it still runs, then start it again from its SQLite file. */
export async function restartNode(
  dataDir: string,
  node: NodeId,
): Promise<{ node: NodeId; pid: number; killed: number | null }> {
  const { pid: killed } = await killNode(dataDir, node);
  const config = requireRunningConfig(dataDir);
  const state = requireClusterState(dataDir);
  const pid = spawnNode(config, node, true);
  state.nodes = state.nodes.map((n) => (n.node === node ? { node, pid } : n));
  writeClusterState(dataDir, state);
  return { node, pid, killed };
}

/** A clean stop of one node (`ledger cluster restart --rolling`, `ledger node restore`): SIGTERM
 *  (it closes its NATS connection and its SQLite file), SIGKILL after `graceMs`; the cluster's
 *  other processes go on. The PID it stopped, or null when it did not run or is not ours.
 *  Start it again with restartNode. */
export async function stopNode(dataDir: string, node: NodeId, graceMs?: number): Promise<number | null> {
  const entry = readClusterState(dataDir)?.nodes.find((n) => n.node === node);
  if (entry === undefined || !isOurs(entry.pid, paths(dataDir).config)) return null;
  await stopProcess(entry.pid, graceMs);
  return entry.pid;
}
