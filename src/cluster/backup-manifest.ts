import { LedgerError } from '../core/errors.js';
import type { ClusterId, NodeId, Slot } from '../protocol/ids.js';
import type { Topology } from '../ledger/topology.js';
import type { LedgerConfig } from '../node/config.js';

/**
 * `manifest.json` of a `ledger cluster backup` directory: one backup file per cluster, all taken
 * inside one cut (no cross-shard transaction in flight anywhere, see docs/durability.md), and
 * what a whole system needs to be started from them. `ledger cluster restore` reads it back and
 * refuses anything off shape before it changes a file.
 */
export interface ClusterBackupManifest {
  format: typeof manifestFormat;
  version: number;
  takenAtMs: number;
  topology: Topology;
  /** The data dir's settings at backup time, so a fresh data dir starts with the same ones. */
  settings: BackupSettings;
  cut: {
    /** How long new cross-shard transfers were held (from the first hold to its release). */
    heldMs: number;
    /** Cuts tried: a leader change or a lost hold during a cut starts it again. */
    attempts: number;
  };
  clusters: ClusterBackupEntry[];
}

export type BackupSettings = Pick<
  LedgerConfig,
  'prefix' | 'timing' | 'checkpoint' | 'twoPc' | 'client' | 'durability' | 'metricsPortBase' | 'historyCapacity'
>;

export interface ClusterBackupEntry {
  cluster: ClusterId;
  /** The replica backed up: the cluster's leader at the cut. */
  node: NodeId;
  /** The backup file, relative to the manifest's directory. */
  file: string;
  bytes: number;
  sha256: string;
  /** The leader's applied slot when the cut was confirmed (no transaction in flight). */
  appliedIndex: Slot;
  /** The highest slot in the file's log, and its checkpoint's. */
  lastSlot: Slot;
  checkpointSlot: Slot;
  /** The leader's flush generation and shard-map epoch at the cut. */
  generation: number;
  mapEpoch: number;
  takenAtMs: number;
}

export const manifestFormat = 'ledger-cluster-backup';
export const manifestVersion = 1;
export const manifestFileName = 'manifest.json';

/** The file name of cluster `c`'s backup inside the directory. */
export function clusterBackupFileName(cluster: ClusterId): string {
  return `cluster-${cluster}.sqlite`;
}

/** Parses and checks a manifest's text: every field present and of its type, one entry per
 *  cluster of its topology, files named inside the directory. */
export function parseManifest(text: string, where: string): ClusterBackupManifest {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw bad(where, `not JSON (${(error as Error).message})`);
  }
  const m = record(value, where, 'the manifest');
  if (m.format !== manifestFormat) throw bad(where, `format is ${JSON.stringify(m.format)}, not "${manifestFormat}"`);
  if (m.version !== manifestVersion)
    throw bad(where, `version ${String(m.version)}; this ledger reads ${manifestVersion}`);
  const t = record(m.topology, where, 'topology');
  const topology: Topology = {
    clusters: count(t.clusters, where, 'topology.clusters', 1),
    nodesPerCluster: count(t.nodesPerCluster, where, 'topology.nodesPerCluster', 1),
    accounts: count(t.accounts, where, 'topology.accounts', 1),
    initialBalance: count(t.initialBalance, where, 'topology.initialBalance', 0),
  };
  const settings = record(m.settings, where, 'settings') as unknown as BackupSettings;
  const cut = record(m.cut, where, 'cut');
  const entries = m.clusters;
  if (!Array.isArray(entries)) throw bad(where, 'clusters is not a list');
  const clusters = entries.map((e, i) => entry(e, where, `clusters[${i}]`));
  const seen = clusters.map((c) => c.cluster).sort((a, b) => a - b);
  const wanted = Array.from({ length: topology.clusters }, (_, i) => i + 1);
  if (JSON.stringify(seen) !== JSON.stringify(wanted))
    throw bad(where, `it lists clusters ${seen.join(', ') || 'none'}, the topology has ${wanted.join(', ')}`);
  for (const c of clusters) {
    const first = (c.cluster - 1) * topology.nodesPerCluster + 1;
    if (c.node < first || c.node >= first + topology.nodesPerCluster)
      throw bad(where, `cluster ${c.cluster}'s backup names node ${c.node}, which is not one of its replicas`);
  }
  return {
    format: manifestFormat,
    version: manifestVersion,
    takenAtMs: count(m.takenAtMs, where, 'takenAtMs', 0),
    topology,
    settings,
    cut: { heldMs: count(cut.heldMs, where, 'cut.heldMs', 0), attempts: count(cut.attempts, where, 'cut.attempts', 1) },
    clusters: clusters.sort((a, b) => a.cluster - b.cluster),
  };
}

function entry(value: unknown, where: string, path: string): ClusterBackupEntry {
  const e = record(value, where, path);
  const file = e.file;
  // Only a plain name: a manifest must not send the restore to read files outside its directory.
  if (typeof file !== 'string' || !/^[A-Za-z0-9._-]+$/.test(file) || file.startsWith('.'))
    throw bad(where, `${path}.file must be a plain file name in the backup directory`);
  if (typeof e.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(e.sha256))
    throw bad(where, `${path}.sha256 is not a SHA-256 in hex`);
  return {
    cluster: count(e.cluster, where, `${path}.cluster`, 1),
    node: count(e.node, where, `${path}.node`, 1),
    file,
    bytes: count(e.bytes, where, `${path}.bytes`, 1),
    sha256: e.sha256,
    appliedIndex: count(e.appliedIndex, where, `${path}.appliedIndex`, 0),
    lastSlot: count(e.lastSlot, where, `${path}.lastSlot`, 0),
    checkpointSlot: count(e.checkpointSlot, where, `${path}.checkpointSlot`, 0),
    generation: count(e.generation, where, `${path}.generation`, 0),
    mapEpoch: count(e.mapEpoch, where, `${path}.mapEpoch`, 0),
    takenAtMs: count(e.takenAtMs, where, `${path}.takenAtMs`, 0),
  };
}

function record(value: unknown, where: string, path: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw bad(where, `${path} is not an object`);
  return value as Record<string, unknown>;
}

function count(value: unknown, where: string, path: string, min: number): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min)
    throw bad(where, `${path} is not an integer of at least ${min}`);
  return value;
}

function bad(where: string, why: string): LedgerError {
  return new LedgerError('bad-input', `${where} is not a Ledger cluster backup manifest: ${why}`, {
    hint: 'pass the directory `ledger cluster backup --out DIR` wrote',
  });
}
