import type { Session } from './outcomes.js';
import type { AccountId, ClusterId } from './ids.js';
import type { MapEntry } from './shard-map.js';
import type { TwoPcMessage } from './twopc.js';

/**
 * A move of accounts from one cluster (the source) to another (the destination), as the source
 * chose it in its log (a `move-out` command): the accounts are no longer the source's from that
 * slot on, and this record carries them, with their balances and the client sessions that last
 * touched them, until the destination has chosen them in its own log (`move-in`) and said so
 * (`move-ack`). The record is the money in transit; docs/resharding.md tells the whole path.
 */
export interface OutboundMove {
  /** The shard map epoch the move gives its accounts: it identifies the move. */
  epoch: number;
  from: ClusterId;
  to: ClusterId;
  balances: Array<[AccountId, number]>;
  /** The sessions whose last command touched a moved account, so that a retry of it at the
   *  destination is answered, not run again (bounded: see limits.movedSessionsBytesMax). */
  sessions: Session[];
}

/** Messages between the leaders of two clusters about moves, on the 2PC subject (`ledger.c{C}.2pc`). */
export type MoveMessage =
  /** Source -> destination, repeated until acknowledged: take these accounts. */
  | { type: 'move'; move: OutboundMove }
  /** Destination -> source: the move of `epoch` is chosen in my log; forget its record. */
  | { type: 'move-ack'; from: ClusterId; epoch: number }
  /** Source -> every other cluster: these accounts moved (so their 2PC reaches the new owner). */
  | { type: 'map'; from: ClusterId; entries: MapEntry[] };

/** Everything one cluster's leader sends another's: Two-Phase Commit, and moves. */
export type ClusterMessage = TwoPcMessage | MoveMessage;

export function isMoveMessage(m: ClusterMessage): m is MoveMessage {
  return m.type === 'move' || m.type === 'move-ack' || m.type === 'map';
}
