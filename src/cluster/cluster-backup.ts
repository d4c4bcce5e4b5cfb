import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { LedgerError } from '../core/errors.js';
import type { ClusterId, NodeId, Slot } from '../protocol/ids.js';
import type { LedgerClient, NodeStatusRow } from '../client/ledger-client.js';
import type { NodeStatus } from '../protocol/admin.js';
import { allNodes, type Topology } from '../ledger/topology.js';
import type { LedgerConfig } from '../node/config.js';
import { syncFile } from '../storage/backup-file.js';
import {
  clusterBackupFileName,
  manifestFileName,
  manifestFormat,
  manifestVersion,
  type ClusterBackupEntry,
  type ClusterBackupManifest,
} from './backup-manifest.js';
import { backupNode } from './node-backup.js';

/**
 * `ledger cluster backup --out DIR`: one backup per cluster, all inside one cut, so that a whole
 * system restored from them passes the audit. Backups of different clusters are taken at
 * different moments; were a cross-shard transfer in flight between them, one shard's backup
 * would hold its debit and the other's not its credit. The cut (docs/durability.md):
 *
 * 1. every node is asked to hold new cross-shard transfers (`hold-cross-shard`, the audit's own
 *    hold: new ones wait at their leader, intra-shard transfers go on). A hold is a lease of
 *    `holdLeaseMs` that a node lifts by itself, renewed while the backup runs, so a CLI that
 *    dies never leaves the system holding;
 * 2. each cluster's leader must have taken the hold. Its last slot then bounds any transfer it
 *    had already proposed; we wait until it has applied past that slot and has no cross-shard
 *    transaction in flight (coordinated or prepared), in every cluster at once;
 * 3. each leader's file is backed up (its applied state is the one we checked);
 * 4. the cut is confirmed: same leaders, the hold renewed at each without a gap, still nothing
 *    in flight. Otherwise the backups are thrown away and the cut is taken again.
 *
 * The hold is released at the end, on success and on error.
 */

export interface ClusterBackupOptions {
  force: boolean;
  /** Give up when no cut is found within this time. */
  timeoutMs: number;
  onProgress?: (line: string) => void;
}

/** The lease of each hold; renewed every third of it. */
const holdLeaseMs = 3_000;

export async function backupCluster(
  client: LedgerClient,
  config: LedgerConfig,
  outDir: string,
  options: ClusterBackupOptions,
): Promise<ClusterBackupManifest & { dir: string }> {
  const dir = resolve(outDir);
  prepareDir(dir, options.force);
  const say = options.onProgress ?? (() => undefined);
  const topology = config.topology;
  const started = Date.now();
  const deadline = started + options.timeoutMs;
  const hold = new HoldLease(client, topology);
  try {
    for (let attempt = 1; ; attempt++) {
      if (Date.now() > deadline)
        throw new LedgerError('timeout', `no consistent cut within ${options.timeoutMs} ms`, {
          hint: 'is every cluster up with a leader? see `ledger cluster status`; or raise --timeout',
        });
      const leaders = await hold.take();
      if (leaders === undefined) {
        say('waiting for a leader in every cluster to take the hold');
        await pause(200);
        continue;
      }
      say(`cut ${attempt}: cross-shard transfers held; waiting for those in flight to finish`);
      const quiet = await waitQuiet(client, leaders, deadline);
      if (quiet === undefined) continue;
      const entries: ClusterBackupEntry[] = [];
      for (const [cluster, leader] of leaders) {
        const file = clusterBackupFileName(cluster);
        const result = await backupNode(config.dataDir, topology, leader.node, join(dir, file), { force: true });
        const at = quiet.get(cluster) as { appliedIndex: Slot };
        entries.push({
          cluster,
          node: leader.node,
          file,
          bytes: result.bytes,
          sha256: result.sha256,
          appliedIndex: at.appliedIndex,
          lastSlot: result.lastSlot,
          checkpointSlot: result.checkpointSlot,
          generation: leader.generation,
          mapEpoch: leader.mapEpoch,
          takenAtMs: result.takenAtMs,
        });
        say(`cluster ${cluster}: backed up n${leader.node} (${result.bytes} bytes, slot ${result.lastSlot})`);
      }
      const broken = hold.broken ?? (await confirmCut(client, leaders));
      if (broken !== undefined) {
        say(`cut ${attempt} broke (${broken}); taking it again`);
        hold.broken = undefined;
        continue;
      }
      const manifest: ClusterBackupManifest = {
        format: manifestFormat,
        version: manifestVersion,
        takenAtMs: Math.max(...entries.map((e) => e.takenAtMs)),
        topology,
        settings: settingsOf(config),
        cut: { heldMs: Date.now() - (hold.firstAtMs ?? started), attempts: attempt },
        clusters: entries,
      };
      const manifestPath = join(dir, manifestFileName);
      writeFileSync(manifestPath, `${JSON.stringify(manifest, null, 2)}\n`);
      syncFile(manifestPath);
      syncFile(dir);
      return { ...manifest, dir };
    }
  } finally {
    await hold.release();
  }
}

