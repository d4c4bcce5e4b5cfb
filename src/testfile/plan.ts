import { badInput, LedgerError } from '../core/errors.js';
import type { ClusterId, NodeId } from '../protocol/ids.js';
import {
  allNodes,
  clusterOfNode,
  defaultTopology,
  nodesOfCluster,
  validateTopology,
  type Topology,
} from '../ledger/topology.js';
import type { TestCommand, TestFile, TestSet } from './types.js';

/** Clusters x nodes per cluster. */
export interface Shape {
  clusters: number;
  nodesPerCluster: number;
}

export interface PlanOptions {
  /** Total accounts, split evenly between the clusters of every shape (default: 9000 for the
   *  three-column dialect, 3000 for the four-column one, whose files use items 1..3000). */
  accounts?: number;
  initialBalance?: number;
  /** The shape for sets that fit in it (default 3 x 3). */
  baseShape?: Shape;
  /** Shapes given by the user for particular sets (`--set-shape 15=5x5`), over the guess. */
  setShapes?: ReadonlyMap<number, Shape>;
  /** Flush before each set (three-column) or before the first (four-column); `--no-flush`. */
  flush: boolean;
}

/** What the runner does for one set, worked out before anything runs. */
export interface SetPlan {
  set: TestSet;
  topology: Topology;
  live: ReadonlySet<NodeId>;
  /** The node that must lead each cluster when the set starts. */
  leaders: ReadonlyMap<ClusterId, NodeId>;
  /** Flush to the initial state before the set (otherwise state carries over). */
  flush: boolean;
}

const shapeCandidates = [3, 5, 7];
/**
 * The shapes the runner picks by itself: 3, 5 or 7 nodes per cluster, at most 5 clusters and 25
 * nodes (3 x 3 up to 5 x 5, the Fall-2025 file's set 15). A node past n25 is far more likely a
 * typo (`n42` for `n4`) than a wish for 14 clusters, so it is refused before anything runs;
 * `--set-shape` still builds any valid shape on purpose.
 */
const autoShapeLimits = { clusters: 5, nodes: 25 } as const;

/**
 * Plans every set of a parsed file, checking each against its topology: an account or node that
 * does not exist is an error naming the line, before anything runs. Pure.
 */
export function planRun(file: TestFile, fileName: string, options: PlanOptions): SetPlan[] {
  const accounts = options.accounts ?? (file.dialect === 'four-column' ? 3000 : defaultTopology.accounts);
  const initialBalance = options.initialBalance ?? defaultTopology.initialBalance;
  const base = options.baseShape ?? {
    clusters: defaultTopology.clusters,
    nodesPerCluster: defaultTopology.nodesPerCluster,
  };
  const plans: SetPlan[] = [];
  for (const set of file.sets) {
    const explicit = options.setShapes?.get(set.set);
    if (explicit === undefined) checkAutoShape(set, base, fileName, file.dialect === 'four-column' ? 'S' : 'n');
    const shape = explicit ?? guessShape(set, base);
    const topology = validateTopology({ ...shape, accounts, initialBalance });
    checkSet(set, topology, fileName);
    const live = new Set(set.liveNodes);
    const leaders =
      file.dialect === 'four-column' ? contactLeaders(set, topology, fileName) : firstLive(topology, live);
    const previous = plans[plans.length - 1];
    const newTopology = previous === undefined || JSON.stringify(previous.topology) !== JSON.stringify(topology);
    const flush = file.dialect === 'three-column' ? options.flush : newTopology && options.flush;
    plans.push({ set, topology, live, leaders, flush });
  }
  return plans;
}

/**
 * The shape a set needs. A set that names only nodes of the base shape runs on it. A set that
 * names more (the Fall-2025 file's set 15 lists n1..n23) gets, among 3, 5 and 7 nodes per
 * cluster, the shape under which its live list gives the most clusters a majority (set 15: five
 * clusters of five, each with its first three up), the smaller clusters on a tie. When that
 * guess is wrong, `--set-shape` says what to use.
 */
export function guessShape(set: TestSet, base: Shape): Shape {
  const named = namedNodes(set);
  const highest = Math.max(0, ...named);
  if (highest <= base.clusters * base.nodesPerCluster) return base;
  const live = new Set(set.liveNodes);
  let best: { shape: Shape; score: number } | undefined;
  for (const nodesPerCluster of shapeCandidates) {
    const clusters = Math.max(base.clusters, Math.ceil(highest / nodesPerCluster));
    if (clusters > autoShapeLimits.clusters || clusters * nodesPerCluster > autoShapeLimits.nodes) continue;
    let withMajority = 0;
    for (let c = 0; c < clusters; c++) {
      let up = 0;
      for (let i = 1; i <= nodesPerCluster; i++) if (live.has(c * nodesPerCluster + i)) up++;
      if (up * 2 > nodesPerCluster) withMajority++;
    }
    const score = withMajority / clusters;
    if (best === undefined || score > best.score) best = { shape: { clusters, nodesPerCluster }, score };
  }
  // planRun refuses a node past the limits first; a direct caller gets the largest shape.
  return (
    best?.shape ?? {
      clusters: autoShapeLimits.clusters,
      nodesPerCluster: autoShapeLimits.nodes / autoShapeLimits.clusters,
    }
  );
}

