/**
 * Every bound in the system, with why it has the value it has. A queue without a bound is a
 * memory leak waiting for a slow consumer; naming the bound here makes it easy to find.
 */
export const limits = {
  /** Largest amount accepted for one transfer: keeps every balance a safe JS integer. */
  amountMax: Number.MAX_SAFE_INTEGER,
  /** Commands in one Paxos slot. Big enough to amortise a round trip under load, small enough
   *  that one accept message stays far below NATS's 1 MiB max_payload (~60 bytes a command). */
  commandsPerSlotMax: 512,
  /** Slots the leader keeps in flight (proposed, not yet chosen): the Phase 2 pipeline depth. */
  slotsInFlightMax: 16,
  /** Log entries in one catch-up reply or accept batch, again to stay below max_payload. */
  entriesPerMessageMax: 64,
  /** Client commands a leader holds waiting for locks or for room in the pipeline; beyond this
   *  it answers "busy" and the client backs off instead of the leader's memory growing. */
  pendingCommandsMax: 20_000,
  /** Client sessions kept for exactly-once answers; the least recently used is evicted first. */
  clientSessionsMax: 100_000,
  /** Longest hold on new cross-shard transfers one admin request may ask for (an audit renews
   *  its 2 s holds while it counts): a forgotten or forged hold lifts itself within this. */
  holdCrossShardMsMax: 10_000,
  /** Hops a forwarded request may take before it is dropped (stops forwarding loops between
   *  nodes that disagree about who leads during a view change). */
  forwardHopsMax: 2,
} as const;
