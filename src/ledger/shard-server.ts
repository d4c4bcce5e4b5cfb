import { assert } from '../core/assert.js';
import type { AccountId, ClusterId, NodeId, Slot } from '../core/ids.js';
import { encodedBytesMax } from '../core/encoded-size.js';
import { limits, payloadBudgets, type PayloadBudgets } from '../core/limits.js';
import { fittingCount } from '../core/pack.js';
import type { Random } from '../core/random.js';
import type { Ballot } from '../paxos/ballot.js';
import type { LogEntry, Outbound, PaxosMessage } from '../paxos/messages.js';
import { Replica, type PaxosReady, type ReplicaInit, type ReplicaSettings, type Role } from '../paxos/replica.js';
import { accountsOf, commandKey, type Command, type Outcome } from './commands.js';
import { LockTable } from './lock-table.js';
import { mergePieces, snapshotPieces } from './snapshot-pieces.js';
import { isHeldRead, LedgerState, type Session, type StateWrites } from './state.js';
import { txnKey, type CoordinatorRecord, type ParticipantRecord } from '../twopc/records.js';
import { TwoPcDriver, type TwoPcEvent, type TwoPcSettings } from '../twopc/driver.js';
import type { TwoPcMessage, TwoPcOutbound } from '../twopc/messages.js';
import { senderCluster, twoPcRefusal, type TwoPcBounds } from '../twopc/message-bounds.js';

/** The value chosen in one Paxos slot: a batch of client commands (null is a NO-OP). */
export type Batch = Command[];

/**
 * One piece of a snapshot: the state machine's state at `appliedIndex`, sent to a member that
 * asked for slots this replica had compacted away. Pieces keep each message within its byte
 * budget (payloadBudgets); the receiver installs the snapshot once it holds all `chunks` of them.
 */
export interface SnapshotChunk {
  type: 'snapshot';
  from: NodeId;
  appliedIndex: Slot;
  chunk: number;
  chunks: number;
  balances: Array<[AccountId, number]>;
  sessions: Session[];
  coordinatorRecords: CoordinatorRecord[];
  participantRecords: ParticipantRecord[];
}

/** Everything the members of a cluster send each other. */
export type ShardMessage = PaxosMessage<Batch> | SnapshotChunk;

/** When to checkpoint and how much log to keep (docs/durability.md). */
export interface CheckpointSettings {
  /** Compact every this many applied slots. */
  intervalSlots: number;
  /** Keep this many applied slots below the checkpoint, so a follower that is only a little
   *  behind catches up from the log instead of needing a whole snapshot. */
  logTailSlots: number;
}

/** State hashes remembered, one per applied slot: enough for a consistency check to find a
 *  slot that every replica of a busy cluster has applied. */
const stateHashHistoryMax = 4_096;

/** Identifies one 2PC step of one transaction, so the leader proposes it once. */
function stepKey(command: Command): string {
  const role = command.op.kind === 'x-decide' ? `/${command.op.role}` : '';
  return `${command.op.kind}${role}/${commandKey(command.clientId, command.seq)}`;
}

/** The command marked as refused: applying it records the refusal and changes nothing else. */
function refused(command: Command, reason: string): Command {
  const { op } = command;
  assert(op.kind === 'transfer' || op.kind === 'x-prepare-coordinator' || op.kind === 'x-prepare-participant', `only lock-taking commands wait for locks, not ${op.kind}`);
  return { ...command, op: { ...op, abort: reason } };
}

/** A client request as the runtime hands it in; `reqId` is the runtime's handle for the reply. */
export interface ClientRequest {
  reqId: number;
  command: Command;
  /** How many nodes already forwarded it. */
  hops: number;
}

export type Response =
  /** `slot`: where the command took effect (an earlier slot for a repeat; undefined when unknown). */
  | { kind: 'outcome'; outcome: Outcome; servedBy: NodeId; slot: Slot | undefined }
  /** Not the leader: ask `leaderHint` (or any other member when unknown). Not a final answer. */
  | { kind: 'redirect'; leaderHint: NodeId | undefined }
  /** The leader's queues are full: back off and retry. Not a final answer. */
  | { kind: 'busy' };

