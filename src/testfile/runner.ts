import { rmSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { LedgerClient, transferStatuses, type TransferStatus } from '../client/ledger-client.js';
import { flushCluster } from '../cluster/flush.js';
import { moveLead } from '../cluster/lead.js';
import { requireRunningConfig, startLocalCluster, stopLocalCluster } from '../cluster/local-cluster.js';
import { LedgerError } from '../core/errors.js';
import { roundMs } from '../core/round-ms.js';
import type { ClusterId, NodeId } from '../protocol/ids.js';
import type { Consistency } from '../protocol/commands.js';
import { allNodes, nodesOfCluster, type Topology } from '../ledger/topology.js';
import { asAdmin, connectAs } from '../node/nats-access.js';
import type { Transport } from '../transport/transport.js';
import { injectFaultSettled } from './decisions-settled.js';
import { latencySummary } from './latency-summary.js';
import { segments, type SetPlan } from './plan.js';
import { reshardSet, type SetReshard } from './set-reshard.js';
import type { TestCommand, TestFileDialect } from './types.js';

/** One entry per command row of a set, in file order (the `--json` document's `results`). */
export type CommandResult =
  | {
      op: 'transfer';
      from: number;
      to: number;
      amount: number;
      status: TransferStatus;
      latencyMs: number;
      servedBy?: NodeId;
      reason?: string;
    }
  | {
      op: 'balance';
      account: number;
      balance: number | null;
      latencyMs: number;
      servedBy?: NodeId;
      reason?: string;
      notSent?: true;
    }
  | { op: 'fail'; node: NodeId }
  | { op: 'recover'; node: NodeId };

/** Measured at the client, over the set's transactions (transfers and reads; not F/R). */
export interface SetPerformance {
  transactions: number;
  seconds: number;
  throughputPerSecond: number;
  latencyMs: { p50: number; p90: number; p99: number; max: number };
  transfers: Record<TransferStatus, number>;
  /** unanswered: sent, no value in time; notSent: no connection to NATS, never sent. */
  reads: { answered: number; unanswered: number; notSent: number };
}

export interface SetReport {
  set: number;
  line: number;
  shape: string;
  live: NodeId[];
  leaders: Array<{ cluster: ClusterId; node: NodeId }>;
  flushed: boolean;
  results: CommandResult[];
  performance: SetPerformance;
  /** With `reshardAfterEachSet`: the moves made after the set (PrintReshard). */
  reshard?: SetReshard;
}

export interface RunReport {
  file: string;
  dialect: TestFileDialect;
  sets: SetReport[];
}

export interface RunnerOptions {
  /** Where the run keeps its local cluster (wiped when the run starts one). */
  clusterDir: string;
  /** Transactions between two F/R commands run in parallel, at most this many at once. */
  concurrent: boolean;
  concurrencyMax: number;
  consistency: Consistency;
  /** A transfer with no answer by then is `unknown` (`unavailable` if it was never sent, for
   *  want of a connection to NATS); a read, unanswered. */
  deadlineMs: number;
  /** How long to wait for a contact server to take the lead (sets that keep state). */
  leadTimeoutMs: number;
  /** Leave the cluster running at the end (`ledger demo --keep`). */
  keepCluster?: boolean;
  /** After each set, reshard over its history and carry the moves out (`--reshard-after-each-set`). */
  reshardAfterEachSet?: boolean;
}

/** What the runner offers the menu after a set: the live cluster and its client. */
export interface RunSession {
  client: LedgerClient;
  topology: Topology;
}

export type AfterSet = 'next' | 'skip-next' | 'quit';

export interface RunnerHooks {
  say(line: string): void;
  onSetStart?(plan: SetPlan): void;
  onResult?(plan: SetPlan, index: number, result: CommandResult): void;
  /** After each set (the interactive menu); without it the run goes on to the next set. */
  afterSet?(plan: SetPlan, report: SetReport, session: RunSession, last: boolean): Promise<AfterSet>;
}

/**
 * Runs planned test sets against a local cluster it starts itself (docs/test-files.md): one cluster per
 * topology, replaced when a set needs another shape. Before each set it flushes (or, for sets
 * that keep state, applies the live list and moves the lead to the contact servers), then runs
 * the commands in file order, or the transactions between two F/R in parallel.
 */
export class TestRunner {
  private cluster: { topology: Topology; transport: Transport; prefix: string } | undefined;
  /** Set by close(): no cluster is started after it (a signal may arrive mid-set). */
  private closing = false;

  constructor(
    private readonly options: RunnerOptions,
    private readonly hooks: RunnerHooks,
  ) {}

  async run(file: string, dialect: TestFileDialect, plans: SetPlan[]): Promise<RunReport> {
    const report: RunReport = { file, dialect, sets: [] };
    try {
      let skipNext = false;
      for (const [index, plan] of plans.entries()) {
        if (skipNext) {
          this.hooks.say(`set ${plan.set.set}: skipped`);
          skipNext = false;
          continue;
        }
        const client = await this.prepare(plan);
        this.hooks.onSetStart?.(plan);
        const setReport = await this.runSet(plan, client);
        if (this.options.reshardAfterEachSet === true) setReport.reshard = await reshardSet(client, plan.topology);
        report.sets.push(setReport);
        const last = index === plans.length - 1;
        const next =
          (await this.hooks.afterSet?.(plan, setReport, { client, topology: plan.topology }, last)) ?? 'next';
        if (next === 'quit') break;
        skipNext = next === 'skip-next';
      }
    } finally {
      await this.finish();
    }
    return report;
  }

  /** Ends the run: stops its cluster, and no cluster is started after this. */
  async close(): Promise<void> {
    this.closing = true;
    await this.stopCluster();
  }

  /** Stops the run's cluster: every process its state file records, even one half started. */
  private async stopCluster(): Promise<void> {
    const cluster = this.cluster;
    this.cluster = undefined;
    await cluster?.transport.close().catch(() => undefined);
    await stopLocalCluster(this.options.clusterDir);
  }

  /** At the end of a run: stop the cluster unless asked to keep it. */
  private async finish(): Promise<void> {
    if (this.options.keepCluster !== true) return this.close();
    await this.cluster?.transport.close().catch(() => undefined);
    this.cluster = undefined;
  }

  // ---- before a set --------------------------------------------------------------------------

  private async prepare(plan: SetPlan): Promise<LedgerClient> {
    await this.ensureCluster(plan.topology);
    const cluster = this.cluster as NonNullable<typeof this.cluster>;
    // A new client per set: fresh sessions and leader hints, so nothing of the last set leaks.
    const client = new LedgerClient(cluster.transport, plan.topology, cluster.prefix, {
      attemptTimeoutMs: 500,
      deadlineMs: this.options.deadlineMs,
    });
    for (const [c, node] of plan.leaders) client.preferNode(c, node);
    if (plan.flush) {
      const statuses = await flushCluster(client, plan.topology, { live: plan.live, leaders: plan.leaders });
      // From now on this set's requests carry the new generation (a node drops other ones).
      client.generation = statuses[0]?.generation;
      // The flush cleared every node's shard map (moves of the last set's reshard included): the
      // client's copy starts from the initial ranges too, so no account is sent to an old home.
      client.map.load([]);
    } else {
      await this.applyLiveList(client, plan);
      await this.moveLeads(client, plan);
    }
    return client;
  }

  private async ensureCluster(topology: Topology): Promise<void> {
    if (this.cluster !== undefined && JSON.stringify(this.cluster.topology) === JSON.stringify(topology)) return;
    if (this.cluster !== undefined) this.hooks.say(`reconfiguring for ${shapeText(topology)}`);
    await this.stopCluster();
    rmSync(this.options.clusterDir, { recursive: true, force: true });
    this.hooks.say(`starting a local cluster of ${shapeText(topology)}`);
    this.hooks.say(`  in ${this.options.clusterDir}`);
    if (this.closing) throw new LedgerError('unavailable', 'the run was stopped');
    await startLocalCluster({
      dataDir: this.options.clusterDir,
      port: undefined,
      topology,
      detached: this.options.keepCluster === true,
      readyTimeoutMs: 60_000,
    });
    try {
      if (this.closing) throw new LedgerError('unavailable', 'the run was stopped');
      const config = requireRunningConfig(this.options.clusterDir);
      const transport = await connectAs(config, asAdmin, { name: 'ledger-run', longRunning: true });
      this.cluster = { topology, transport, prefix: config.prefix };
    } catch (error) {
      await stopLocalCluster(this.options.clusterDir);
      throw error;
    }
  }

  /** Sets that keep state: recover the listed nodes, fail the others. */
  private async applyLiveList(client: LedgerClient, plan: SetPlan): Promise<void> {
    const statuses = await client.status(2_000);
    for (const s of statuses) {
      if (s.role === 'down') throw new LedgerError('unavailable', `cannot apply the live list: ${s.reason}`);
      const live = plan.live.has(s.node);
      if (live && s.failed) await client.injectFault(s.node, 'recover');
      if (!live && !s.failed) await client.injectFault(s.node, 'fail');
    }
  }

  /** Each cluster with a live majority is led by its planned leader (the contact server). */
  private async moveLeads(client: LedgerClient, plan: SetPlan): Promise<void> {
    for (const [cluster, leader] of plan.leaders) {
      const members = nodesOfCluster(plan.topology, cluster);
      const up = members.filter((n) => plan.live.has(n)).length;
      if (!plan.live.has(leader) || up * 2 <= members.length) continue;
      try {
        await moveLead(client, plan.topology, leader, this.options.leadTimeoutMs);
      } catch (error) {
        this.hooks.say(`warning: ${(error as Error).message}; set ${plan.set.set} runs with whoever leads`);
      }
    }
  }

  // ---- the set -------------------------------------------------------------------------------

  private async runSet(plan: SetPlan, client: LedgerClient): Promise<SetReport> {
    const commands = plan.set.commands;
    const results: Array<CommandResult | undefined> = new Array(commands.length).fill(undefined);
    const started = performance.now();
    const execute = async (index: number, command: TestCommand) => {
      const result = await this.execute(client, command, plan.topology);
      results[index] = result;
      this.hooks.onResult?.(plan, index, result);
    };
    if (this.options.concurrent) {
      for (const segment of segments(commands))
        await pool(segment, this.options.concurrencyMax, ({ index, command }) => execute(index, command));
    } else {
      for (const [index, command] of commands.entries()) await execute(index, command);
    }
    const seconds = (performance.now() - started) / 1000;
    const done = results as CommandResult[];
    return {
      set: plan.set.set,
      line: plan.set.line,
      shape: shapeText(plan.topology),
      live: allNodes(plan.topology).filter((n) => plan.live.has(n)),
      leaders: [...plan.leaders].map(([cluster, node]) => ({ cluster, node })),
      flushed: plan.flush,
      results: done,
      performance: summarise(done, seconds),
    };
  }

  private async execute(client: LedgerClient, command: TestCommand, topology: Topology): Promise<CommandResult> {
    switch (command.op) {
      case 'transfer': {
        const r = await client.transfer(command.from, command.to, command.amount);
        return {
          op: 'transfer',
          from: r.from,
          to: r.to,
          amount: r.amount,
          status: r.status,
          latencyMs: round(r.latencyMs),
          ...(r.servedBy === undefined ? {} : { servedBy: r.servedBy }),
          ...(r.reason === undefined ? {} : { reason: r.reason }),
        };
      }
      case 'balance': {
        const r = await client.balance(command.account, this.options.consistency);
        return {
          op: 'balance',
          account: r.account,
          balance: r.balance,
          latencyMs: round(r.latencyMs),
          ...(r.servedBy === undefined ? {} : { servedBy: r.servedBy }),
          ...(r.reason === undefined ? {} : { reason: r.reason }),
          ...(r.sent ? {} : { notSent: true as const }),
        };
      }
      case 'fail':
      case 'recover':
        await injectFaultSettled(client, topology, command.node, command.op);
        return { op: command.op, node: command.node };
    }
  }
}

function summarise(results: CommandResult[], seconds: number): SetPerformance {
  const transfers = Object.fromEntries(transferStatuses.map((s) => [s, 0])) as Record<TransferStatus, number>;
  const reads = { answered: 0, unanswered: 0, notSent: 0 };
  for (const r of results) {
    if (r.op === 'transfer') transfers[r.status]++;
    if (r.op === 'balance') reads[r.balance !== null ? 'answered' : r.notSent === true ? 'notSent' : 'unanswered']++;
  }
  const latencies = results.flatMap((r) => (r.op === 'transfer' || r.op === 'balance' ? [r.latencyMs] : []));
  const transactions = latencies.length;
  return {
    transactions,
    seconds: round(seconds),
    throughputPerSecond: seconds > 0 ? round(transactions / seconds) : 0,
    latencyMs: latencySummary(latencies),
    transfers,
    reads,
  };
}

/** Runs `work` over `items`, at most `limit` at a time. */
async function pool<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await work(items[next++] as T);
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
}

function shapeText(t: Topology): string {
  return `${t.clusters} clusters x ${t.nodesPerCluster} nodes, ${t.accounts} accounts`;
}

/** Latencies, durations and rates to 3 decimals, like every --json figure. */
const round = roundMs;
