import { setTimeout as sleep } from 'node:timers/promises';
import { performance } from 'node:perf_hooks';
import { checkConsistency } from '../../src/client/consistency.js';
import { SeededRandom } from '../../src/core/random.js';
import { accountRange, clusterOfNode, type Topology } from '../../src/ledger/topology.js';
import type { Transport } from '../../src/transport/transport.js';
import type { AuditRecord, FinalReplica, HistoryEvent, RunRecord } from './history.js';
import { Nemesis, type FaultKind } from './nemesis.js';
import { RecordingClient } from './recording-client.js';
import { ChaosSystem } from './system.js';
import { accountGroups, OperationSource, type WorkloadShape } from './workload.js';

export interface RunOptions {
  seed: number;
  /** Seconds of load; faults stop early enough that the last heal is followed by load. */
  seconds: number;
  shape: WorkloadShape;
  kinds: readonly FaultKind[];
  /** Every kind at least once (a shuffled cycle) rather than random draws. */
  everyKind: boolean;
  log: (line: string) => void;
  /** Keep the system's data dir (node logs, SQLite files) even when the run went well. */
  keepDataDir?: boolean;
}

/** What one run leaves: the record the checkers judge, and what the harness saw itself. */
export interface RunOutput {
  record: RunRecord;
  /** Audits that could not count the money (a replica far behind, transactions still in flight). */
  auditsIncomplete: number;
  /** Problems the harness itself found (no quiescence after heal, a node that would not come back). */
  harnessProblems: string[];
}

/** The topology of a chaos run: three clusters of three, few accounts so snapshots stay small. */
export const chaosTopology: Topology = { clusters: 3, nodesPerCluster: 3, accounts: 3000, initialBalance: 20 };

/** Recording clients share this many NATS connections. */
const connections = 4;
/** Load continues this long after the nemesis stops, so recovery after the last heal shows. */
const tailMs = 12_000;
const auditEveryMs = 8_000;
/** Scheduling slack on top of the `leader` read window the help promises. */
const leaderReadSlackMs = 500;

/**
 * One chaos run: a fresh system, the bank workload from `shape.clients` recording clients, the
 * nemesis injecting faults, audits every few seconds, then heal, quiescence and the replicas'
 * final state. Returns the record for the checkers; ends every process it started.
 */
export async function runChaos(options: RunOptions): Promise<RunOutput> {
  const { log } = options;
  const topology = chaosTopology;
  log(`run seed ${options.seed}: starting ${topology.clusters * topology.nodesPerCluster} nodes`);
  const system = await ChaosSystem.start(topology);
  const transports: Transport[] = [];
  const harnessProblems: string[] = [];
  try {
    for (let i = 0; i < connections; i++) transports.push(await system.connect(`ledger-chaos-${i}`));
    const events: HistoryEvent[] = [];
    const record = (event: HistoryEvent) => events.push(event);
    const groups = accountGroups(topology, Math.ceil(options.shape.clients / options.shape.clientsPerGroup));
    const startMs = performance.now();
    // Moved later when the nemesis needed longer to inject every kind (see Nemesis.run).
    let loadEndMs = startMs + options.seconds * 1_000;
    let nemesisDone = false;
    const loading = () => !nemesisDone || performance.now() < loadEndMs;

    const clients = Array.from({ length: options.shape.clients }, (_, p) => {
      const resends = new SeededRandom(options.seed * 1_000 + p + 500_000);
      const client = new RecordingClient(
        p,
        `chaos${options.seed}-p${p}`,
        transports[p % connections] as Transport,
        topology,
        system.config.prefix,
        record,
        // One transfer in ten is sent again after its answer: the retry must get the same one.
        { invocationDeadlineMs: 1_500, retriesAfterUnknown: 2, resendAfterAnswer: () => resends.chance(0.1) },
      );
      const source = new OperationSource(
        options.seed * 1_000 + p,
        groups[Math.floor(p / options.shape.clientsPerGroup)] as number[],
        options.shape,
      );
      return (async () => {
        while (loading()) await client.run(source.next());
      })();
    });

    const audits: AuditRecord[] = [];
    let auditsIncomplete = 0;
    const auditing = (async () => {
      while (!nemesisDone || performance.now() + auditEveryMs < loadEndMs) {
        await sleep(auditEveryMs);
        const audit = await audit1(system, topology);
        if (audit === undefined) auditsIncomplete++;
        else audits.push(audit);
      }
    })();

    const nemesis = new Nemesis(
      system,
      {
        seed: options.seed,
        kinds: options.kinds,
        everyKind: options.everyKind,
        calmMs: [800, 2_000],
        holdMs: [1_500, 3_000],
      },
      log,
    );
    await nemesis.run(loadEndMs - tailMs);
    harnessProblems.push(...nemesis.problems);
    loadEndMs = Math.max(loadEndMs, performance.now() + tailMs);
    nemesisDone = true;
    const crashed = system.crashedNodes();
    if (crashed.length > 0) harnessProblems.push(`n${crashed.join(', n')} crashed (not killed by the nemesis)`);
    // Nothing stays broken: every node runs, none is isolated or failed.
    await system.everyNodeRunning();
    await healAll(system);
    const lastHealMs = Math.max(startMs, ...nemesis.faults.map((f) => f.healedMs));
    log(
      `run seed ${options.seed}: ${nemesis.faults.length} faults, last healed at ${Math.round((lastHealMs - startMs) / 1000)} s`,
    );

    await Promise.all(clients);
    await auditing;
    if (audits.length === 0) harnessProblems.push(`no audit could count the money (${auditsIncomplete} tried)`);
    log(`run seed ${options.seed}: load ended with ${events.length} events; waiting for quiescence`);
    const quiet = await quiescence(system, topology, 60_000);
    if (quiet !== undefined) harnessProblems.push(quiet);
    const final = await finalState(system, topology).catch((error: unknown) => {
      harnessProblems.push(`the final state could not be read: ${(error as Error).message}`);
      return [];
    });
    const t = system.config.timing;
    return {
      record: {
        seed: options.seed,
        accounts: topology.accounts,
        initialBalance: topology.initialBalance,
        groups,
        // The help's promise (2 x election timeout + heartbeat of the node's own clock) and half a
        // second of slack: timers run late on a loaded 2-core machine. SIGSTOP faults widen it
        // for the stopped node's reads only (FaultRecord.freezesClock).
        leaderReadWindowMs: (2 * t.electionTicksMin + t.heartbeatTicks) * t.tickMs + leaderReadSlackMs,
        events,
        faults: nemesis.faults,
        audits,
        final,
        lastHealMs,
        loadEndMs,
      },
      auditsIncomplete,
      harnessProblems,
    };
  } catch (error) {
    harnessProblems.push(`the run stopped: ${(error as Error).message}`);
    throw error;
  } finally {
    for (const t of transports) await t.close().catch(() => undefined);
    // A run that went wrong keeps its data dir (node logs, SQLite files) for the post-mortem.
    const keep = harnessProblems.length > 0 || options.keepDataDir === true;
    if (keep) log(`run seed ${options.seed}: data dir kept in ${system.dataDir}`);
    await system.close(keep);
  }
}

