/**
 * Every bound in the system, with why it has the value it has. A queue without a bound is a
 * memory leak waiting for a slow consumer; naming the bound here makes it easy to find.
 */
export const limits = {
  /** Largest amount accepted for one transfer: keeps every balance a safe JS integer. */
  amountMax: Number.MAX_SAFE_INTEGER,
  /** Commands in one Paxos slot: big enough to amortise a round trip under load. A slot is
   *  bounded in bytes too (slotBytesMax below): a typical command is ~60-80 bytes encoded, so
   *  512 of them (~40 KB) fit, while commands with long ids or reasons fill a slot sooner. */
  commandsPerSlotMax: 512,
  /** Commands a batch must hold to be proposed while another slot is still in flight
   *  (src/ledger/proposer.ts): below it the batch waits for the pipeline to empty. */
  commandsPerSlotBehindMin: 32,
  /** Slots the leader keeps in flight (proposed, not yet chosen): the Phase 2 pipeline depth. */
  slotsInFlightMax: 16,
  /** Log entries in one catch-up reply or accept batch. Messages are bounded in bytes too
   *  (messageBytesMax below): 64 full slots would be ~4 MiB, far above max_payload. */
  entriesPerMessageMax: 64,
  /** The broker's max_payload (infra/nats-server.conf.template, and NATS's default): nats.js
   *  refuses to publish anything larger, so such a message would never leave the node. */
  natsMaxPayloadBytes: 1_048_576,
  /** A message's envelope and fixed fields (kind, cluster, generation, sender, ballot, commit
   *  index), counted generously on top of its entries: together they are ~100 bytes. */
  messageOverheadBytes: 1_024,
  /** Client commands a leader holds waiting for locks or for room in the pipeline; beyond this
   *  it answers "busy" and the client backs off instead of the leader's memory growing. */
  pendingCommandsMax: 20_000,
  /** Of those, what one client origin (clientOrigin in src/ledger/admission.ts: one client
   *  process) may hold; beyond it that client alone is told "busy". A quarter: one client
   *  flooding as fast as it can keeps three quarters of the queue for everyone else, while a
   *  benchmark at its largest concurrency (10 000 in flight, spread over three clusters) stays
   *  under it. */
  pendingCommandsPerOriginMax: 5_000,
  /** Bytes of one client request as it arrives (its envelope): the largest valid one is ~1.4 KB
   *  (a command of ~1.3 KB, see clientIdLengthMax), so anything above this is refused before it
   *  is decoded or held, however far under max_payload it is. */
  clientRequestBytesMax: 4_096,
  /** Requests in one client batch (a `request-batch` envelope), and answers in one
   *  `response-batch`: a client with 192 in flight to a leader sends them in one or two
   *  messages; and, with requestBatchBytesMax, a batch stays a small share of what a leader takes
   *  in one slot (commandsPerSlotMax). */
  requestsPerBatchMax: 256,
  /** Bytes of one request batch or response batch as it travels: 256 typical commands (~100
   *  bytes with their ids) fit, while large ones start the next batch. Far under max_payload
   *  (and the client takes the broker's own budget when it is lower: payloadBudgets), and
   *  refused before it is decoded above this, like clientRequestBytesMax for one request. */
  requestBatchBytesMax: 65_536,
  /** Requests one LedgerClient waits on at once (its reply correlation map): beyond it a new
   *  request waits (it is not sent) until others are answered. Twice the benchmark's largest
   *  concurrency (10 000). */
  clientRequestsInFlightMax: 20_000,
  /** Client sessions kept for exactly-once answers; the least recently used is evicted first.
   *  The bound of exactly-once: a retry runs again only after this many other clients recorded
   *  an answer since its client's request (clients retry within their deadline). Decided 2PC
   *  participant records are bounded by it too; forgetting one is safe (see setParticipant). */
  clientSessionsMax: 100_000,
  /** Characters of a client id, and of a reason (a refusal's or a decision's), checked on
   *  decode: with them every command has a worst case (a slot must hold at least one). At up to
   *  3 bytes a character, the largest command encodes to ~1.3 KB (tests/unit/message-size.test.ts). */
  clientIdLengthMax: 128,
  reasonLengthMax: 256,
  /** Longest hold on new cross-shard transfers one admin request may ask for (an audit renews
   *  its 2 s holds while it counts): a forgotten or forged hold lifts itself within this. */
  holdCrossShardMsMax: 10_000,
  /** Accounts one move carries, and shard map entries one map-merge carries. Both travel in a
   *  client request (clientRequestBytesMax: an entry encodes to ~40 bytes, an account to ~5),
   *  and a move's record, with its sessions, in one slot (slotBytesMax). A reshard of 1000
   *  accounts is then 16 moves, each a few log rounds. */
  accountsPerMoveMax: 64,
  mapEntriesPerMergeMax: 64,
  /** Bytes of the sessions one move carries to the destination (an upper bound of their
   *  encoding): the most recent first, so a slot (slotBytesMax, 64 KiB at NATS's default) holds
   *  the move with room to spare. A session beyond it stays behind: a retry of its command at
   *  the new owner would run again, like a retry after its session was evicted. */
  movedSessionsBytesMax: 24_576,
  /** Transfers one shard's history keeps for planning a reshard (the node's --history, 10 000
   *  by default): a bound on the state a snapshot carries and on a `history` admin reply. */
  historyCapacityMax: 100_000,
  /** Hops a forwarded request may take before it is dropped (stops forwarding loops between
   *  nodes that disagree about who leads during a view change). */
  forwardHopsMax: 2,
} as const;

/**
 * The byte budgets every growing message is packed under, derived from the broker's
 * max_payload. They are measured with encodedBytesMax (src/core/encoded-size.ts), an upper bound
 * of the CBOR encoding, so a message packed to its budget is never larger on the wire.
 * - messageBytesMax, half of max_payload: one accept batch, catch-up reply, promise page or
 *   snapshot piece. The other half is headroom for the envelope and for a broker configured a
 *   little differently; a message that barely fits would fail on the first change.
 * - slotBytesMax, a sixteenth: the commands of one slot. A message of the budget then carries at
 *   least 7 full slots, so catch-up and a NEW-VIEW still move several slots per round trip.
 * A slot or a message holds at least one item, so no item may come near its budget: the field
 * bounds in `limits` (clientIdLengthMax, reasonLengthMax) keep the largest command at ~1.3 KB, and even
 * a slot of 512 such commands (more than any leader packs) fits under max_payload alone
 * (tests/unit/message-size.test.ts checks both with the real codec).
 */
export interface PayloadBudgets {
  messageBytesMax: number;
  slotBytesMax: number;
}

export function payloadBudgets(maxPayloadBytes: number): PayloadBudgets {
  return { messageBytesMax: Math.floor(maxPayloadBytes / 2), slotBytesMax: Math.floor(maxPayloadBytes / 16) };
}