function settingsOf(c: LedgerConfig): ClusterBackupManifest['settings'] {
  const { prefix, timing, checkpoint, twoPc, client, durability, metricsPortBase, historyCapacity } = c;
  return { prefix, timing, checkpoint, twoPc, client, durability, metricsPortBase, historyCapacity };
}

/** The directory must be new or empty (or --force, which replaces our own files in it). */
function prepareDir(dir: string, force: boolean): void {
  if (existsSync(dir)) {
    const present = readdirSync(dir);
    if (present.length > 0 && !force)
      throw new LedgerError('bad-input', `${dir} is not empty (${present.length} entries)`, {
        hint: 'pass --force to overwrite the backup in it, or choose a new directory',
      });
    rmSync(join(dir, manifestFileName), { force: true });
  } else {
    try {
      mkdirSync(dir, { recursive: true });
    } catch (error) {
      throw new LedgerError('bad-input', `cannot create ${dir}: ${(error as Error).message}`, {
        hint: 'choose a writable path',
      });
    }
  }
}

/**
 * The hold on new cross-shard transfers, at every node, as a renewed lease. `take` answers each
 * cluster's leader, if every cluster has one that took the hold; a renewal that a leader did not
 * take marks the cut broken (a transfer may have started there meanwhile).
 */
class HoldLease {
  broken: string | undefined;
  firstAtMs: number | undefined;
  private timer: NodeJS.Timeout | undefined;
  private leaders: Map<ClusterId, NodeStatus> | undefined;

  constructor(
    private readonly client: LedgerClient,
    private readonly topology: Topology,
  ) {}

  async take(): Promise<Map<ClusterId, NodeStatus> | undefined> {
    this.stopRenewing();
    const took = await this.holdEverywhere(holdLeaseMs);
    this.firstAtMs ??= Date.now();
    // Statuses read after the hold: a leader's lastSlot now bounds what it proposed before it.
    const leaders = leadersOf(await this.client.status(1_000), this.topology);
    if (leaders === undefined || ![...leaders.values()].every((l) => took.has(l.node))) return undefined;
    this.leaders = leaders;
    this.broken = undefined;
    this.timer = setInterval(() => void this.renew(), holdLeaseMs / 3);
    return leaders;
  }

  private async renew(): Promise<void> {
    const took = await this.holdEverywhere(holdLeaseMs);
    const missing = [...(this.leaders?.values() ?? [])].filter((l) => !took.has(l.node));
    if (missing.length > 0) this.broken ??= `the hold did not reach leader n${missing[0]?.node}`;
  }

  async release(): Promise<void> {
    this.stopRenewing();
    if (this.firstAtMs !== undefined) await this.holdEverywhere(0);
  }

  private stopRenewing(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** The nodes that answered the hold. */
  private async holdEverywhere(ms: number): Promise<Set<NodeId>> {
    const took = new Set<NodeId>();
    await Promise.all(
      allNodes(this.topology).map(async (node) => {
        try {
          await this.client.admin(node, { op: 'hold-cross-shard', holdMs: ms }, 1_000);
          took.add(node);
        } catch {
          // A node down or slow: if it leads, the cut waits for another try.
        }
      }),
    );
    return took;
  }
}

/** Each cluster's one live leader, or undefined when a cluster has none (an election). */
function leadersOf(statuses: NodeStatusRow[], topology: Topology): Map<ClusterId, NodeStatus> | undefined {
  const leaders = new Map<ClusterId, NodeStatus>();
  for (const s of statuses) {
    if (s.role !== 'leader' || s.failed || s.isolated) continue;
    if (leaders.has(s.cluster)) return undefined;
    leaders.set(s.cluster, s);
  }
  return leaders.size === topology.clusters ? leaders : undefined;
}

/** Waits until every leader has applied past the slot it was at when it took the hold and has
 *  no cross-shard transaction in flight; answers each leader's applied slot then. */
async function waitQuiet(
  client: LedgerClient,
  leaders: Map<ClusterId, NodeStatus>,
  deadline: number,
): Promise<Map<ClusterId, { appliedIndex: Slot }> | undefined> {
  while (Date.now() <= deadline) {
    const seen = new Map<ClusterId, { appliedIndex: Slot }>();
    for (const [cluster, leader] of leaders) {
      const h = await client.stateHashes(leader.node).catch(() => undefined);
      if (h === undefined) return undefined;
      if (h.appliedIndex >= leader.lastSlot && h.inFlight === 0) seen.set(cluster, { appliedIndex: h.appliedIndex });
    }
    if (seen.size === leaders.size) return seen;
    await pause(50);
  }
  return undefined;
}

/** After the backups: the same leaders, and still nothing in flight. Answers why not, or undefined. */
async function confirmCut(client: LedgerClient, leaders: Map<ClusterId, NodeStatus>): Promise<string | undefined> {
  for (const [cluster, leader] of leaders) {
    const s = await client.nodeStatus(leader.node).catch(() => undefined);
    if (s === undefined || s.role !== 'leader' || s.ballot !== leader.ballot)
      return `cluster ${cluster}'s leader n${leader.node} changed`;
    const h = await client.stateHashes(leader.node).catch(() => undefined);
    if (h === undefined || h.inFlight !== 0) return `cluster ${cluster} has a cross-shard transaction in flight`;
  }
  return undefined;
}

function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
