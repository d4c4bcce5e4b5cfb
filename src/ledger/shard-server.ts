import type { AccountId, ClusterId, NodeId, Slot } from '../protocol/ids.js';
import { limits, payloadBudgets, type PayloadBudgets } from '../core/limits.js';
import type { Random } from '../core/random.js';
import type { Ballot, LogEntry } from '../protocol/paxos.js';
import type { ReplicaRole } from '../core/roles.js';
import { Replica, type PaxosReady, type ReplicaInit, type ReplicaSettings } from '../paxos/replica.js';
import type { ClientRequest, ShardMessage } from '../protocol/client.js';
import type { Batch, Operation, Outcome, Session } from '../protocol/commands.js';
import { TwoPcDriver, type TwoPcSettings } from '../twopc/driver.js';
import type { CoordinatorRecord, ParticipantRecord, TwoPcMessage } from '../protocol/twopc.js';
import { senderCluster, type TwoPcBounds } from '../twopc/message-bounds.js';
import { isTwoPcStep } from '../twopc/steps.js';
import { Admission } from './admission.js';
import { Checkpoints, type CheckpointSettings } from './checkpoints.js';
import { ClientWaiters } from './client-waiters.js';
import { commandKey } from './commands.js';
import { proposeBatch, type ProposerHost } from './proposer.js';
import { routeRequest } from './request-routing.js';
import type { ShardReady } from './shard-ready.js';
import { SnapshotReceiver, SnapshotSender, type SnapshotTarget } from './snapshot-transfer.js';
import { isHeldRead, LedgerState } from './state.js';
import { StateHashHistory } from './state-hashes.js';
import { MoveDriver } from './move-driver.js';
import { isMoveMessage, type ClusterMessage, type OutboundMove } from '../protocol/moves.js';
import type { MapEntry } from '../protocol/shard-map.js';
import { isWrongShard } from '../protocol/commands.js';

export interface ShardServerInit {
  self: NodeId;
  cluster: ClusterId;
  members: NodeId[];
  /** Which cluster held an account at the start, in the initial shard map (undefined: no such
   *  account). The shard's replicated map (LedgerState.map) says where it is now. */
  clusterOfAccount: (account: AccountId) => ClusterId | undefined;
  /** Resharding's durable state (see LedgerState), and how many transfers the history keeps. */
  mapEntries?: MapEntry[];
  outboundMoves?: OutboundMove[];
  history?: Array<[AccountId, AccountId]>;
  historyStart?: number;
  historyCapacity?: number;
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
  /** Builds the 2PC driver (tests/sim/broken-core.test.ts passes one with a rule broken). */
  createTwoPcDriver?: (...args: ConstructorParameters<typeof TwoPcDriver>) => TwoPcDriver;
}

/**
 * One replica of a shard, composed of its parts: the Multi-Paxos replica, the ledger state
 * machine it feeds (with its 2PC records), the 2PC driver, request admission (admission.ts),
 * the proposer (proposer.ts), checkpoints (checkpoints.ts), snapshot transfer
 * (snapshot-transfer.ts) and the state hash history (state-hashes.ts). Pure: the runtime (or
 * the simulator) feeds it inputs, proposes once per turn (propose), and carries out its ready,
 * which only collects what is to be persisted and sent.
 */