export interface ShardReady {
  paxos: PaxosReady<Batch>;
  /** Present when commands were applied: persist with the Paxos state, in one transaction. */
  state: StateWrites | undefined;
  /** Send after persisting. */
  replies: Array<{ reqId: number; response: Response }>;
  forwards: Array<{ reqId: number; to: NodeId }>;
  /** Snapshot pieces for members that fell behind the log's floor. */
  snapshots: Array<{ to: NodeId; message: SnapshotChunk }>;
  /** Two-Phase Commit messages to other clusters' leaders (after persisting, like the rest). */
  twoPc: TwoPcOutbound[];
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
 * that ballot. Readies with a NEW-VIEW or a step of Two-Phase Commit keep the plain order,
 * so the crash tests' `before-send` failpoints still mean that nothing left.
 */
export function sendableBeforePersist(rd: ShardReady): Outbound<Batch>[] {
  if (rd.paxos.promised !== undefined || rd.paxos.newViews.length > 0 || rd.events.length > 0) return [];
  return rd.paxos.messages.filter((m) => m.message.type === 'accept');
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

export interface ShardServerInit {
  self: NodeId;
  cluster: ClusterId;
  members: NodeId[];
  /** Which cluster holds an account (undefined: no such account): routes cross-shard work. */
  clusterOfAccount: (account: AccountId) => ClusterId | undefined;
  twoPc: TwoPcSettings;
  coordinatorRecords?: CoordinatorRecord[];
  participantRecords?: ParticipantRecord[];
  settings: ReplicaSettings;
  random: Random;
  promised: Ballot;
  log: LogEntry<Batch>[];
  appliedIndex: Slot;
  balances: Map<AccountId, number>;
  sessions: Session[];
  logFloor?: Slot;
  checkpoint: CheckpointSettings;
  firstElectionTicks?: number;
  /** See ReplicaInit.initialLeader (a flush). */
  initialLeader?: NodeId;
  /** Client sessions and decided participant records kept (limits.clientSessionsMax by
   *  default); tests and the simulator set it low so that eviction happens. */
  sessionsMax?: number;
  /** The topology and the money, to refuse 2PC messages out of range (see twoPcRefusal). */
  twoPcBounds?: Omit<TwoPcBounds, 'cluster'>;
  /** Builds the Paxos replica; the simulator's broken-core test passes a subclass. */
  createReplica?: (init: ReplicaInit<Batch>) => Replica<Batch>;
}

/**
 * One replica of a shard: the Multi-Paxos replica plus the ledger state machine it feeds, the
 * leader's lock table and the client requests waiting for an answer. Pure: the runtime (or the
 * simulator) feeds it inputs and carries out its ready.
 */
export class ShardServer {
  readonly self: NodeId;
  readonly replica: Replica<Batch>;
  readonly state: LedgerState;
  private readonly locks = new LockTable();
  /** (applied slot, state hash after it), oldest first. */
  private readonly hashes: Array<[Slot, number]> = [];
  /** Requests waiting for their command to apply, by command key. */
  private readonly waiters = new Map<string, number[]>();
  /** Commands admitted by the leader, waiting for locks (FIFO), with the tick they arrived. */
  private queue: Array<{ command: Command; sinceTick: number }> = [];
  /** Commands holding their locks, waiting for room in the pipeline. */
  private batch: Command[] = [];
  private replies: ShardReady['replies'] = [];
  private forwards: ShardReady['forwards'] = [];
  private applied = false;
  /** The state writes handed out by ready(), kept until advance() so ready() can be repeated. */
  private readyWrites: StateWrites | undefined;
  /** A checkpoint was taken: the next ready writes the state (see ready()). */
  private checkpointDue = false;
  /** ready() proposed the batch already: it proposes once between two advance() calls. */
  private proposedThisTurn = false;
  private lastRole: Role;
  private readonly checkpoint: CheckpointSettings;
  private lastCheckpointSlot: Slot;
  private snapshots: ShardReady['snapshots'] = [];
  private twoPcOut: TwoPcOutbound[] = [];
  private events: TwoPcEvent[] = [];
  private ticks = 0;
  readonly cluster: ClusterId;
  private readonly clusterOfAccount: (account: AccountId) => ClusterId | undefined;
  private readonly twoPcSettings: TwoPcSettings;
  private readonly driver: TwoPcDriver;
  /** Until this tick the leader starts no new cross-shard transfer (an audit is counting). */
  private holdCrossShardUntilTick = 0;
  /** 2PC steps this leader queued or proposed and has not applied yet (each only once). */
  private readonly proposing = new Set<string>();
  /** When we last sent each member a snapshot: a snapshot is big, so at most one per interval. */
  private readonly snapshotSentAtTick = new Map<NodeId, number>();
  private readonly snapshotIntervalTicks: number;
  /** The snapshot being received, piece by piece (only the newest one is kept). */
  private incoming: { from: NodeId; appliedIndex: Slot; chunks: Map<number, SnapshotChunk>; total: number } | undefined;
  /** Bytes of one slot's commands and of one message, from the broker's max_payload. */
  private readonly budgets: PayloadBudgets;

  private readonly twoPcBounds: TwoPcBounds | undefined;
  private readonly refusedTwoPc = new Map<string, number>();

  constructor(init: ShardServerInit) {
    this.self = init.self;
    this.budgets = payloadBudgets(init.settings.payloadBytesMax ?? limits.natsMaxPayloadBytes);
    this.twoPcBounds = init.twoPcBounds === undefined ? undefined : { ...init.twoPcBounds, cluster: init.cluster };
    this.checkpoint = init.checkpoint;
    assert(init.checkpoint.intervalSlots > 0 && init.checkpoint.logTailSlots >= 0, 'checkpoint settings must be positive');
    this.lastCheckpointSlot = init.appliedIndex;
    this.snapshotIntervalTicks = init.settings.electionTicksMax;
    this.cluster = init.cluster;
    this.clusterOfAccount = init.clusterOfAccount;
    this.twoPcSettings = init.twoPc;
    this.state = new LedgerState({
      balances: init.balances,
      sessions: init.sessions,
      appliedIndex: init.appliedIndex,
      ...(init.sessionsMax === undefined ? {} : { sessionsMax: init.sessionsMax }),
      ...(init.coordinatorRecords === undefined ? {} : { coordinatorRecords: init.coordinatorRecords }),
      ...(init.participantRecords === undefined ? {} : { participantRecords: init.participantRecords }),
    });
    const server = this;
    this.driver = new TwoPcDriver(
      {
        cluster: init.cluster,
        state: this.state,
        get now() {
          return server.ticks;
        },
        propose: (command) => this.proposeStep(command),
        send: (toCluster, message) => this.twoPcOut.push({ toCluster, message }),
        event: (name) => this.events.push(name),
      },
      init.twoPc,
    );
    const createReplica = init.createReplica ?? ((r: ReplicaInit<Batch>) => new Replica<Batch>(r));
    this.replica = createReplica({
      self: init.self,
      members: init.members,
      settings: init.settings,
      random: init.random,
      promised: init.promised,
      log: init.log,
      appliedIndex: init.appliedIndex,
      ...(init.logFloor === undefined ? {} : { logFloor: init.logFloor }),
      ...(init.firstElectionTicks === undefined ? {} : { firstElectionTicks: init.firstElectionTicks }),
      ...(init.initialLeader === undefined ? {} : { initialLeader: init.initialLeader }),
    });
    this.lastRole = this.replica.role;
    this.recordHash();
  }

  get role(): Role {
    return this.replica.role;
  }

  /** Messages refused as out of range since start, by reason (Paxos and 2PC). */
  refusals(): Map<string, number> {
    const all = new Map(this.replica.refusals);
    for (const [reason, n] of this.refusedTwoPc) all.set(reason, (all.get(reason) ?? 0) + n);
    return all;
  }

  /** Commands waiting at this leader (queued for locks or for the pipeline). */
  get pendingCommands(): number {
    return this.queue.length + this.batch.length;
  }

  // ---- inputs ------------------------------------------------------------------------------

  request(req: ClientRequest): void {
    let { command } = req;
    const { op } = command;
    const own = op.kind === 'transfer' ? op.from : op.kind === 'balance' ? op.account : undefined;
    if (own === undefined || !this.state.hasAccount(own)) {
      this.reply(req.reqId, { status: 'rejected', reason: `account ${String(own)} is not in this shard` }, undefined);
      return;
    }
    if (op.kind === 'transfer' && !this.state.hasAccount(op.to)) {
      // Cross-shard: this cluster (the sender's) coordinates; the receiver's participates.
      const participant = this.clusterOfAccount(op.to);
      if (participant === undefined || participant === this.cluster) {
        this.reply(req.reqId, { status: 'rejected', reason: `account ${op.to} does not exist` }, undefined);
        return;
      }
      command = { ...command, op: { kind: 'x-prepare-coordinator', from: op.from, to: op.to, amount: op.amount, participant } };
    }
    // A leader read of an account a cross-shard transfer holds goes through the log instead
    // (it waits for the decision), so a credit whose commit a client was told is never missed.
    const leaderRead = op.kind === 'balance' && op.consistency === 'leader' && this.replica.isServing && this.state.lockHolder(op.account) === undefined;
    if (op.kind === 'balance' && (op.consistency === 'any' || leaderRead)) {
      // Served from this replica's applied state, without a log round (see Consistency).
      const balance = this.state.committedBalance(op.account) as number;
      this.reply(req.reqId, { status: 'ok', balance }, undefined);
      return;
    }
    if (this.replica.role !== 'leader') {
      const hint = this.replica.leaderHint;
      if (hint !== undefined && hint !== this.self && req.hops < limits.forwardHopsMax) this.forwards.push({ reqId: req.reqId, to: hint });
      else this.replies.push({ reqId: req.reqId, response: { kind: 'redirect', leaderHint: hint } });
      return;
    }
    if (command.op.kind !== 'balance') {
      const prior = this.state.priorOutcome(command.clientId, command.seq);
      if (prior !== undefined && prior !== 'undecided') {
        this.reply(req.reqId, prior.outcome, prior.slot);
        return;
      }
    }
    const key = commandKey(command.clientId, command.seq);
    const waiting = this.waiters.get(key);
    if (waiting !== undefined) {
      // A retry of a command already in flight: answer both when it is decided.
      waiting.push(req.reqId);
      return;
    }
    if (this.state.coordinatorRecord(key) !== undefined) {
      // A retry of a cross-shard transfer whose PREPARE is chosen: answer at its decision.
      this.waiters.set(key, [req.reqId]);
      return;
    }
    if (this.pendingCommands >= limits.pendingCommandsMax) {
      this.replies.push({ reqId: req.reqId, response: { kind: 'busy' } });
      return;
    }
    this.waiters.set(key, [req.reqId]);
    this.queue.push({ command, sinceTick: this.ticks });
    this.pump();
  }

  /** A Two-Phase Commit message from another cluster (`fromCluster`: the envelope's sender;
   *  checked against the topology and the message when the shard knows its bounds). */
  stepTwoPc(message: TwoPcMessage, fromCluster: ClusterId = senderCluster(message)): void {
    const refusal = this.twoPcBounds === undefined ? undefined : twoPcRefusal(message, fromCluster, this.twoPcBounds, (a) => this.state.balanceOf(a), (m) => this.state.participantRecord(txnKey(m.txn.clientId, m.txn.seq)) !== undefined);
    if (refusal !== undefined) {
      this.refusedTwoPc.set(refusal, (this.refusedTwoPc.get(refusal) ?? 0) + 1);
      return;
    }
    if (this.replica.isServing) {
      this.driver.onMessage(message);
    } else if (this.replica.role !== 'leader' && this.replica.leaderHint === undefined && message.type === 'prepare') {
      // We know of no leader here: say so, so the coordinator can tell `no-quorum` from `timeout`.
      this.twoPcOut.push({ toCluster: message.coordinator, message: { type: 'vote', txn: message.txn, participant: this.cluster, vote: 'no', reason: 'no-leader' } });
    }
    this.pump();
  }

  /**
   * Starts no new cross-shard transfer for `ticks` (they wait in the queue, without counting
   * against their lock wait); transactions already started run to their end. An audit uses
   * this to find a moment with no money between shards while intra-shard transfers go on.
   * Bounded, so a forgotten hold lifts itself.
   */
  holdCrossShard(ticks: number): void {
    this.holdCrossShardUntilTick = this.ticks + Math.max(0, ticks);
    this.pump();
  }

  /** The driver asks for a 2PC step to be chosen; a step already on its way is not queued twice. */
  private proposeStep(command: Command): void {
    const key = stepKey(command);
    if (this.proposing.has(key) || this.pendingCommands >= limits.pendingCommandsMax) return;
    this.proposing.add(key);
    this.queue.push({ command, sinceTick: this.ticks });
  }

  step(message: ShardMessage): void {
    if (message.type === 'snapshot') this.onSnapshotChunk(message);
    else this.replica.step(message);
    this.pump();
  }

  /** Leadership transfer: see Replica.campaign. */
  campaign(): void {
    this.replica.campaign();
    this.pump();
  }

  tick(): void {
    this.ticks++;
    this.replica.tick();
    if (this.replica.isServing) this.driver.onTick();
    this.pump();
  }

  // ---- outputs -----------------------------------------------------------------------------

  hasReady(): boolean {
    if (!this.proposedThisTurn && this.batch.length > 0 && this.replica.proposalRoom > 0) return true;
    return this.replica.hasReady() || this.applied || this.replies.length > 0 || this.forwards.length > 0 || this.snapshots.length > 0 || this.twoPcOut.length > 0;
  }

  ready(): ShardReady {
    // Propose on the first ready() of a turn only: a repeated ready() before advance() must not
    // apply more than the state writes it already handed out.
    if (!this.proposedThisTurn) this.proposeBatch();
    this.proposedThisTurn = true;
    const paxos = this.replica.ready();
    // The state is written at checkpoints only (with the compaction that needs it), or whole
    // after a snapshot: between two, what was applied is rebuilt from the log on a restart
    // (every chosen slot above the written applied index is still in it), so the per-command
    // writes of balances and sessions are spared on every replica.
    if (this.readyWrites === undefined && (this.checkpointDue || paxos.compactedThrough !== undefined || this.state.replacedSinceWrites)) {
      this.readyWrites = this.state.takeWrites();
      this.checkpointDue = false;
    }
    for (const to of paxos.snapshotsFor) this.sendSnapshot(to);
    return {
      paxos,
      state: this.readyWrites,
      replies: this.replies,
      forwards: this.forwards,
      snapshots: this.snapshots,
      twoPc: this.twoPcOut,
      events: this.events,
    };
  }

  advance(): void {
    this.proposedThisTurn = false;
    this.replica.advance();
    this.applied = false;
    this.readyWrites = undefined;
    this.replies = [];
    this.forwards = [];
    this.snapshots = [];
    this.twoPcOut = [];
    this.events = [];
  }

  // ---- internals ---------------------------------------------------------------------------

  /** After every input: notice a lost leadership, apply what was chosen, propose what waits. */
  private pump(): void {
    if (this.lastRole === 'leader' && this.replica.role !== 'leader') this.dropLeaderWork();
    this.lastRole = this.replica.role;
    for (const { slot, value } of this.replica.takeCommitted()) this.apply(slot, value ?? []);
    // Take the locks of what waits now (so the order of arrival decides who gets an account),
    // but propose only at the next ready(): see proposeBatch.
    if (this.replica.role === 'leader') this.admitWaiting();
    this.maybeCheckpoint();
  }

  /**
   * Group commit at the leader: commands are proposed once per ready(), not one by one as they
   * arrive, so one slot (one accept, one disk write on every replica) carries everything that
   * arrived since the previous ready, while that one was being persisted and sent. Proposing
   * each arrival at once would spend the whole pipeline on one-command slots under load.
   */
  private proposeBatch(): void {
    if (this.replica.role !== 'leader') return;
    // A single-member cluster chooses as it proposes: apply that at once, and since applying
    // releases locks, give what waits for them another look (a few rounds at most).
    for (let round = 0; round < 4; round++) {
      this.admitWaiting();
      while (this.batch.length > 0 && this.replica.proposalRoom > 0) {
        // A slot is bounded in commands and in bytes, so that the messages carrying slots
        // (accepts, catch-up replies, promises) can be packed under max_payload.
        const slotCommands = this.batch.splice(0, fittingCount(this.batch, 0, encodedBytesMax, this.budgets.slotBytesMax, limits.commandsPerSlotMax));
        const slot = this.replica.propose(slotCommands);
        assert(slot !== undefined, 'propose must succeed when the pipeline has room');
      }
      const chosen = this.replica.takeCommitted();
      if (chosen.length === 0) break;
      for (const { slot, value } of chosen) this.apply(slot, value ?? []);
    }
    this.maybeCheckpoint();
  }

  /**
   * Checkpoint: every `intervalSlots` applied slots, the state machine's state is written (see
   * ready()) and the log below it dropped, keeping a tail. The log on disk stays bounded under
   * endless load, and a restart replays at most an interval and a tail of it.
   */
  private maybeCheckpoint(): void {
    const applied = this.state.appliedIndex;
    if (applied - this.lastCheckpointSlot < this.checkpoint.intervalSlots) return;
    this.lastCheckpointSlot = applied;
    this.checkpointDue = true;
    const through = applied - this.checkpoint.logTailSlots;
    if (through > this.replica.logFloor) this.replica.compact(through);
  }

  private sendSnapshot(to: NodeId): void {
    const last = this.snapshotSentAtTick.get(to);
    if (last !== undefined && this.ticks - last < this.snapshotIntervalTicks) return;
    this.snapshotSentAtTick.set(to, this.ticks);
    const appliedIndex = this.state.appliedIndex;
    const whole = mergePieces(this.state.snapshotChunks(Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER));
    const pieces = snapshotPieces(whole, this.budgets.messageBytesMax - limits.messageOverheadBytes);
    pieces.forEach((piece, chunk) => {
      this.snapshots.push({ to, message: { type: 'snapshot', from: this.self, appliedIndex, chunk, chunks: pieces.length, ...piece } });
    });
  }

  private onSnapshotChunk(m: SnapshotChunk): void {
    if (!this.replica.isMember(m.from) || m.from === this.self) return;
    if (m.appliedIndex <= this.state.appliedIndex || m.chunk < 0 || m.chunk >= m.chunks) return;
    const current = this.incoming;
    if (current === undefined || m.appliedIndex > current.appliedIndex || (m.appliedIndex === current.appliedIndex && m.from !== current.from)) {
      this.incoming = { from: m.from, appliedIndex: m.appliedIndex, chunks: new Map(), total: m.chunks };
    } else if (m.appliedIndex < current.appliedIndex) {
      return;
    }
    const incoming = this.incoming as NonNullable<typeof this.incoming>;
    if (m.chunks !== incoming.total) return;
    incoming.chunks.set(m.chunk, m);
    if (incoming.chunks.size < incoming.total) return;
    this.incoming = undefined;
    const pieces = [...incoming.chunks.values()];
    if (!this.wholeShard(pieces.flatMap((p) => p.balances))) {
      this.refusedTwoPc.set('snapshot-out-of-range', (this.refusedTwoPc.get('snapshot-out-of-range') ?? 0) + 1);
      return;
    }
    this.state.install(incoming.appliedIndex, {
      balances: pieces.flatMap((p) => p.balances),
      sessions: pieces.flatMap((p) => p.sessions),
      coordinatorRecords: pieces.flatMap((p) => p.coordinatorRecords),
      participantRecords: pieces.flatMap((p) => p.participantRecords),
    });
    this.applied = true;
    this.readyWrites = undefined;
    this.replica.installSnapshot(incoming.appliedIndex);
    this.hashes.length = 0;
    this.recordHash();
    this.lastCheckpointSlot = incoming.appliedIndex;
  }

  /** A snapshot holds every account of this shard once, each with a possible balance. */
  private wholeShard(balances: ReadonlyArray<[AccountId, number]>): boolean {
    let accounts = 0;
    for (const _ of this.state.accounts()) accounts++;
    const moneyMax = this.twoPcBounds?.moneyTotal ?? Number.MAX_SAFE_INTEGER;
    return balances.length === accounts && new Set(balances.map(([a]) => a)).size === accounts && balances.every(([a, b]) => this.state.hasAccount(a) && b <= moneyMax);
  }

  /** The state hash after each recently applied slot, oldest first. */
  stateHashes(): Array<[Slot, number]> {
    return [...this.hashes];
  }

  private recordHash(): void {
    this.hashes.push([this.state.appliedIndex, this.state.stateHash]);
    if (this.hashes.length > stateHashHistoryMax) this.hashes.shift();
  }

  private apply(slot: Slot, commands: Batch): void {
    this.applied = true;
    const applied = this.state.applySlot(slot, commands);
    this.recordHash();
    const leading = this.replica.role === 'leader';
    for (const { command, outcome, executedIn } of applied) {
      const key = commandKey(command.clientId, command.seq);
      // The leader's lock covered the command until it applied; a prepared transaction is now
      // held by the replicated lock instead.
      this.locks.releaseAll(key, accountsOf(command.op));
      if (command.op.kind.startsWith('x-')) {
        this.proposing.delete(stepKey(command));
        if (leading) this.driver.onApplied(command);
      }
      if (outcome === undefined) continue;
      if (isHeldRead(command, outcome)) {
        // A read that found its account held when applied: the leader that took it asks again
        // once the account is free (admitWaiting), and its client waits for that answer.
        if (leading && this.waiters.has(key)) this.queue.push({ command, sinceTick: this.ticks });
        continue;
      }
      const waiting = this.waiters.get(key);
      if (waiting === undefined) continue;
      this.waiters.delete(key);
      for (const reqId of waiting) this.reply(reqId, outcome, executedIn);
    }
  }

  /** Moves queued commands whose accounts are free (or whose lock wait ran out) to the batch. */
  private admitWaiting(): void {
    if (this.queue.length > 0) {
      const still: typeof this.queue = [];
      for (const item of this.queue) {
        const { command } = item;
        if (command.op.kind === 'x-prepare-coordinator' && this.ticks < this.holdCrossShardUntilTick) {
          still.push({ command, sinceTick: this.ticks });
          continue;
        }
        const key = commandKey(command.clientId, command.seq);
        const accounts = accountsOf(command.op);
        const heldElsewhere = accounts.some((a) => {
          const holder = this.state.lockHolder(a);
          return holder !== undefined && holder !== key;
        });
        if (command.op.kind === 'balance') {
          // A read never sees a tentative value: it waits while a transaction holds the
          // account, here or in flight. It takes no lock: it is applied after what precedes it.
          if (!heldElsewhere && accounts.every((a) => this.locks.holderOf(a) === undefined)) this.batch.push(command);
          else if (this.ticks - item.sinceTick > 4 * this.twoPcSettings.lockWaitTicks) this.answerBusy(key);
          else still.push(item);
          continue;
        }
        if (!heldElsewhere && this.locks.tryAcquireAll(key, accounts)) {
          this.batch.push(command);
          if (command.op.kind === 'x-prepare-coordinator') this.events.push('coordinator:prepare-proposed');
          if (command.op.kind === 'x-prepare-participant') this.events.push('participant:prepare-proposed');
        } else if (this.ticks - item.sinceTick >= this.twoPcSettings.lockWaitTicks) {
          // Waited long enough: choose the refusal, so a retry gets the same answer.
          this.batch.push(refused(command, 'locked'));
        } else {
          still.push(item);
        }
      }
      this.queue = still;
    }
  }

  private answerBusy(key: string): void {
    for (const reqId of this.waiters.get(key) ?? []) this.replies.push({ reqId, response: { kind: 'busy' } });
    this.waiters.delete(key);
  }

  /** We are no longer the leader: whatever we proposed may still be chosen by the next one,
   *  so tell the waiting clients to retry there; their (client, seq) keeps it exactly-once. */
  private dropLeaderWork(): void {
    const hint = this.replica.leaderHint;
    for (const reqIds of this.waiters.values()) {
      for (const reqId of reqIds) this.replies.push({ reqId, response: { kind: 'redirect', leaderHint: hint } });
    }
    this.waiters.clear();
    this.queue = [];
    this.batch = [];
    this.locks.clear();
    this.proposing.clear();
    this.driver.reset();
  }

  private reply(reqId: number, outcome: Outcome, slot: Slot | undefined): void {
    this.replies.push({ reqId, response: { kind: 'outcome', outcome, servedBy: this.self, slot } });
  }
}
