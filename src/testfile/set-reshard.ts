import type { LedgerClient } from '../client/ledger-client.js';
import type { Topology } from '../ledger/topology.js';
import type { AccountId, ClusterId } from '../protocol/ids.js';
import { formatMove } from '../reshard/render.js';
import { reshard } from '../reshard/reshard.js';

/** The seed `ledger run` gives METIS: `ledger reshard`'s default, so both plan alike. */
export const runReshardSeed = 1;

/** PrintReshard after a set (the menu, `--reshard-after-each-set`), as the `--json` document has it. */
export type SetReshard =
  | {
      moves: Array<{ account: AccountId; from: ClusterId; to: ClusterId }>;
      /** The moves as PrintReshard prints them: `(4001, c2, c1)`. */
      triplets: string[];
      /** Transfers of the history the plan was made from. */
      historyTransfers: number;
      crossShareBefore: number;
      crossShareAfter: number;
    }
  /** The reshard could not be planned or carried out (say, a cluster with no node answering):
   *  the run goes on, and the map is whatever the moves done so far made it. */
  | { error: string };

/**
 * Reshards over the clusters' histories (after a flush, only this set's transfers) and carries
 * the moves out. No data dir: a run always plans afresh, so an unfinished plan of another run
 * (or of a set before a flush) is never resumed.
 */
export async function reshardSet(client: LedgerClient, topology: Topology): Promise<SetReshard> {
  try {
    const { plan } = await reshard(client, topology, { seed: runReshardSeed, dryRun: false, replan: true });
    return {
      moves: plan.moves,
      triplets: plan.moves.map(formatMove),
      historyTransfers: plan.historyTransfers,
      crossShareBefore: plan.crossShareBefore,
      crossShareAfter: plan.crossShareAfter,
    };
  } catch (error) {
    return { error: (error as Error).message };
  }
}

/** The text of a set's reshard: the triplets one per line, then the cross-shard share. */
export function setReshardLines(r: SetReshard): string[] {
  if ('error' in r) return [`  PrintReshard: failed: ${r.error}`];
  const pct = (x: number) => `${(x * 100).toFixed(1)} %`;
  return [
    '  PrintReshard:',
    ...(r.triplets.length === 0 ? ['  no account moves'] : r.triplets.map((t) => `  ${t}`)),
    `  cross-shard share of ${r.historyTransfers} transfers: ${pct(r.crossShareBefore)} → ${pct(r.crossShareAfter)}`,
  ];
}