export class ShardServer {
  readonly self: NodeId;
  readonly replica: Replica<Batch>;
  readonly state: LedgerState;
  readonly cluster: ClusterId;
  private readonly admission = new Admission();
  private readonly waiters = new ClientWaiters();
  private readonly hashes = new StateHashHistory();
  private readonly checkpoints: Checkpoints;
  private readonly snapshotSender: SnapshotSender;
  private readonly snapshotReceiver = new SnapshotReceiver();
  private readonly driver: TwoPcDriver;
  private readonly proposer: ProposerHost;
  private replies: ShardReady['replies'] = [];
  private forwards: ShardReady['forwards'] = [];
  private twoPcOut: ShardReady['twoPc'] = [];
  private readonly moves: MoveDriver;
  private events: ShardReady['events'] = [];
  /** Something was applied since the last advance(). */
  private applied = false;
  private lastRole: ReplicaRole;
  private ticks = 0;
  private readonly clusterOfAccount: (account: AccountId) => ClusterId | undefined;
  private readonly twoPcSettings: TwoPcSettings;
  /** Until this tick the leader starts no new cross-shard transfer (an audit is counting). */
  private holdCrossShardUntilTick = 0;
  /** Bytes of one slot's commands and of one message, from the broker's max_payload. */
  private readonly budgets: PayloadBudgets;
  private readonly twoPcBounds: TwoPcBounds | undefined;
  /** What a snapshot received replaces (see SnapshotReceiver.step). */
  private readonly snapshotTarget: SnapshotTarget;

