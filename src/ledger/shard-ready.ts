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
 * The messages to other clusters that may leave before the persist, with the accepts: a
 * coordinator's PREPARE. It commits nothing: whether or not the coordinator's own PREPARE is
 * ever chosen, a participant that prepares from it is answered from the coordinator's records
 * (a presumed abort where none is chosen), exactly as for a PREPARE sent once persisted but
 * before it is chosen (parallel commit). Sending it with the accepts lets the participant choose
 * its PREPARE while the coordinator writes its own. Votes, decisions and acks wait for the
 * persist: each reports a step chosen in this cluster's log.
 */
export function twoPcSendableBeforePersist(rd: ShardReady): ShardReady['twoPc'] {
  if (rd.paxos.promised !== undefined || rd.paxos.newViews.length > 0) return [];
  return rd.twoPc.filter((m) => m.message.type === 'prepare');
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
