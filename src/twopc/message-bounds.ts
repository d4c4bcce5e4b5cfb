import type { AccountId, ClusterId } from '../protocol/ids.js';
import type { TwoPcMessage } from '../protocol/twopc.js';

/** What a shard knows of the deployment to judge a Two-Phase Commit message. */
export interface TwoPcBounds {
  /** This shard's cluster. */
  cluster: ClusterId;
  /** Clusters are 1..clusters. */
  clusters: number;
  /** All the money that exists (every account's initial balance): no balance, and so no
   *  amount that moves between shards, can be above it. */
  moneyTotal: number;
}

/** The cluster a message says it comes from. */
export function senderCluster(m: TwoPcMessage): ClusterId {
  return m.type === 'prepare' || m.type === 'decision' ? m.coordinator : m.participant;
}

/**
 * Why a 2PC message is refused, or undefined. The decoder checks shapes; this checks the
 * values against the topology and the money, so a forged PREPARE cannot lock an account on
 * behalf of a cluster that does not exist (queried forever), nor credit an amount that makes a
 * balance an unsafe integer (whose snapshot no peer could decode).
 */
export function twoPcRefusal(
  m: TwoPcMessage,
  fromCluster: ClusterId,
  bounds: TwoPcBounds,
  balanceOf: (account: AccountId) => number | undefined,
  isRepeat: (m: Extract<TwoPcMessage, { type: 'prepare' }>) => boolean,
): string | undefined {
  if (
    !Number.isSafeInteger(fromCluster) ||
    fromCluster < 1 ||
    fromCluster > bounds.clusters ||
    fromCluster === bounds.cluster
  )
    return 'cluster-out-of-range';
  if (senderCluster(m) !== fromCluster) return 'cluster-not-the-sender';
  if (m.type === 'prepare') {
    if (m.amount > bounds.moneyTotal) return 'amount-out-of-range';
    // A repeat of a PREPARE this shard already holds a record of credits nothing (it is
    // answered from the record), and the balance may already hold its own tentative credit.
    if (isRepeat(m)) return undefined;
    const balance = balanceOf(m.to);
    if (balance !== undefined && balance + m.amount > bounds.moneyTotal) return 'amount-out-of-range';
  }
  return undefined;
}
