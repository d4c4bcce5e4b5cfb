import type { ClusterId } from '../protocol/ids.js';
import { formatMetisGraph, metisWeightPadding, type AccountGraph } from './graph.js';
import { labelParts, overlapOf } from './labels.js';
import { partitionWithGpmetis, ufactorForTolerance } from './metis.js';

export interface ProposeOptions {
  seed: number;
  balanceTolerance: number;
  accounts: number;
  /** The gpmetis to run; `gpmetis` from PATH by default. */
  gpmetis?: string;
}

/**
 * METIS's proposal: each vertex's cluster once gpmetis has partitioned the graph into one part
 * per cluster and the parts are labelled to keep the most accounts home. A heavy vertex stands
 * for the accounts in no history, which never move: it stays in its cluster whatever part METIS
 * gave it. What of the proposal is worth carrying out is trim.ts's call.
 */
export async function proposePlacement(graph: AccountGraph, options: ProposeOptions): Promise<ClusterId[]> {
  const { clusters } = graph;
  const ufactor = ufactorForTolerance(options.balanceTolerance, clusters, options.accounts, metisWeightPadding(graph));
  const partition = await partitionWithGpmetis(
    { text: formatMetisGraph(graph), vertices: graph.owners.length },
    clusters,
    { seed: options.seed, ufactor, binary: options.gpmetis },
  );
  const labels = labelParts(overlapOf(partition, graph.owners, graph.accountCounts, clusters));
  return partition.map((p, v) => (v < clusters ? graph.owners[v]! : labels[p]!));
}
