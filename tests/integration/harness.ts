import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { isAlive, natsServerBinary, portAccepts } from '../../src/cluster/processes.js';
import { readConfig, type LedgerConfig } from '../../src/node/config.js';
import { connectAs } from '../../src/node/nats-access.js';
import type { NatsRole } from '../../src/node/nats-permissions.js';
import type { Transport } from '../../src/transport/transport.js';

/** The real `ledger` launcher of this checkout. */
export const ledgerBin = fileURLToPath(new URL('../../../bin/run.js', import.meta.url));

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
  /** stdout parsed as JSON when it is JSON. */
  json: any;
}

/** Runs `ledger ARGS` as a real process and collects its output. */
export function cli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [ledgerBin, ...args],
      { env: { ...process.env, ...env }, timeout: 120_000, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : 1;
        let json: unknown;
        try {
          json = JSON.parse(stdout);
        } catch {
          json = undefined;
        }
        resolve({ code, stdout, stderr, json });
      },
    );
  });
}

interface ClusterFile {
  natsPid: number;
  natsUrl: string;
  nodes: Array<{ node: number; pid: number }>;
}

/**
 * A real cluster for one test file: nats-server on a random port and one process per node,
 * in a temp data dir. `close()` ends every process it started by PID and removes the dir.
 */
export class TestCluster {
  /** Every PID this cluster ever started, so none outlives the test. */
  private readonly pids = new Set<number>();

  private constructor(readonly dataDir: string) {}

  static async start(extraArgs: string[] = []): Promise<TestCluster> {
    const cluster = new TestCluster(mkdtempSync(join(tmpdir(), 'ledger-it-')));
    await cluster.startProcesses(extraArgs);
    return cluster;
  }

  /** A cluster started in a data dir the test prepared (say, restored from a backup); close()
   *  removes that dir too. */
  static async startIn(dataDir: string, extraArgs: string[] = []): Promise<TestCluster> {
    const cluster = new TestCluster(dataDir);
    await cluster.startProcesses(extraArgs);
    return cluster;
  }

  async startProcesses(extraArgs: string[] = []): Promise<void> {
    const r = await this.cli(['cluster', 'start', '--detach', '--json', ...extraArgs]);
    this.rememberPids();
    if (r.code !== 0) throw new Error(`cluster start failed (${r.code}): ${r.stderr} ${r.stdout}`);
  }

  cli(args: string[]): Promise<CliResult> {
    return cli([...args, '--data-dir', this.dataDir]);
  }

  /** Runs a command with --json and fails loudly when it does not produce JSON. */
  async json(args: string[], okCodes = [0]): Promise<any> {
    const r = await this.cli([...args, '--json']);
    if (!okCodes.includes(r.code) || r.json === undefined)
      throw new Error(`ledger ${args.join(' ')} exited ${r.code}: ${r.stderr} ${r.stdout}`);
    return r.json;
  }

  get state(): ClusterFile {
    return JSON.parse(readFileSync(join(this.dataDir, 'cluster.json'), 'utf8')) as ClusterFile;
  }

  /** The configuration `cluster start` wrote into the data dir. */
  get config(): LedgerConfig {
    return readConfig(join(this.dataDir, 'config.json'));
  }

  /** A connection to this cluster's broker as `role`, with the credentials in its data dir. */
  connect(role: NatsRole, name: string, longRunning = false): Promise<Transport> {
    return connectAs(this.config, role, { name, longRunning });
  }

  /** A process the test started for this cluster (say, a restarted broker): ended at close. */
  adopt(pid: number): void {
    this.pids.add(pid);
  }

  private rememberPids(): void {
    if (!existsSync(join(this.dataDir, 'cluster.json'))) return;
    const s = this.state;
    this.pids.add(s.natsPid);
    for (const n of s.nodes) this.pids.add(n.pid);
  }

  /** SIGKILL every process of the cluster (nodes and broker): a crash of the whole system. */
  async killAll(): Promise<void> {
    this.rememberPids();
    for (const pid of this.pids) killQuietly(pid, 'SIGKILL');
    await waitUntil('every process gone', 10_000, async () => [...this.pids].every((pid) => !alive(pid)));
  }

  async close(): Promise<void> {
    this.rememberPids();
    await this.cli(['cluster', 'stop']).catch(() => undefined);
    for (const pid of this.pids) killQuietly(pid, 'SIGKILL');
    rmSync(this.dataDir, { recursive: true, force: true });
  }
}

export const alive = isAlive;

function killQuietly(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // already gone
  }
}

/** Polls `condition` until it holds, failing after `timeoutMs` (never a fixed sleep). */
export async function waitUntil(what: string, timeoutMs: number, condition: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Reports how long each step of a test took (this machine is slow and shared: where the time goes). */
export function stopwatch(t: { diagnostic: (message: string) => void }): (step: string) => void {
  let last = performance.now();
  return (step) => {
    const now = performance.now();
    t.diagnostic(`${step}: ${Math.round(now - last)} ms`);
    last = now;
  };
}

/** SIGKILL the nats-server of the cluster in `dataDir` (as cluster.json names it); resolves
 *  once it is gone. */
export async function killBroker(dataDir: string): Promise<void> {
  const { natsPid } = JSON.parse(readFileSync(join(dataDir, 'cluster.json'), 'utf8')) as ClusterFile;
  killQuietly(natsPid, 'SIGKILL');
  await waitUntil('nats-server gone', 10_000, async () => !alive(natsPid));
}

/**
 * Starts nats-server again for the cluster in `dataDir`, with the same configuration and so the
 * same port; resolves with its PID once it accepts connections. The caller ends it (by PID):
 * cluster.json still names the old one.
 */
export async function restartBroker(dataDir: string): Promise<number> {
  const { natsUrl } = JSON.parse(readFileSync(join(dataDir, 'cluster.json'), 'utf8')) as ClusterFile;
  const child = spawn(natsServerBinary(), ['-c', join(dataDir, 'nats', 'nats-server.conf')], {
    stdio: 'ignore',
    detached: true,
  });
  const pid = child.pid as number;
  child.unref();
  await waitUntil('nats-server back', 10_000, () => portAccepts(Number(new URL(natsUrl).port)));
  return pid;
}

/** Ends a process by PID if it still runs. */
export function endProcess(pid: number): void {
  killQuietly(pid, 'SIGKILL');
}

/** Can we listen on this port on 127.0.0.1 right now? */
function bindable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

/** A base P with P+1..P+9 free, so each node gets its own metrics port. */
export async function freePortBase(nodes: number): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 20_000 + Math.floor(Math.random() * 40_000);
    const ports = Array.from({ length: nodes }, (_, i) => base + i + 1);
    if ((await Promise.all(ports.map(bindable))).every(Boolean)) return base;
  }
  throw new Error('no free range of metrics ports');
}
