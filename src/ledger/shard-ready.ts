import type { Outbound } from '../protocol/paxos.js';
import type { PaxosReady } from '../paxos/replica.js';
import type { TwoPcEvent } from '../twopc/driver.js';
import type { ClusterMessage } from '../protocol/moves.js';
import type { ClusterId, NodeId } from '../protocol/ids.js';
import type { Batch } from '../protocol/commands.js';
import type { Response, SnapshotChunk } from '../protocol/client.js';
import type { StateWrites } from '../protocol/state-writes.js';

/** What one turn of the Ready loop hands the runtime: everything to persist, then to send. */
export interface ShardReady {
  paxos: PaxosReady<Batch>;
  /** Present when commands were applied: persist with the Paxos state, in one transaction. */
  state: StateWrites | undefined;
  /** Send after persisting. */
  replies: Array<{ reqId: number; response: Response }>;
  forwards: Array<{ reqId: number; to: NodeId }>;
  /** Snapshot pieces for members that fell behind the log's floor. */
  snapshots: Array<{ to: NodeId; message: SnapshotChunk }>;
  /** Two-Phase Commit and move messages to other clusters' leaders (after persisting, like the
   *  rest). */
  twoPc: Array<{ toCluster: ClusterId; message: ClusterMessage }>;
  /** Steps of Two-Phase Commit this ready carries out (failpoints and logs watch them). */
  events: TwoPcEvent[];
}

/**
 * The messages of a ready that may leave before it is persisted: a leader's accepts (its
 * proposals and the commit index). Persist before send protects promises and accepteds, the
 * votes an acceptor gives; an accept is the proposer's request, not a vote. The leader's own
 * acceptance of what it proposes is in this ready's entries, and it counts as a vote only
 * when a follower's accepted is stepped in, which happens after this ready was persisted and
 * advanced. Sending the accepts first lets the followers write to disk while the leader does,
 * one disk write less on the path of every slot. A crash before the persist loses the
 * leader's own acceptance and nothing else: the ballot was promised durably before (a ready
 * that carries a promise sends nothing early), and a restarted node never proposes again in
 * that ballot. Readies with a NEW-VIEW keep the plain order.
 */
export function sendableBeforePersist(rd: ShardReady): Outbound<Batch>[] {
  if (rd.paxos.promised !== undefined || rd.paxos.newViews.length > 0) return [];
  return rd.paxos.messages.filter((m) => m.message.type === 'accept');
}

/**
 * Whether the rest of a ready (its client replies, forwards and messages to other clusters)
 * may leave with the accepts, before the persist. None of them is a vote this node gives: each
 * reports what is already chosen, durable on a majority that does not need this node's write
 * (a reply for an applied slot, a participant's vote on a chosen PREPARE, a decision, an
 * acknowledgement, a committed answer once both PREPAREs are chosen, an applied move of
 * accounts, its acknowledgement and map entries), or commits nothing (a
 * coordinator's PREPARE, whose own slot may never be chosen and is then presumed aborted; a
 * forward; a refusal). A leader counts its own acceptance of a slot only once it is persisted,
 * so a ready never reports a slot chosen by the write it carries. Two exceptions keep the plain
 * order: a single-member cluster, whose own write is the whole majority, and a ready with a
 * promise or a NEW-VIEW (a new ballot is being taken). Without this, a reply or a vote that
 * shares its ready with the next slot's proposal waits for that slot's synchronous commit.
 */
export function restSendableBeforePersist(rd: ShardReady, members: number): boolean {
  return members > 1 && rd.paxos.promised === undefined && rd.paxos.newViews.length === 0;
}

/** The plain order for a node under a failpoint (src/node/failpoints.ts): a ready that carries
 *  a step of Two-Phase Commit sends nothing before its persist, so that a crash `before-send`
 *  means that nothing of that step left. */
export function sendableBeforePersistUnderFailpoint(rd: ShardReady): Outbound<Batch>[] {
  return rd.events.length > 0 ? [] : sendableBeforePersist(rd);
}

/**
 * Whether a ready must reach the disk (fsync) before its messages leave, or only the file (the
 * OS's page cache: it survives a crash of the process, not a power loss).
 *
 * Only an acceptor's votes need the disk: a promise (`promised`) and an entry it accepted and
 * does not know chosen. A message that leaves after them (a promise, an accepted) is a vote
 * somebody counts, and a vote forgotten in a power loss could let two values be chosen. The
 * rest is knowledge derived from values already chosen by a majority's durable votes: chosen
 * marks, entries learned by catch-up, applied balances, sessions, Two-Phase Commit records,
 * compaction. SQLite's WAL keeps transactions in order, so what a power loss takes is always a
 * suffix: a node that loses them knows less and learns it again from its peers and its log (a
 * new leader re-proposes what the promises report). A single-member cluster counts its own
 * acceptance as the whole majority, so everything it writes is a vote.
 */
export function mustSyncBeforeSend(rd: ShardReady, members: number): boolean {
  if (members === 1) return true;
  if (rd.paxos.promised !== undefined || rd.paxos.newViews.length > 0) return true;
  return rd.paxos.entries.some((e) => !e.chosen);
}
