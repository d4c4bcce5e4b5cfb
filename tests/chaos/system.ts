import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LedgerClient } from '../../src/client/ledger-client.js';
import {
  paths,
  requireRunningConfig,
  restartNode,
  startLocalCluster,
  stopLocalCluster,
  type ClusterState,
} from '../../src/cluster/local-cluster.js';
import { isAlive, natsServerBinary, portAccepts, startProcess, waitFor } from '../../src/cluster/processes.js';
import type { Topology } from '../../src/ledger/topology.js';
import type { LedgerConfig } from '../../src/node/config.js';
import type { NodeStatus } from '../../src/protocol/admin.js';
import { asAdmin, asClient, connectAs } from '../../src/node/nats-access.js';
import type { NatsRole } from '../../src/node/nats-permissions.js';
import type { Transport } from '../../src/transport/transport.js';

/**
 * The system under test, from the outside: a real nats-server and one real process per node in a
 * temp data dir, started the way `ledger cluster start --detach` starts them. The nemesis acts on
 * it through signals to PIDs, the broker's own restart and the nodes' admin subject. `close()`
 * ends every process it ever started, by PID.
 */
export class ChaosSystem {
  /** Every PID started for this system, so none outlives the run. */
  private readonly pids = new Set<number>();
  /** Nodes stopped with SIGSTOP (continued before anything else touches them). */
  private readonly stopped = new Set<number>();
  /** Nodes the nemesis killed and has not restarted yet. */
  private readonly killed = new Set<number>();

  private constructor(
    readonly dataDir: string,
    readonly config: LedgerConfig,
    /** The harness's own connection, for admin requests (status, faults, hashes). */
    readonly admin: LedgerClient,
    private readonly adminTransport: Transport,
  ) {}

  static async start(topology: Topology): Promise<ChaosSystem> {
    const dataDir = mkdtempSync(join(tmpdir(), 'ledger-chaos-'));
    try {
      await startLocalCluster({ dataDir, port: undefined, topology, detached: true, readyTimeoutMs: 30_000 });
    } catch (error) {
      await stopLocalCluster(dataDir).catch(() => undefined);
      rmSync(dataDir, { recursive: true, force: true });
      throw error;
    }
    const config = requireRunningConfig(dataDir);
    const transport = await connectAs(config, asAdmin, { name: 'ledger-chaos-admin', longRunning: true });
    const system = new ChaosSystem(dataDir, config, new LedgerClient(transport, topology, config.prefix), transport);
    system.rememberPids();
    return system;
  }

  /** A long-lived connection to the broker (for a recording client, say), as `role`. */
  connect(name: string, role: NatsRole = asClient): Promise<Transport> {
    return connectAs(this.config, role, { name, longRunning: true });
  }

  get state(): ClusterState {
    return JSON.parse(readFileSync(paths(this.dataDir).state, 'utf8')) as ClusterState;
  }

  pidOf(node: number): number {
    const entry = this.state.nodes.find((n) => n.node === node);
    if (entry === undefined) throw new Error(`node ${node} is not in cluster.json`);
    return entry.pid;
  }

  nodes(): number[] {
    return this.state.nodes.map((n) => n.node);
  }

  /** The nodes that say they lead, by cluster (a cluster in an election has none). */
  async leaders(): Promise<Map<number, number>> {
    const leaders = new Map<number, number>();
    for (const s of await this.admin.status(500))
      if (s.role === 'leader' && !(s as NodeStatus).failed && !(s as NodeStatus).isolated)
        leaders.set(s.cluster, s.node);
    return leaders;
  }

  /** kill -9 of one node; resolves once it is gone. */
  async kill(node: number): Promise<void> {
    await this.signal(node, 'SIGKILL');
    const pid = this.pidOf(node);
    await waitFor(`node ${node} gone`, 10_000, async () => (isAlive(pid) ? undefined : true), 10);
    this.stopped.delete(node);
    this.killed.add(node);
  }

  /** Nodes whose process is gone although the nemesis did not kill them: a crash to report. */
  crashedNodes(): number[] {
    return this.nodes().filter((node) => !this.killed.has(node) && !isAlive(this.pidOf(node)));
  }

  /** Starts a node again from its SQLite file (as `ledger node restart`). */
  async restart(node: number): Promise<void> {
    this.stopped.delete(node);
    this.killed.delete(node);
    const { pid } = await restartNode(this.dataDir, node);
    this.pids.add(pid);
  }

  async pause(node: number): Promise<void> {
    await this.signal(node, 'SIGSTOP');
    this.stopped.add(node);
  }

  async resume(node: number): Promise<void> {
    await this.signal(node, 'SIGCONT');
    this.stopped.delete(node);
  }

  /** kill -9 of the broker, then a new one with the same configuration (and so the same port). */
  async restartBroker(): Promise<void> {
    const state = this.state;
    process.kill(state.natsPid, 'SIGKILL');
    await waitFor('nats-server gone', 10_000, async () => (isAlive(state.natsPid) ? undefined : true), 10);
    const p = paths(this.dataDir);
    const child = startProcess(natsServerBinary(), ['-c', p.natsConfig], p.natsLog, true);
    const pid = child.pid as number;
    this.pids.add(pid);
    // cluster.json names the broker `ledger cluster stop` ends.
    writeFileSync(p.state, `${JSON.stringify({ ...state, natsPid: pid }, null, 2)}\n`);
    await waitFor('nats-server back', 10_000, async () => ((await portAccepts(state.natsPort)) ? true : undefined), 20);
  }

  /** Every node runs, none is stopped: continues the stopped ones and restarts the dead ones
   *  (ask crashedNodes() first: a crash is a finding). */
  async everyNodeRunning(): Promise<void> {
    for (const node of [...this.stopped]) await this.resume(node);
    for (const node of this.nodes()) if (!isAlive(this.pidOf(node))) await this.restart(node);
  }

  async close(keepDataDir = false): Promise<void> {
    this.rememberPids();
    for (const node of [...this.stopped]) await this.resume(node).catch(() => undefined);
    await this.adminTransport.close().catch(() => undefined);
    await stopLocalCluster(this.dataDir).catch(() => undefined);
    for (const pid of this.pids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    if (!keepDataDir) rmSync(this.dataDir, { recursive: true, force: true });
  }

  private async signal(node: number, signal: NodeJS.Signals): Promise<void> {
    try {
      process.kill(this.pidOf(node), signal);
    } catch {
      // already gone: the nemesis treats it as done
    }
  }

  private rememberPids(): void {
    const state = this.state;
    this.pids.add(state.natsPid);
    for (const n of state.nodes) this.pids.add(n.pid);
  }
}