  constructor(init: ShardServerInit) {
    this.self = init.self;
    this.budgets = payloadBudgets(init.settings.payloadBytesMax ?? limits.natsMaxPayloadBytes);
    this.twoPcBounds = init.twoPcBounds === undefined ? undefined : { ...init.twoPcBounds, cluster: init.cluster };
    this.checkpoints = new Checkpoints(init.checkpoint, init.appliedIndex);
    this.snapshotSender = new SnapshotSender(init.self, init.settings.electionTicksMax, this.budgets.messageBytesMax);
    this.cluster = init.cluster;
    const initialOwner = init.clusterOfAccount;
    this.clusterOfAccount = (account) => this.state.map.ownerOf(account, initialOwner);
    this.twoPcSettings = init.twoPc;
    this.state = new LedgerState({
      cluster: init.cluster,
      ...(init.mapEntries === undefined ? {} : { mapEntries: init.mapEntries }),
      ...(init.outboundMoves === undefined ? {} : { outboundMoves: init.outboundMoves }),
      ...(init.history === undefined ? {} : { history: init.history }),
      ...(init.historyStart === undefined ? {} : { historyStart: init.historyStart }),
      ...(init.historyCapacity === undefined ? {} : { historyCapacity: init.historyCapacity }),
      balances: init.balances,
      sessions: init.sessions,
      appliedIndex: init.appliedIndex,
      ...(init.sessionsMax === undefined ? {} : { sessionsMax: init.sessionsMax }),
      ...(init.coordinatorRecords === undefined ? {} : { coordinatorRecords: init.coordinatorRecords }),
      ...(init.participantRecords === undefined ? {} : { participantRecords: init.participantRecords }),
    });
    const server = this;
    const createDriver = init.createTwoPcDriver ?? ((...args) => new TwoPcDriver(...args));
    this.driver = createDriver(
      {
        cluster: init.cluster,
        state: this.state,
        get now() {
          return server.ticks;
        },
        get recoveredUpTo() {
          return server.replica.recoveredUpTo;
        },
        propose: (command, waitForCompany) => this.admission.offer(command, this.ticks, waitForCompany),
        send: (toCluster, message) => this.twoPcOut.push({ toCluster, message }),
        event: (name) => this.events.push(name),
        // Parallel commit: the outcome before its decision is chosen (see TwoPcDriver.onVote).
        answer: (txn, outcome) => {
          for (const reqId of this.waiters.take(commandKey(txn.clientId, txn.seq)))
            this.reply(reqId, outcome, undefined);
        },
      },
      init.twoPc,
      this.twoPcBounds,
    );
    this.moves = new MoveDriver(
      {
        cluster: init.cluster,
        clusters: init.twoPcBounds?.clusters,
        state: this.state,
        get now() {
          return server.ticks;
        },
        propose: (command) => this.admission.offer(command, this.ticks),
        send: (toCluster, message) => this.twoPcOut.push({ toCluster, message }),
      },
      init.twoPc.resendTicks,
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
    this.proposer = {
      replica: this.replica,
      admission: this.admission,
      admitWaiting: () => this.admitWaiting(),
      applyChosen: () => this.applyChosen(),
    };
    this.snapshotTarget = {
      self: this.self,
      replica: this.replica,
      state: this.state,
      hashes: this.hashes,
      checkpoints: this.checkpoints,
      moneyMax: this.twoPcBounds?.moneyTotal ?? Number.MAX_SAFE_INTEGER,
    };
    this.lastRole = this.replica.role;
    this.recordHash();
  }

  get role(): ReplicaRole {
    return this.replica.role;
  }

  /** Messages refused as out of range since start, by reason (Paxos and 2PC). */
  refusals(): Map<string, number> {
    const all = new Map(this.replica.refusals);
    for (const [reason, n] of [...this.driver.refused, ...this.snapshotReceiver.refused])
      all.set(reason, (all.get(reason) ?? 0) + n);
    if (this.moves.refused > 0) all.set('move-not-for-us', this.moves.refused);
    return all;
  }

  /** Commands waiting at this leader (queued for locks or for the pipeline). */
  get pendingCommands(): number {
    return this.admission.pending;
  }

  /** 2PC steps waiting at this leader for other commands to share their slot (a tick or two at
   *  most: TwoPcDriver.propose). */
  get stepsWaitingForCompany(): number {
    return this.admission.waitingForCompanyCount;
  }

  /** The state hash after each recently applied slot, oldest first. */
  stateHashes(): Array<[Slot, number]> {
    return this.hashes.list();
  }

  // ---- inputs ------------------------------------------------------------------------------

  request(req: ClientRequest): void {
    const routing = routeRequest(req, {
      self: this.self,
      cluster: this.cluster,
      state: this.state,
      replica: this.replica,
      clusterOfAccount: this.clusterOfAccount,
      isWaiting: (key) => this.waiters.has(key),
      queuesFull: this.admission.fullFor(req.command.clientId),
    });
    switch (routing.kind) {
      case 'answer':
        return this.reply(req.reqId, routing.outcome, routing.slot, wrongShardAccount(req.command.op, routing.outcome));
      case 'forward':
        this.forwards.push({ reqId: req.reqId, to: routing.to });
        return;
      case 'redirect':
        this.replies.push({ reqId: req.reqId, response: { kind: 'redirect', leaderHint: routing.leaderHint } });
        return;
      case 'busy':
        this.replies.push({ reqId: req.reqId, response: { kind: 'busy' } });
        return;
      case 'join':
        return this.waiters.add(routing.key, req.reqId);
      case 'admit':
        this.waiters.add(routing.key, req.reqId);
        this.admission.enqueue(routing.command, this.ticks);
        this.pump();
        return;
    }
  }

  /** A Two-Phase Commit message from another cluster (`fromCluster`: the envelope's sender;
   *  checked against the topology and the message when the shard knows its bounds). */
  stepTwoPc(message: ClusterMessage, fromCluster?: ClusterId): void {
    if (isMoveMessage(message)) {
      // Only the serving leader acts on a move; the source resends it until acknowledged.
      if (fromCluster !== undefined && this.replica.role === 'leader' && this.replica.isServing)
        this.moves.receive(message, fromCluster);
      this.pump();
      return;
    }
    this.stepTwoPcMessage(message, fromCluster ?? senderCluster(message));
  }

  private stepTwoPcMessage(message: TwoPcMessage, fromCluster: ClusterId): void {
    this.driver.receive(message, fromCluster, { serving: this.replica.isServing, leaderless: this.leaderless });
    this.pump();
  }

  /** Not leading, and knowing of no leader: a PREPARE then gets a `no-leader` no, so that its
   *  coordinator aborts `no-quorum` early (TwoPcDriver.receive). */
  private get leaderless(): boolean {
    return this.replica.role !== 'leader' && this.replica.leaderHint === undefined;
  }

  /** Whether messages to this cluster's leader (2PC, moves) concern this node: it leads, or it
   *  knows of no leader and answers a PREPARE `no-leader`. Another follower only drops them, so
   *  the node hears its cluster's 2PC subject only while this holds (src/node/ledger-node.ts). */
  get answersClusterMessages(): boolean {
    return this.replica.role === 'leader' || this.leaderless;
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

  step(message: ShardMessage): void {
    if (message.type === 'snapshot') {
      if (this.snapshotReceiver.step(message, this.snapshotTarget)) this.applied = true;
    } else this.replica.step(message);
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
    if (this.replica.isServing) {
      this.driver.onTick();
      if (this.replica.role === 'leader') this.moves.onTick();
    }
    this.pump();
  }

  /**
   * Input: propose what waits, in as few slots as fit (group commit, see proposer.ts). The
   * runtime calls it once per turn of its Ready loop, before hasReady(). Like every input, never
   * between ready() and advance() (the runtime holds inputs meanwhile): a single-member cluster
   * applies as it proposes, which would change what the ready being persisted should hold.
   */
  propose(): void {
    proposeBatch(this.proposer, this.budgets.slotBytesMax);
    this.maybeCheckpoint();
  }

  // ---- outputs -----------------------------------------------------------------------------

  hasReady(): boolean {
    return (
      this.replica.hasReady() ||
      this.applied ||
      this.replies.length > 0 ||
      this.forwards.length > 0 ||
      this.twoPcOut.length > 0
    );
  }

  /**
   * Collects what is to be persisted and sent, from the current state: changes nothing, so
   * calling it again before advance() gives the same ready. advance() acknowledges it.
   */
  ready(): ShardReady {
    const paxos = this.replica.ready();
    return {
      paxos,
      state: this.stateWritesDue(paxos) ? this.state.pendingWrites() : undefined,
      replies: this.replies,
      forwards: this.forwards,
      snapshots: paxos.snapshotsFor.flatMap((to) => this.snapshotSender.piecesFor(to, this.ticks, this.state)),
      twoPc: this.twoPcOut,
      events: this.events,
    };
  }

  /**
   * The runtime persisted and sent the last ready: forget what it held. No input comes between
   * ready() and advance(), so the state it was built from is still the current one.
   */
  advance(): void {
    const paxos = this.replica.ready();
    if (this.stateWritesDue(paxos)) {
      this.state.writesPersisted();
      this.checkpoints.written();
    }
    for (const to of paxos.snapshotsFor) this.snapshotSender.sent(to, this.ticks);
    this.replica.advance();
    this.applied = false;
    this.replies = [];
    this.forwards = [];
    this.twoPcOut = [];
    this.events = [];
  }

  // ---- internals ---------------------------------------------------------------------------

  /** After every input: notice a lost leadership, apply what was chosen, admit what waits. */
  private pump(): void {
    if (this.lastRole === 'leader' && this.replica.role !== 'leader') this.dropLeaderWork();
    this.lastRole = this.replica.role;
    this.applyChosen();
    // Take the locks of what waits now (so the order of arrival decides who gets an account),
    // but propose only at the next propose(): see proposer.ts.
    if (this.replica.role === 'leader') this.admitWaiting();
    this.maybeCheckpoint();
  }

  /** Who holds an account as a transaction prepared here by its coordinator (wait-die). */
  private readonly preparedCoordinator = (account: AccountId): string | undefined => {
    const key = this.state.twoPc.lockHolder(account);
    return key !== undefined && this.state.twoPc.coordinatorRecord(key)?.state === 'prepared' ? key : undefined;
  };

  private admitWaiting(): void {
    this.admission.admitWaiting({
      now: this.ticks,
      holdCrossShard: this.ticks < this.holdCrossShardUntilTick,
      prepared: this.state.twoPc.lockHolder,
      preparedCoordinator: this.preparedCoordinator,
      lockWaitTicks: this.twoPcSettings.lockWaitTicks,
      awaited: (command) => this.waiters.has(commandKey(command.clientId, command.seq)),
      onAdmitted: (command) => this.driver.onAdmitted(command),
      onLockWaitGaveUp: (key) => this.answerLocked(key),
    });
  }

  /**
   * Whether the ready carries the state. It is written at checkpoints only (with the compaction
   * that needs it), or whole after a snapshot: between two, what was applied is rebuilt from the
   * log on a restart (every chosen slot above the written applied index is still in it), so the
   * per-command writes of balances and sessions are spared on every replica.
   */
  private stateWritesDue(paxos: PaxosReady<Batch>): boolean {
    return this.checkpoints.writesDue || paxos.compactedThrough !== undefined || this.state.replacedSinceWrites;
  }

  private maybeCheckpoint(): void {
    const through = this.checkpoints.afterApply(this.state.appliedIndex, this.replica.logFloor);
    if (through !== undefined) this.replica.compact(through);
  }

  private recordHash(): void {
    this.hashes.record(this.state.appliedIndex, this.state.stateHash);
  }

  /** Applies every slot the replica has chosen since the last call; false when there was none. */
  private applyChosen(): boolean {
    const chosen = this.replica.takeCommitted();
    for (const { slot, value } of chosen) this.apply(slot, value ?? []);
    return chosen.length > 0;
  }

  private apply(slot: Slot, commands: Batch): void {
    this.applied = true;
    const applied = this.state.applySlot(slot, commands);
    this.recordHash();
    const leading = this.replica.role === 'leader';
    for (const { command, outcome, executedIn } of applied) {
      const key = commandKey(command.clientId, command.seq);
      this.admission.release(command);
      if (isTwoPcStep(command.op) && leading) this.driver.onApplied(command);
      if (leading) this.moves.onApplied(command);
      if (outcome === undefined) continue;
      if (isHeldRead(command, outcome)) {
        // A read that found its account held when applied: the leader that took it asks again
        // once the account is free (admitWaiting), and its client waits for that answer.
        if (leading && this.waiters.has(key)) this.admission.enqueue(command, this.ticks);
        continue;
      }
      for (const reqId of this.waiters.take(key))
        this.reply(reqId, outcome, executedIn, wrongShardAccount(command.op, outcome));
    }
  }

  private answerLocked(key: string): void {
    for (const reqId of this.waiters.take(key)) this.replies.push({ reqId, response: { kind: 'busy', locked: true } });
  }

  /** We are no longer the leader: whatever we proposed may still be chosen by the next one,
   *  so tell the waiting clients to retry there; their (client, seq) keeps it exactly-once. */
  private dropLeaderWork(): void {
    const hint = this.replica.leaderHint;
    for (const reqId of this.waiters.takeAll())
      this.replies.push({ reqId, response: { kind: 'redirect', leaderHint: hint } });
    this.admission.clear();
    this.driver.reset();
    this.moves.reset();
  }

  private reply(reqId: number, outcome: Outcome, slot: Slot | undefined, account?: AccountId): void {
    const response: Extract<ShardReady['replies'][number]['response'], { kind: 'outcome' }> = {
      kind: 'outcome',
      outcome,
      servedBy: this.self,
      slot,
    };
    // A wrong shard: say where this node's map has the account, so the client asks there (or,
    // naming this cluster, with the epoch its account arrived at: Command.mapEpoch). Only an
    // entry of a move (epoch >= 1): the initial owner is no news to a client, and an owner at
    // epoch 0 is not a map entry (the client's decoder refuses it, and the whole reply with it).
    if (account !== undefined && isWrongShard(outcome)) {
      const entry = this.state.map.entryOf(account);
      if (entry !== undefined) response.owner = { ...entry };
    }
    this.replies.push({ reqId, response });
  }
}

/** The account a wrong-shard answer is about: the receiver's when another cluster refused it
 *  (an abort of a cross-shard transfer), else the command's own. */
function wrongShardAccount(op: Operation, outcome: Outcome): AccountId | undefined {
  if (!isWrongShard(outcome)) return undefined;
  switch (op.kind) {
    case 'transfer':
    case 'x-prepare-coordinator':
      return outcome.status === 'aborted' ? op.to : op.from;
    case 'balance':
      return op.account;
    default:
      return undefined;
  }
}
