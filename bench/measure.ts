import type { LedgerClient } from '../src/client/ledger-client.js';
import { clusterProcesses } from '../src/cluster/local-cluster.js';
import { cpuSnapshot, cpuUse, type CountedProcess, type CpuSnapshot, type CpuUse } from './cpu-usage.js';
import { collectProfiles, profileClockUs, type ProcessRole, type ProfileReport } from './profiling.js';

/** The CPU of the measured phase, per process and per role (nats-server, a leader, a follower,
 *  the client side), with each node's role when the phase began. */
export interface CpuReport extends CpuUse {
  /** n1 -> leader, ... (taken from `status` as the phase began). */
  roles: Record<string, ProcessRole>;
  /** CPU µs per committed transfer: nats-server; the mean of one leader and of one follower;
   *  all client processes together. Null where unknown. */
  byRole: { nats: number | null; leader: number | null; follower: number | null; client: number | null };
}

/**
 * What `ledger bench` measures around its measured phase besides latency: each process's CPU
 * (always; Linux /proc for the cluster's processes) and, with --profile, CPU profiles.
 * `clients` are the processes that send the load: this one (pid null) or the child clients.
 */
export class PhaseProbe {
  private counted: CountedProcess[] = [];
  private before: CpuSnapshot = new Map();
  private after: CpuSnapshot = new Map();
  private roles = new Map<string, ProcessRole>();
  private reportedClients: string[] = [];
  private fromUs = 0;
  private toUs = 0;

  constructor(
    private readonly o: {
      client: LedgerClient;
      dataDir: string;
      /** --profile DIR, when given (the processes write their profiles there themselves). */
      profileDir: string | undefined;
    },
  ) {}

  /** `clients`: the client processes whose CPU is read here; `reportedClients`: those that
   *  report their own (child clients, for exactly their measured phase; see cpu()). */
  async begin(clients: CountedProcess[], reportedClients: string[] = []): Promise<void> {
    const status = await this.o.client.status(2_000);
    for (const s of status) if (s.role === 'leader' || s.role === 'follower') this.roles.set(`n${s.node}`, s.role);
    for (const name of [...clients.map((c) => c.name), ...reportedClients]) this.roles.set(name, 'client');
    this.reportedClients = reportedClients;
    const cluster = clusterProcesses(this.o.dataDir);
    this.counted = [
      ...(cluster.natsPid === null ? [] : [{ name: 'nats', pid: cluster.natsPid }]),
      ...cluster.nodes.map(({ node, pid }) => ({ name: `n${node}`, pid })),
      ...clients,
    ];
    this.before = cpuSnapshot(this.counted);
    this.fromUs = profileClockUs();
  }

  async end(): Promise<void> {
    this.toUs = profileClockUs();
    this.after = cpuSnapshot(this.counted);
  }

  cpu(committedTransfers: number, reported: ReadonlyMap<string, number> = new Map()): CpuReport {
    const before = new Map(this.before);
    const after = new Map(this.after);
    for (const [name, seconds] of reported) {
      before.set(name, 0);
      after.set(name, seconds);
    }
    const use = cpuUse(before, after, committedTransfers);
    const mean = (role: ProcessRole) => {
      const values = [...this.roles]
        .filter(([name, r]) => r === role && use.usPerTransfer[name] != null)
        .map(([name]) => use.usPerTransfer[name] as number);
      if (values.length === 0) return null;
      const sum = values.reduce((a, b) => a + b, 0);
      return Math.round((role === 'client' ? sum : sum / values.length) * 10) / 10;
    };
    return {
      ...use,
      roles: Object.fromEntries(this.roles),
      byRole: {
        nats: use.usPerTransfer.nats ?? null,
        leader: mean('leader'),
        follower: mean('follower'),
        client: mean('client'),
      },
    };
  }

  /** Once every process has written its profile (the cluster stopped, the clients ended). */
  profiles(): ProfileReport | null {
    if (this.o.profileDir === undefined) return null;
    const processes = [...this.counted.map((p) => p.name).filter((name) => name !== 'nats'), ...this.reportedClients];
    return collectProfiles(this.o.profileDir, { fromUs: this.fromUs, toUs: this.toUs }, processes, this.roles);
  }
}