/** `ledger check consistency`'s audit while clients run, and the lowest balance any replica
 *  holds (every modified account, as `ledger db` reads them). Undefined when it could not count. */
async function audit1(system: ChaosSystem, topology: Topology): Promise<AuditRecord | undefined> {
  const timeMs = performance.now();
  const report = await checkConsistency(system.admin, topology, 5_000).catch(() => undefined);
  if (report === undefined) return undefined;
  const counted = report.money.inFlight === 0 && report.clusters.every((c) => c.comparedAtSlot !== null);
  const hashProblems = report.clusters.flatMap((c) => c.problems.filter((p) => p.startsWith('state hashes differ')));
  if (!counted && hashProblems.length === 0) return undefined;
  let lowestBalance = topology.initialBalance;
  for (const node of system.nodes()) {
    const db = await system.admin.modifiedAccounts(node).catch(() => undefined);
    for (const a of db?.accounts ?? []) lowestBalance = Math.min(lowestBalance, a.balance);
  }
  return {
    timeMs,
    ok: hashProblems.length === 0 && (!counted || report.money.actual === report.money.expected),
    expectedMoney: report.money.expected,
    actualMoney: counted ? report.money.actual : report.money.expected,
    lowestBalance,
    problems: [...hashProblems, ...report.clusters.flatMap((c) => c.problems)],
  };
}

async function healAll(system: ChaosSystem): Promise<void> {
  const calm = { duplicatePercent: 0, delayMsMax: 0 };
  for (const node of system.nodes())
    for (const heal of [
      () => system.admin.injectFault(node, 'heal'),
      () => system.admin.injectFault(node, 'recover'),
      () => system.admin.disturb(node, calm),
    ]) {
      const deadline = performance.now() + 15_000;
      for (;;) {
        const done = await heal().then(
          () => true,
          () => false,
        );
        if (done || performance.now() > deadline) break;
        await sleep(200);
      }
    }
}

/** Waits until, in every cluster, every replica has applied the same slot with no cross-shard
 *  transaction in flight, twice in a row. Returns a problem when it never happens. */
export async function quiescence(
  system: ChaosSystem,
  topology: Topology,
  timeoutMs: number,
): Promise<string | undefined> {
  const deadline = performance.now() + timeoutMs;
  let previous = '';
  let last = '';
  while (performance.now() < deadline) {
    const rows = await Promise.all(system.nodes().map((n) => system.admin.stateHashes(n).catch(() => undefined)));
    const settled = rows.every((r) => r !== undefined && r.inFlight === 0);
    const byCluster = new Map<number, Set<number>>();
    for (const r of rows)
      if (r !== undefined)
        (byCluster.get(r.cluster) ?? byCluster.set(r.cluster, new Set()).get(r.cluster))?.add(r.appliedIndex);
    const agreed =
      settled && byCluster.size === topology.clusters && [...byCluster.values()].every((s) => s.size === 1);
    last = rows.map((r) => (r === undefined ? 'down' : `${r.node}@${r.appliedIndex}/${r.inFlight}`)).join(' ');
    if (agreed && last === previous) return undefined;
    previous = agreed ? last : '';
    await sleep(500);
  }
  return `no quiescence within ${timeoutMs} ms after the last heal: ${last}`;
}

async function finalState(system: ChaosSystem, topology: Topology): Promise<FinalReplica[]> {
  const final: FinalReplica[] = [];
  for (const node of system.nodes()) {
    const cluster = clusterOfNode(topology, node);
    const { first, last } = accountRange(topology, cluster);
    const hashes = await system.admin.stateHashes(node);
    const db = await system.admin.modifiedAccounts(node);
    const modified: Record<string, number> = {};
    for (const a of db.accounts) modified[String(a.account)] = a.balance;
    const atApplied = hashes.hashes.find(([slot]) => slot === hashes.appliedIndex);
    final.push({
      node,
      cluster,
      firstAccount: first,
      lastAccount: last,
      modified,
      stateHash: atApplied?.[1] ?? -1,
      appliedIndex: hashes.appliedIndex,
    });
  }
  return final;
}