/** Refuses a set naming a node outside every shape the runner picks by itself, at the line that
 *  names it (the set's row for live and contact lists, the F/R row otherwise). */
function checkAutoShape(set: TestSet, base: Shape, fileName: string, prefix: string): void {
  const limit = Math.max(autoShapeLimits.nodes, base.clusters * base.nodesPerCluster);
  const rows: Array<[number, number]> = [...set.liveNodes, ...(set.contactServers ?? [])].map((n) => [n, set.line]);
  for (const c of set.commands) if (c.op === 'fail' || c.op === 'recover') rows.push([c.node, c.line]);
  const outside = rows.find(([node]) => node > limit);
  if (outside === undefined) return;
  const [node, line] = outside;
  throw new LedgerError(
    'bad-input',
    `${fileName} line ${line} (set ${set.set}): ${prefix}${node} is outside every shape the runner supports: expected ${prefix}1..${prefix}${limit} (at most ${autoShapeLimits.clusters} clusters of 3, 5 or 7 nodes, ${limit} nodes in all)`,
    { hint: `correct the node, or pass --set-shape ${set.set}=CxN to run this set on a larger cluster` },
  );
}

function namedNodes(set: TestSet): number[] {
  const nodes = [...set.liveNodes, ...(set.contactServers ?? [])];
  for (const c of set.commands) if (c.op === 'fail' || c.op === 'recover') nodes.push(c.node);
  return nodes;
}

function checkSet(set: TestSet, topology: Topology, fileName: string): void {
  const nodes = allNodes(topology).length;
  const where = (line: number) => `${fileName} line ${line} (set ${set.set})`;
  const shape = `${topology.clusters} clusters x ${topology.nodesPerCluster} nodes`;
  for (const node of [...set.liveNodes, ...(set.contactServers ?? [])]) {
    if (node > nodes)
      throw new LedgerError('bad-input', `${where(set.line)}: node ${node} does not exist in ${shape}`, {
        hint: 'pass --set-shape SET=CxN for this set',
      });
  }
  for (const command of set.commands) {
    for (const account of accountsOf(command)) {
      if (account > topology.accounts) {
        throw badInput(
          `${where(command.line)}: account ${account} does not exist (accounts are 1..${topology.accounts})`,
          'pass --accounts with the number of accounts the file was written for',
        );
      }
    }
    if ((command.op === 'fail' || command.op === 'recover') && command.node > nodes) {
      throw new LedgerError('bad-input', `${where(command.line)}: node ${command.node} does not exist in ${shape}`, {
        hint: 'pass --set-shape SET=CxN for this set',
      });
    }
  }
}

function accountsOf(command: TestCommand): number[] {
  if (command.op === 'transfer') return [command.from, command.to];
  if (command.op === 'balance') return [command.account];
  return [];
}

function firstLive(topology: Topology, live: ReadonlySet<NodeId>): Map<ClusterId, NodeId> {
  const leaders = new Map<ClusterId, NodeId>();
  for (let cluster = 1; cluster <= topology.clusters; cluster++) {
    const members = nodesOfCluster(topology, cluster);
    leaders.set(cluster, members.find((n) => live.has(n)) ?? (members[0] as NodeId));
  }
  return leaders;
}

/** Four-column sets: each cluster's contact server leads it; a cluster without one, or whose
 *  contact server is not live, its first live node (a failed leader would lead nobody). */
function contactLeaders(set: TestSet, topology: Topology, fileName: string): Map<ClusterId, NodeId> {
  const leaders = firstLive(topology, new Set(set.liveNodes));
  const seen = new Set<ClusterId>();
  for (const server of set.contactServers ?? []) {
    const cluster = clusterOfNode(topology, server);
    if (seen.has(cluster))
      throw badInput(
        `${fileName} line ${set.line} (set ${set.set}): two contact servers for cluster ${cluster}`,
        'list one contact server per cluster',
      );
    seen.add(cluster);
    if (set.liveNodes.includes(server)) leaders.set(cluster, server);
  }
  return leaders;
}

/** Parses `--set-shape 15=5x5`. */
export function parseSetShape(text: string): [number, Shape] {
  const match = /^\s*(\d+)\s*=\s*(\d+)\s*x\s*(\d+)\s*$/i.exec(text);
  if (match === null)
    throw badInput(`--set-shape "${text}" is not SET=CLUSTERSxNODES`, 'for example --set-shape 15=5x5');
  const shape = { clusters: Number(match[2]), nodesPerCluster: Number(match[3]) };
  validateTopology({ ...shape, accounts: Math.max(shape.clusters, 1), initialBalance: 0 });
  return [Number(match[1]), shape];
}

/** Runs of commands that may go in parallel under --concurrent: transactions between two F/R. */
export function segments(commands: readonly TestCommand[]): Array<Array<{ index: number; command: TestCommand }>> {
  const out: Array<Array<{ index: number; command: TestCommand }>> = [];
  let current: Array<{ index: number; command: TestCommand }> = [];
  commands.forEach((command, index) => {
    if (command.op === 'fail' || command.op === 'recover') {
      if (current.length > 0) out.push(current);
      out.push([{ index, command }]);
      current = [];
    } else {
      current.push({ index, command });
    }
  });
  if (current.length > 0) out.push(current);
  return out;
}
