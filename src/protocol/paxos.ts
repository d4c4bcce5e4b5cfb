import type { NodeId, Slot } from './ids.js';

/**
 * A ballot (round, node): totally ordered by round, then by node id, so two nodes never own the
 * same ballot and a leader never reuses one (a restarted node always moves to a higher round).
 */
export interface Ballot {
  round: number;
  node: NodeId;
}

/**
 * A log entry as an acceptor keeps it. `value` null is a NO-OP (a hole the new leader filled).
 * `chosen` records that this replica knows the value is chosen (decided), which it learns from
 * the leader's commit index or from a catch-up reply.
 */
export interface LogEntry<V> {
  slot: Slot;
  ballot: Ballot;
  value: V | null;
  chosen: boolean;
}

export interface SlotValue<V> {
  slot: Slot;
  value: V | null;
}

/** Messages between the members of one cluster. Every one carries the sender and a ballot or
 *  slot, so stale and duplicated copies are recognised and dropped. */
export type PaxosMessage<V> =
  /** "Would you vote for me?" without changing any state, so a node cut off from the others
   *  cannot inflate ballots and depose a healthy leader when it returns (pre-vote). */
  | { type: 'prevote'; from: NodeId; attempt: number; commitIndex: Slot }
  /** Echoes the attempt, so a grant delayed from an earlier pre-vote round does not count. */
  | { type: 'prevote-reply'; from: NodeId; attempt: number; granted: boolean }
  /** Phase 1a. `forced`: a leadership transfer asked for by an operator (`ledger node lead`):
   *  the acceptor sets aside its stable-leader rule for it; every other Paxos rule holds.
   *  `fromSlot`: asks for the page of the promise starting there (see `nextSlot`). */
  | { type: 'prepare'; from: NodeId; ballot: Ballot; forced?: boolean; fromSlot?: Slot }
  /** Phase 1b: the acceptor's entries above its commit index (all it may not know decided), in
   *  pages that fit in a message: `fromSlot` echoes the page asked for (absent: the first),
   *  `nextSlot` is where the next page starts (absent: this is the last). */
  | {
      type: 'promise';
      from: NodeId;
      ballot: Ballot;
      commitIndex: Slot;
      entries: LogEntry<V>[];
      fromSlot?: Slot;
      nextSlot?: Slot;
    }
  /** Phase 2a, batched; with no entries it is the leader's heartbeat. */
  | { type: 'accept'; from: NodeId; ballot: Ballot; commitIndex: Slot; entries: SlotValue<V>[] }
  /** Phase 2b (also the heartbeat answer, with no slots). */
  | { type: 'accepted'; from: NodeId; ballot: Ballot; slots: Slot[]; commitIndex: Slot }
  /** Refusal: the acceptor has promised a higher ballot. */
  | { type: 'nack'; from: NodeId; ballot: Ballot; promised: Ballot }
  /** A lagging replica asks for chosen slots from `fromSlot` on. */
  | { type: 'catchup-request'; from: NodeId; fromSlot: Slot }
  | { type: 'catchup-reply'; from: NodeId; commitIndex: Slot; entries: SlotValue<V>[] };

/** An outgoing message: to one member or to every other member of the cluster. */
export interface Outbound<V> {
  to: NodeId | 'all';
  message: PaxosMessage<V>;
}
