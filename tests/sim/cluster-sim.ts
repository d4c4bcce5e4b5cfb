import type { NodeId, Slot } from '../../src/protocol/ids.js';
import { encodeCbor } from '../../src/codec/cbor.js';
import { SeededRandom } from '../../src/core/random.js';
import type { Command, Outcome, Batch } from '../../src/protocol/commands.js';
import { ShardServer, type ShardServerInit } from '../../src/ledger/shard-server.js';
import type { Response } from '../../src/protocol/client.js';
import type { CheckpointSettings } from '../../src/ledger/checkpoints.js';
import {
  mustSyncBeforeSend,
  sendableBeforePersist,
  restSendableBeforePersist,
  type ShardReady,
} from '../../src/ledger/shard-ready.js';
import type { PersistBatch } from '../../src/ports/node-store.js';
import { NodeRuntime, type NodeRuntimeInit } from '../../src/node/runtime.js';
import type { CrashPoint, Outbox } from '../../src/ports/runtime.js';
import { ballotZero, initialBallot } from '../../src/paxos/ballot.js';
import type { Replica, ReplicaInit, ReplicaSettings } from '../../src/paxos/replica.js';
import type { TwoPcSettings } from '../../src/twopc/driver.js';
import { HeavyTraffic, heavyPlan } from './heavy-traffic.js';
import { SimNetwork, type NetworkFaults } from './network.js';
import { describeMessage, fullSlotBytes, simPayloadBytesMax, wireBytes } from './payload.js';
import { flushStarts, type FlushStart } from './flush-race.js';
import { deliverForged, forgedEffect, forgeMessage } from './forged-messages.js';
import { ReadChecker } from './read-checker.js';
import { ReferenceLedger } from './reference-ledger.js';
import { drawHabits, SentCommands, type ClientHabits } from './client-habits.js';
import { ExecutionCount } from './execution-count.js';
import { ClientEpochs, drawSessionsMax } from './client-epochs.js';
import { recordSlotProblem } from './record-slots.js';
import { StaleReplays } from './stale-replays.js';
import { PowerLossStore, type DurableStore } from './power-loss-store.js';
import { SimScheduler } from './sim-scheduler.js';
import type { SimMessage, SimRequest } from './sim-message.js';
import { ReshardDriver, type ReshardView } from './reshard-driver.js';
import { checkOwnership, checkRawShards, movedMoney, type RawShard } from './move-checks.js';
import { ShardMap } from '../../src/ledger/shard-map.js';
import { isWrongShard } from '../../src/protocol/commands.js';
import { TwoPcStepCount } from './twopc-steps.js';
import {
  goneClientEndpoint,
  isPreviousGenerationCommand,
  previousGenerationCommand,
  previousGenerationMessage,
  simGeneration,
} from './previous-generation.js';

interface SimNode {
  id: NodeId;
  cluster: SimCluster;
  /** The node runtime, the same as a real node's, over the simulator's ports; undefined: down. */
  runtime: NodeRuntime<SimRequest> | undefined;
  /** Its core (runtime.server), for the checks. */
  server: ShardServer | undefined;
  scheduler: SimScheduler;
  store: PowerLossStore;
  restartAtTick: number;
  checkedAppliedIndex: Slot;
  /** Ticks this node's clock makes per simulated tick: clocks drift apart. */
  clockRate: number;
  clockDebt: number;
  /** A flushed cluster's leader agreed in advance, used at the first start only. */
  agreedLeader: NodeId | undefined;
}

interface SimClient {
  endpoint: NodeId;
  clientId: string;
  seq: number;
  remaining: number;
  current: { command: Command; cluster: SimCluster; sentAtTick: number; startedAtTick: number } | undefined;
  habits: ClientHabits;
  /** Its earlier commands, for retries of old sequences. */
  sent: SentCommands<SimCluster>;
  retryAtTick: number;
  /** Where the current command goes next (a leader hint, or a member of its cluster). */
  leaderHint: NodeId | undefined;
  acknowledged: Map<string, { cluster: SimCluster; outcome: Outcome }>;
  /** Where it believes accounts are, from the owners wrong-shard answers named (as LedgerClient). */
  owners: ShardMap;
}

/** One shard: its members, and what the checks know about its log. */
interface SimCluster {
  id: number;
  members: NodeId[];
  accounts: number[];
  /** The one value chosen in each slot, as JSON, from whichever replica learned it first. */
  chosen: Map<Slot, string>;
  chosenValues: Map<Slot, Batch>;
  reference: ReferenceLedger;
  referenceApplied: Slot;
  /** The reference balances after each slot. */
  referenceAfter: Map<Slot, string>;
  /** The state hash replicas had after each slot (sessions included, unlike the reference). */
  hashAfter: Map<Slot, number>;
}

export interface SimOptions {
  seed: number;
  /** Ticks with faults switched on, then a fault-free phase that must converge. */
  faultTicks: number;
  livenessTicksMax: number;
  /** Print a trace of fault events (for replaying one seed). */
  verbose?: boolean;
  /** Builds each Paxos replica: tests/sim/broken-core.test.ts passes one with a rule broken. */
  createReplica?: (init: ReplicaInit<Batch>) => Replica<Batch>;
  /** Builds each shard's 2PC driver (broken-core.test.ts passes one with a rule broken). */
  createTwoPcDriver?: ShardServerInit['createTwoPcDriver'];
  /** Which readies reach the disk before their messages leave (the runtime's rule by default). */
  mustSync?: (rd: ShardReady, members: number) => boolean;
  /** Builds each node's runtime: tests/sim/broken-runtime.test.ts passes one with a rule broken. */
  createRuntime?: (init: NodeRuntimeInit<SimRequest>) => NodeRuntime<SimRequest>;
}

export interface SimResult {
  seed: number;
  clusters: number;
  members: number;
  chosenSlots: number;
  committedTransfers: number;
  ticks: number;
  compactions: number;
  snapshotsInstalled: number;
  /** Client sessions evicted (replicas' writes), decided participant records forgotten and
   *  prepared again from a late PREPARE copy (the specification's count), requests given up:
   *  how often the bounds and the impatient clients came into play. */
  sessionsEvicted: number;
  participantRecordsForgotten: number;
  repreparations: number;
  requestsGivenUp: number;
  /** Heavy-traffic seeds (tests/sim/heavy-traffic.ts) and the slots they filled to the budget. */
  heavy: boolean;
  fullSlots: number;
  /** Reads whose answer was checked against its consistency level (read-checker.ts). */
  readsChecked: number;
  /** Forged or malformed messages stepped into shards (forged-messages.ts). */
  forgedInjected: number;
  /** Messages of the previous flush generation that reached nodes (previous-generation.ts). */
  previousGenerationInjected: number;
  /** Resharding (reshard-driver.ts): whether the driver ran, the move-outs chosen (and taken
   *  effect) in the sources' logs, the move-ins in the destinations', the driver's restarts. */
  reshard: boolean;
  movesChosen: number;
  movesApplied: number;
  reshardRestarts: number;
  rawChecks: number;
}

export class SimulationFailure extends Error {
  override name = 'SimulationFailure';
  constructor(
    readonly seed: number,
    message: string,
  ) {
    super(`seed ${seed}: ${message}\n  replay: npm run test:sim -- --seed ${seed} --verbose`);
  }
}

/** The cores pack their messages under the simulated broker's limit (tests/sim/payload.ts). */
const payloadSettings = { payloadBytesMax: simPayloadBytesMax };
const settings: ReplicaSettings = {
  heartbeatTicks: 3,
  electionTicksMin: 12,
  electionTicksMax: 24,
  retransmitTicks: 6,
  slotsInFlightMax: 4,
  // Small, so that a seed's light load both waits behind a slot in flight and proposes past one.
  commandsPerSlotBehindMin: 3,
  entriesPerMessageMax: 8,
  ...payloadSettings,
};
const clientTimeoutTicks = 40;
/** Tiny on purpose: crashed and partitioned nodes fall behind the floor and need snapshots. */
const checkpoint: CheckpointSettings = { intervalSlots: 4, logTailSlots: 3 };
/** Short enough that timeouts, resends and queries all happen within a seed's run. */
const twoPc: TwoPcSettings = { lockWaitTicks: 12, voteTimeoutTicks: 60, resendTicks: 8, queryTicks: 30 };
const initialBalance = 10;

/**
 * One cluster of real ShardServers (Multi-Paxos replica + ledger state machine), driven from a
 * seed over a network that loses, duplicates, delays and reorders, with crashes that lose
 * whatever was not persisted (including messages of a step whose persist had just finished),
 * restarts from the durable store and partitions. Invariants are checked after every step.
 */
export class ClusterSim {
  private readonly random: SeededRandom;
  private readonly network: SimNetwork<SimMessage>;
  private readonly nodes = new Map<NodeId, SimNode>();
  private readonly clients: SimClient[] = [];
  private readonly clusters: SimCluster[] = [];
  private readonly allMembers: NodeId[];
  private tick = 0;
  private faultsOn = true;
  private healAtTick = Infinity;
  private readonly trace: string[] = [];
  private compactions = 0;
  private snapshotsInstalled = 0;
  private sessionsEvicted = 0;
  private requestsGivenUp = 0;
  /** Executions per (client, seq), from what the nodes answered. */
  private readonly executions = new ExecutionCount();
  /** Client sessions and decided participant records each replica keeps (low: they evict). */
  private readonly sessionsMax: number;
  private readonly epochs: ClientEpochs;
  /** Old Two-Phase Commit messages delivered again. */
  private readonly replays: StaleReplays<SimMessage>;
  private readonly heavy: HeavyTraffic | undefined;
  private fullSlots = 0;
  /** The deployment the shards are told of (they refuse 2PC messages outside it). */
  private twoPcBounds = { clusters: 0, moneyTotal: 0 };
  private readonly reads: ReadChecker;
  /** The cross-shard steps this seed reached (logged with --verbose). */
  private readonly twoPcSteps = new TwoPcStepCount();
  private forgedInjected = 0;
  private previousGenerationInjected = 0;
  private readonly reshard: ReshardDriver;
  /** Steps at which the replicas' own state was checked (checkRawShards). */
  private rawChecks = 0;

  constructor(private readonly options: SimOptions) {
    this.random = new SeededRandom(options.seed);
    const r = this.random;
    const faults: NetworkFaults = {
      lossRate: r.pick([0, 0.05, 0.1, 0.2, 0.3]),
      duplicateRate: r.pick([0, 0.1, 0.3, 0.5]),
      delayTicksMin: 1,
      delayTicksMax: r.pick([2, 4, 8, 16]),
      lateRate: r.pick([0, 0.01, 0.05]),
      lateTicksMax: 150,
    };
    const plan = heavyPlan(options.seed);
    this.heavy = plan === undefined ? undefined : new HeavyTraffic(plan);
    this.network = new SimNetwork(r, faults, { bytesMax: simPayloadBytesMax, sizeOf: wireBytes }, describeMessage);
    // A leader cut off from its majority serves `leader` reads until check-quorum deposes it:
    // two minimum election timeouts and a heartbeat of its clock (the slowest runs at half
    // speed) after the last message from a majority, which the network may deliver late.
    const leaderStaleTicks =
      (2 * settings.electionTicksMin + settings.heartbeatTicks) * 2 +
      Math.max(faults.delayTicksMax, faults.lateRate > 0 ? faults.lateTicksMax : 0) +
      2;
    this.reads = new ReadChecker(
      (account) => this.clusters.find((c) => c.accounts.includes(account))?.id,
      leaderStaleTicks,
      initialBalance,
    );
    // Heavy traffic is about one cluster (tests/sim/heavy-traffic.ts): the others would only cost time.
    const drawnClusterCount = r.pick([1, 3, 3]);
    const clusterCount = this.heavy === undefined ? drawnClusterCount : 1;
    // Drawn before the nodes start, since they take the bound it depends on.
    const clientCount = r.int(1, 6);
    this.sessionsMax = drawSessionsMax(r, clientCount + (plan?.clients ?? 0));
    this.replays = new StaleReplays(r, r.pick([0, 0.05, 0.2]));
    const size = r.pick([3, 3, 5]);
    const accountsPerCluster = Math.max(r.int(2, 6), this.heavy?.plan.accounts ?? 0);
    this.twoPcBounds = { clusters: clusterCount, moneyTotal: clusterCount * accountsPerCluster * initialBalance };
    for (let c = 1; c <= clusterCount; c++) {
      const members = Array.from({ length: size }, (_, i) => (c - 1) * size + i + 1);
      const accounts = Array.from({ length: accountsPerCluster }, (_, i) => (c - 1) * accountsPerCluster + i + 1);
      const reference = new ReferenceLedger(accounts, initialBalance, this.sessionsMax, c);
      const cluster: SimCluster = {
        id: c,
        members,
        accounts,
        chosen: new Map(),
        chosenValues: new Map(),
        reference,
        referenceApplied: 0,
        referenceAfter: new Map([[0, reference.snapshot()]]),
        hashAfter: new Map(),
      };
      // Atomicity, checked as each participant decision is chosen: the coordinator chose the
      // same decision first (commit only after a commit; never an abort after a commit).
      // A second preparation of a transaction committed here before (a late PREPARE copy after
      // the record was forgotten) must be undone, never committed: that would credit twice.
      reference.onParticipantDecision = (key, decision, coordinator, committedBefore) => {
        const truth = this.clusters[coordinator - 1]?.reference.outcomes.get(key);
        const committed = truth?.status === 'committed';
        if (decision === 'commit' ? !committed || committedBefore : committed && !committedBefore) {
          this.fail(
            `transaction ${key}: participant cluster ${c} chose ${decision}${committedBefore ? ' for a second preparation of a transaction it had committed' : ''}, coordinator cluster ${coordinator} has ${JSON.stringify(truth)}`,
          );
        }
      };
      // A move taken in must be one its source chose, as it chose it.
      reference.onMoveIn = (move) => {
        const source = this.clusters[move.from - 1]?.reference.givenAway.find(
          (m) => m.epoch === move.epoch && m.to === c,
        );
        if (source === undefined || JSON.stringify(source.balances) !== JSON.stringify(move.balances))
          this.fail(
            `cluster ${c} took in the move ${JSON.stringify(move)}, which cluster ${move.from} did not choose so (${JSON.stringify(source)})`,
          );
      };
      this.clusters.push(cluster);
      // Half the clusters start as a flush leaves them (members promised (1, L) and follow L),
      // some of them after two racing flushes (see flush-race.ts). The rest elect a leader.
      const flushed = flushStarts(r, members);
      for (const id of members) {
        const { leader: agreedLeader, startAtTick } = flushed.get(id) as FlushStart;
        const durable: DurableStore = {
          promised: agreedLeader === undefined ? ballotZero : initialBallot(agreedLeader),
          log: new Map(),
          appliedIndex: 0,
          logFloor: 0,
          balances: new Map(accounts.map((a) => [a, initialBalance])),
          sessions: new Map(),
          coordinatorRecords: new Map(),
          participantRecords: new Map(),
          mapEntries: new Map(),
          outboundMoves: new Map(),
          history: new Map(),
        };
        const clockRate = r.pick([1, 1, 0.5, 0.8, 1.25]);
        const node: SimNode = {
          id,
          cluster,
          runtime: undefined,
          server: undefined,
          scheduler: new SimScheduler(() => this.tick),
          store: new PowerLossStore(durable),
          restartAtTick: startAtTick,
          checkedAppliedIndex: 0,
          clockRate,
          clockDebt: 0,
          agreedLeader,
        };
        this.nodes.set(id, node);
        if (startAtTick === 0) this.start(node);
      }
    }
    this.allMembers = [...this.nodes.keys()];
    this.epochs = new ClientEpochs(r);
    for (let i = 0; i < clientCount; i++) {
      this.clients.push({
        endpoint: 1000 + i,
        clientId: this.epochs.clientId(i),
        seq: 0,
        remaining: this.epochs.budget(r.int(5, 20) * clusterCount),
        current: undefined,
        habits: drawHabits(r),
        sent: new SentCommands(this.epochs.retryWindowTicks),
        retryAtTick: 0,
        leaderHint: undefined,
        acknowledged: new Map(),
        owners: new ShardMap(),
      });
    }
    for (let i = 0; i < (plan?.clients ?? 0); i++) {
      this.clients.push({
        endpoint: 2000 + i,
        clientId: (this.heavy as HeavyTraffic).clientId(i),
        seq: 0,
        remaining: r.int(
          (plan as NonNullable<typeof plan>).commandsPerClient.min,
          (plan as NonNullable<typeof plan>).commandsPerClient.max,
        ),
        current: undefined,
        // Heavy traffic is about full slots, not impatience: these clients wait for answers.
        habits: { giveUpTicks: Infinity, oldRetryRate: 0 },
        sent: new SentCommands(this.epochs.retryWindowTicks),
        retryAtTick: 0,
        leaderHint: undefined,
        acknowledged: new Map(),
        owners: new ShardMap(),
      });
    }
    if (plan !== undefined) this.log(`heavy traffic: ${JSON.stringify(plan)}`);
    this.reshard = new ReshardDriver(options.seed, clusterCount, this.heavy !== undefined);
    this.log(
      `clusters=${clusterCount}x${size} accounts=${accountsPerCluster}/cluster clients=${clientCount} sessionsMax=${this.sessionsMax} epochs=${this.epochs.count} habits=${JSON.stringify(this.clients.map((c) => c.habits))} faults=${JSON.stringify(faults)}`,
    );
  }

  run(): SimResult {
    for (; this.tick < this.options.faultTicks; this.tick++) {
      this.injectFaults();
      this.step();
    }
    this.stopFaults();
    const deadline = this.tick + this.options.livenessTicksMax;
    for (; !this.converged(); this.tick++) {
      if (this.tick >= deadline)
        this.fail(`no convergence within ${this.options.livenessTicksMax} fault-free ticks (${this.progressText()})`);
      this.step();
    }
    this.finalChecks();
    this.log(`2PC steps: ${this.twoPcSteps.text()}`);
    let committed = 0;
    let chosenSlots = 0;
    for (const c of this.clusters) {
      chosenSlots += c.chosen.size;
      for (const o of c.reference.outcomes.values()) if (o.status === 'committed') committed++;
    }
    const forgotten = this.clusters.reduce((sum, c) => sum + c.reference.forgotten, 0);
    const repreparations = this.clusters.reduce((sum, c) => sum + c.reference.repreparations, 0);
    return {
      seed: this.options.seed,
      clusters: this.clusters.length,
      members: this.clusters[0]?.members.length ?? 0,
      chosenSlots,
      committedTransfers: committed,
      ticks: this.tick,
      compactions: this.compactions,
      snapshotsInstalled: this.snapshotsInstalled,
      sessionsEvicted: this.sessionsEvicted,
      participantRecordsForgotten: forgotten,
      repreparations,
      requestsGivenUp: this.requestsGivenUp,
      heavy: this.heavy !== undefined,
      fullSlots: this.fullSlots,
      readsChecked: this.reads.reads,
      forgedInjected: this.forgedInjected,
      previousGenerationInjected: this.previousGenerationInjected,
      reshard: this.reshard.enabled,
      movesChosen: this.clusters.reduce((sum, c) => sum + c.reference.movesOut, 0),
      movesApplied: this.clusters.reduce((sum, c) => sum + c.reference.takenIn.size, 0),
      reshardRestarts: this.reshard.restarts,
      rawChecks: this.rawChecks,
    };
  }

  // ---- driving -----------------------------------------------------------------------------

  private step(): void {
    for (const node of this.nodes.values()) {
      if (node.server === undefined && this.tick >= node.restartAtTick) this.start(node);
      if (node.server === undefined) continue;
      node.clockDebt += node.clockRate;
      while (node.clockDebt >= 1 && node.runtime !== undefined) {
        node.clockDebt -= 1;
        node.runtime.tick();
        this.settleSometimes(node);
      }
    }
    for (const client of this.clients) this.driveClient(client);
    this.reshard.drive(this.reshardView());
    for (const { from, to, message } of this.network.takeDue(this.tick)) this.deliver(from, to, message);
    const replay = this.faultsOn ? this.replays.take() : undefined;
    if (replay !== undefined) this.deliver(replay.from, replay.to, replay.message);
    // Every persist held back is done by the end of the step (a disk write takes less than a tick).
    for (const node of this.nodes.values()) node.scheduler.settle();
    this.checkInvariants();
  }

  /** After an input: the persist of a ready whose accepts left may wait (inputs are then held). */
  private settleSometimes(node: SimNode): void {
    if (!node.scheduler.holding) return;
    if (!this.faultsOn || !this.random.chance(0.3)) node.scheduler.settle();
  }

  private deliver(from: NodeId, to: NodeId, m: SimMessage): void {
    if (m.kind === 'response') {
      if (to === this.reshard.endpoint) return this.reshard.onResponse(this.reshardView(), m.command, m.response);
      const client = this.clients.find((c) => c.endpoint === to);
      if (client !== undefined) this.onResponse(client, from, m.command, m.response);
      return;
    }
    const node = this.nodes.get(to);
    if (node?.runtime === undefined) return;
    if (m.kind === 'paxos') {
      node.runtime.paxos(m.message, m.generation);
    } else if (m.kind === '2pc') {
      this.replays.delivered(from, to, m);
      node.runtime.twoPc(m.message, this.nodes.get(from)?.cluster.id, m.generation);
    } else {
      node.runtime.request(
        { client: m.client, command: m.command, hops: m.hops, receivedAtMs: this.tick, generation: m.generation },
        m.command,
        m.generation,
      );
    }
    this.settleSometimes(node);
  }

  /** The runtime's Store port: the node's store, and what the checks learn from each persist. */
  private persist(node: SimNode, batch: PersistBatch): void {
    for (const e of batch.entries) if (e.chosen) this.recordChosen(node, e.slot, e.value);
    if (batch.state?.replaceAll === true) this.snapshotsInstalled++;
    if (batch.compactedThrough !== undefined) this.compactions++;
    this.sessionsEvicted += batch.state?.evictedSessions.length ?? 0;
    node.store.persist(batch);
  }

  /** The runtime's Outbox port: the simulated network (a broadcast is one lossy copy per member). */
  private outbox(node: SimNode): Outbox<SimRequest> {
    return {
      paxos: (to, message, generation) => {
        const targets = to === 'all' ? node.cluster.members.filter((m) => m !== node.id) : [to];
        for (const t of targets) this.network.send(this.tick, node.id, t, { kind: 'paxos', message, generation });
      },
      twoPc: (toCluster, message, generation) => {
        // A cluster subject: every member of the other cluster gets its own (lossy) copy.
        for (const member of this.clusters[toCluster - 1]?.members ?? [])
          this.network.send(this.tick, node.id, member, { kind: '2pc', message, generation });
      },
      reply: (req, response) =>
        this.network.send(this.tick, node.id, req.client, { kind: 'response', command: req.command, response }),
      forward: (req, to, hops) =>
        this.network.send(this.tick, node.id, to, {
          kind: 'request',
          client: req.client,
          command: req.command,
          hops,
          generation: req.generation,
        }),
    };
  }

  /** The runtime's crash points: the process dies after the accepts left and before the
   *  persist, or after the persist and before anything else was sent. */
  private crashesAt(node: SimNode, point: CrashPoint): boolean {
    if (point === 'after-send' || !this.faultsOn || !this.random.chance(0.005)) return false;
    this.crash(
      node,
      point === 'after-early-send' ? 'after sending accepts, before persisting' : 'after persisting, before sending',
    );
    return true;
  }

  /** Power loss: the node keeps what reached the disk and a prefix of what did not. */
  private powerLoss(node: SimNode): void {
    const { lost, of } = node.store.powerLoss(this.random);
    this.log(`t${this.tick} power loss n${node.id}: ${lost} of ${of} unsynced writes lost`);
    if (node.runtime !== undefined) this.crash(node, 'power loss');
    node.checkedAppliedIndex = Math.min(node.checkedAppliedIndex, node.store.durable.appliedIndex);
  }

  private start(node: SimNode): void {
    const d = node.store.durable;
    const server = new ShardServer({
      self: node.id,
      members: node.cluster.members,
      settings,
      random: new SeededRandom(this.random.int(0, 2 ** 31)),
      promised: d.promised,
      log: [...d.log.values()].map((e) => ({ ...e })),
      appliedIndex: d.appliedIndex,
      logFloor: d.logFloor,
      checkpoint: this.heavy?.plan.checkpoint ?? checkpoint,
      cluster: node.cluster.id,
      clusterOfAccount: (account) => this.clusters.find((c) => c.accounts.includes(account))?.id,
      twoPc,
      twoPcBounds: this.twoPcBounds,
      coordinatorRecords: [...d.coordinatorRecords.values()],
      participantRecords: [...d.participantRecords.values()],
      mapEntries: [...d.mapEntries.values()],
      outboundMoves: [...d.outboundMoves.values()],
      ...historyOf(d),
      balances: new Map(d.balances),
      sessions: [...d.sessions.values()],
      sessionsMax: this.sessionsMax,
      ...(this.options.createReplica === undefined ? {} : { createReplica: this.options.createReplica }),
      ...(this.options.createTwoPcDriver === undefined ? {} : { createTwoPcDriver: this.options.createTwoPcDriver }),
      ...(node.agreedLeader === undefined ? {} : { initialLeader: node.agreedLeader }),
    });
    const init: NodeRuntimeInit<SimRequest> = {
      server,
      generation: simGeneration,
      store: { persist: (batch) => this.persist(node, batch) },
      outbox: this.outbox(node),
      scheduler: node.scheduler,
      hooks: {
        crash: (point, rd) => {
          // What a ready sends before its persist may already report slots it marks chosen
          // (restSendableBeforePersist): the checks learn those marks as they leave, not at the
          // persist a crash may never reach.
          if (point === 'after-early-send')
            for (const e of rd.paxos.entries) if (e.chosen) this.recordChosen(node, e.slot, e.value);
          return this.crashesAt(node, point);
        },
      },
      rules: {
        sendableBeforePersist,
        restSendableBeforePersist,
        mustSyncBeforeSend: this.options.mustSync ?? mustSyncBeforeSend,
      },
    };
    node.runtime = this.options.createRuntime?.(init) ?? new NodeRuntime(init);
    node.server = server;
    node.agreedLeader = undefined;
    node.checkedAppliedIndex = Math.min(node.checkedAppliedIndex, d.appliedIndex);
  }

  private crash(node: SimNode, when: string): void {
    node.runtime?.stop();
    node.scheduler.drop();
    node.runtime = undefined;
    node.server = undefined;
    node.restartAtTick = this.tick + this.random.int(5, 120);
    this.log(`t${this.tick} crash n${node.id} (${when}), restart at t${node.restartAtTick}`);
  }

  private injectFaults(): void {
    const r = this.random;
    this.heavy?.faults(this.tick, {
      leaderOf: (c) => this.clusters[c - 1]?.members.find((m) => this.nodes.get(m)?.server?.role === 'leader'),
      membersOf: (c) => this.clusters[c - 1]?.members ?? [],
      crash: (id, why, downTicks) => {
        const node = this.nodes.get(id) as SimNode;
        if (node.server === undefined) return;
        this.crash(node, why);
        node.restartAtTick = this.tick + downTicks;
      },
      pick: (items) => r.pick(items),
    });
    if (r.chance(0.008)) {
      const node = this.nodes.get(r.pick(this.allMembers)) as SimNode;
      if (node.server !== undefined) this.crash(node, 'between steps');
    }
    if (r.chance(0.002)) {
      // A power loss: one node, or (the cluster runs on one host) every member of a cluster.
      const victim = this.nodes.get(r.pick(this.allMembers)) as SimNode;
      const victims = r.chance(0.3) ? victim.cluster.members.map((m) => this.nodes.get(m) as SimNode) : [victim];
      for (const node of victims) this.powerLoss(node);
    }
    if (r.chance(0.01)) this.injectForged();
    if (r.chance(0.01)) this.injectPreviousGeneration();
    if (r.chance(0.004)) {
      // An operator's leadership transfer (`ledger node lead`, a contact server): a forced
      // prepare that members hearing a live leader still promise.
      const node = this.nodes.get(r.pick(this.allMembers)) as SimNode;
      const runtime = node.runtime;
      if (runtime !== undefined) {
        this.log(`t${this.tick} n${node.id} told to lead`);
        runtime.input(() => runtime.server.campaign());
        runtime.scheduleDrain();
        this.settleSometimes(node);
      }
    }
    if (this.tick >= this.healAtTick) {
      this.network.heal();
      this.healAtTick = Infinity;
      this.log(`t${this.tick} heal`);
    }
    if (this.healAtTick === Infinity && r.chance(0.006)) {
      const leader = this.allMembers.find((m) => this.nodes.get(m)?.server?.role === 'leader' && r.chance(0.5));
      const kind = r.pick(['isolate-one', 'isolate-leader', 'split', 'one-way'] as const);
      const victim = kind === 'isolate-leader' && leader !== undefined ? leader : r.pick(this.allMembers);
      let group = [victim];
      if (kind === 'split') group = this.allMembers.filter(() => r.chance(0.5));
      // Clients are on no side: a partition is between nodes.
      const others = this.allMembers.filter((m) => !group.includes(m));
      this.network.partition(group, others, kind === 'one-way' ? 'outbound' : 'both');
      this.healAtTick = this.tick + r.int(20, 200);
      this.log(
        `t${this.tick} partition ${kind} [${group.join(',')}] | [${others.join(',')}] until t${this.healAtTick}`,
      );
    }
  }

  /** A forged or malformed message (see forged-messages.ts) reaches one node. */
  private injectForged(): void {
    const node = this.nodes.get(this.random.pick(this.allMembers)) as SimNode;
    const runtime = node.runtime;
    if (runtime === undefined) return;
    const c = node.cluster;
    const forged = forgeMessage(this.random, {
      clusterId: c.id,
      clusters: this.clusters.length,
      members: c.members,
      accounts: c.accounts,
      chosenMax: c.referenceApplied,
      moneyTotal: this.twoPcBounds.moneyTotal,
    });
    this.forgedInjected++;
    runtime.input(() =>
      this.log(
        `t${this.tick} forged to n${node.id}: ${JSON.stringify(forged)} (${deliverForged(runtime.server, forged)})`,
      ),
    );
    runtime.scheduleDrain();
    this.settleSometimes(node);
  }

  /** A message of the deployment's previous generation (see previous-generation.ts) reaches one node. */
  private injectPreviousGeneration(): void {
    const node = this.nodes.get(this.random.pick(this.allMembers)) as SimNode;
    const c = node.cluster;
    if (node.runtime === undefined) return;
    this.previousGenerationInjected++;
    if (this.random.chance(0.5)) {
      // A client's request of that generation, still on the broker (its client is long gone:
      // the answer goes nowhere).
      const command = previousGenerationCommand(this.random, c.accounts);
      this.log(`t${this.tick} generation ${simGeneration - 1} request to n${node.id}: ${JSON.stringify(command)}`);
      const request = {
        client: goneClientEndpoint,
        command,
        hops: 0,
        receivedAtMs: this.tick,
        generation: simGeneration - 1,
      };
      node.runtime.request(request, command, simGeneration - 1);
    } else {
      const message = previousGenerationMessage(this.random, {
        members: c.members.filter((m) => m !== node.id),
        accounts: c.accounts,
        chosenMax: c.referenceApplied,
      });
      this.log(`t${this.tick} generation ${simGeneration - 1} message to n${node.id}: ${JSON.stringify(message)}`);
      node.runtime.paxos(message, simGeneration - 1);
    }
    this.settleSometimes(node);
  }

  private stopFaults(): void {
    this.faultsOn = false;
    this.network.heal();
    this.network.faults = {
      lossRate: 0,
      duplicateRate: 0,
      delayTicksMin: 1,
      delayTicksMax: 2,
      lateRate: 0,
      lateTicksMax: 0,
    };
    for (const node of this.nodes.values()) node.clockRate = 1;
    for (const node of this.nodes.values()) node.restartAtTick = Math.min(node.restartAtTick, this.tick);
    this.log(`t${this.tick} faults off`);
  }

  // ---- clients -----------------------------------------------------------------------------

  private driveClient(c: SimClient): void {
    const r = this.random;
    if (c.current !== undefined && this.tick - c.current.startedAtTick >= c.habits.giveUpTicks) {
      // Gives up: the outcome is unknown to it, and it goes on with seq+1 on the same id.
      this.log(`t${this.tick} ${c.clientId} gives up on seq ${c.current.command.seq}`);
      this.requestsGivenUp++;
      c.current = undefined;
    }
    if (c.current === undefined && c.remaining === 0 && this.epochs.mayStartNext(this.clients, this.tick)) {
      // A new epoch: every client takes a new id (the old ones are quiet for good, so their
      // sessions may be evicted: see ClientEpochs).
      for (const [i, other] of this.clients.entries()) {
        other.clientId = this.epochs.clientId(i);
        other.seq = 0;
        other.remaining = this.epochs.budget(r.int(5, 20) * this.clusters.length);
        other.sent.clear();
      }
      this.log(`t${this.tick} client epoch ${this.epochs.current}`);
    }
    if (c.current === undefined) {
      if (c.remaining === 0 || this.tick < c.retryAtTick) return;
      c.remaining--;
      c.seq++;
      const old = r.chance(c.habits.oldRetryRate) ? c.sent.pickRecent(r, this.tick) : undefined;
      if (old !== undefined) {
        // An old command sent again, answered or not (its answer is checked like any other).
        this.network.send(this.tick, c.endpoint, r.pick(old.cluster.members), {
          kind: 'request',
          client: c.endpoint,
          command: old.command,
          hops: 0,
          generation: simGeneration,
        });
      }
      const cluster = r.pick(this.clusters);
      const from = r.pick(cluster.accounts);
      let to = r.pick(cluster.accounts);
      if (to === from) to = cluster.accounts.find((a) => a !== from) ?? from;
      // A third of the transfers cross shards (when there are several): the receiver is elsewhere.
      if (this.clusters.length > 1 && r.chance(0.35))
        to = r.pick(r.pick(this.clusters.filter((c) => c !== cluster)).accounts);
      const op: Command['op'] =
        r.chance(0.2) || from === to
          ? { kind: 'balance', account: from, consistency: r.pick(['linearizable', 'leader', 'any'] as const) }
          : { kind: 'transfer', from, to, amount: r.int(1, 8) };
      // Sent where its map has the account (an account that moved: where it was told it went).
      const home = this.clusters[(c.owners.ownerOf(from, () => cluster.id) as number) - 1] ?? cluster;
      const mapEpoch = c.owners.epochOf(from);
      c.current = {
        command: { clientId: c.clientId, seq: c.seq, op, ...(mapEpoch === 0 ? {} : { mapEpoch }) },
        cluster: home,
        sentAtTick: -Infinity,
        startedAtTick: this.tick,
      };
      c.sent.add(c.current.command, home, this.tick);
      this.reads.onInvoke(c.current.command, this.tick);
      c.leaderHint = undefined;
    }
    if (this.tick - c.current.sentAtTick >= clientTimeoutTicks && this.tick >= c.retryAtTick) {
      const target = c.leaderHint ?? r.pick(c.current.cluster.members);
      c.leaderHint = undefined;
      c.current.sentAtTick = this.tick;
      this.network.send(this.tick, c.endpoint, target, {
        kind: 'request',
        client: c.endpoint,
        command: c.current.command,
        hops: 0,
        generation: simGeneration,
      });
    }
  }

  private onResponse(c: SimClient, from: NodeId, command: Command, response: Response): void {
    // A refusal for a wrong shard follows the owner; an abort whose receiver moved is an answer
    // (the transaction is over; LedgerClient would start a new one).
    if (response.kind === 'outcome' && response.outcome.status === 'rejected' && isWrongShard(response.outcome))
      return this.followOwner(c, command, response);
    if (response.kind === 'outcome' && command.op.kind === 'transfer') {
      const coordinator = this.nodes.get(from)?.cluster;
      this.twoPcSteps.onAnswer(
        response.outcome,
        coordinator?.reference.outcomes.has(`${command.clientId}#${command.seq}`) ?? true,
      );
      const complaint = this.executions.report(
        `${command.clientId}#${command.seq}`,
        response.outcome,
        response.slot,
        this.nodes.get(from)?.cluster.id,
      );
      if (complaint !== undefined)
        this.fail(
          `n${from} answered ${command.clientId}#${command.seq} ${JSON.stringify(response.outcome)} at slot ${response.slot}: ${complaint}`,
        );
    }
    if (
      c.current === undefined ||
      c.current.command.seq !== command.seq ||
      c.current.command.clientId !== command.clientId
    )
      return;
    if (response.kind === 'outcome') {
      const outcome = response.outcome;
      // Too old to tell: only a client that went on past this sequence may hear it.
      const staleOk =
        outcome.status === 'rejected' && outcome.reason === 'stale-sequence' && c.habits.giveUpTicks !== Infinity;
      if (outcome.status === 'rejected' && !staleOk)
        this.fail(`client ${c.clientId} seq ${command.seq} rejected: ${outcome.reason}`);
      if (command.op.kind === 'transfer' && !staleOk)
        c.acknowledged.set(`${c.clientId}#${command.seq}`, { cluster: c.current.cluster, outcome });
      if (outcome.status === 'ok' && outcome.balance < 0) this.fail(`read returned a negative balance`);
      const wrongRead =
        outcome.status === 'ok'
          ? this.reads.onRead(command, outcome.balance, this.tick, this.nodes.get(from)?.cluster.id)
          : undefined;
      if (wrongRead !== undefined) this.fail(wrongRead);
      if (outcome.status === 'committed') this.reads.onTransferCommitted(command, this.tick);
      c.current = undefined;
      return;
    }
    // Redirect or busy: try again soon, at the hinted leader if there is one.
    c.leaderHint = response.kind === 'redirect' ? response.leaderHint : undefined;
    c.current.sentAtTick = -Infinity;
    c.retryAtTick = this.tick + 3;
  }

  /** A wrong shard: nothing ran there (never recorded in a session); the client sends the same
   *  command where the answer says the account is, as LedgerClient does, or waits for the move. */
  private followOwner(c: SimClient, command: Command, response: Extract<Response, { kind: 'outcome' }>): void {
    const cur = c.current;
    if (cur === undefined || cur.command.seq !== command.seq || cur.command.clientId !== command.clientId) return;
    if (response.owner !== undefined) c.owners.merge(response.owner);
    const account = response.owner?.account;
    const initial = (a: number) => this.clusters.find((cl) => cl.accounts.includes(a))?.id;
    const next = account === undefined ? undefined : this.clusters[(c.owners.ownerOf(account, initial) ?? 0) - 1];
    this.log(
      `t${this.tick} ${c.clientId}#${command.seq}: ${JSON.stringify(response.outcome)} owner ${JSON.stringify(response.owner)}`,
    );
    // Each attempt carries the epoch of its account as the client knows it (Command.mapEpoch).
    const own =
      cur.command.op.kind === 'transfer'
        ? cur.command.op.from
        : cur.command.op.kind === 'balance'
          ? cur.command.op.account
          : undefined;
    const mapEpoch = own === undefined ? 0 : c.owners.epochOf(own);
    const restamped = mapEpoch > (cur.command.mapEpoch ?? 0);
    if (restamped) cur.command = { ...cur.command, mapEpoch };
    if (next !== undefined && next !== cur.cluster) {
      cur.cluster = next;
      c.retryAtTick = this.tick;
    } else c.retryAtTick = restamped ? this.tick : this.tick + 5;
    c.leaderHint = undefined;
    cur.sentAtTick = -Infinity;
  }

  // ---- checks ------------------------------------------------------------------------------

  private recordChosen(node: SimNode, slot: Slot, value: Batch | null): void {
    const c = node.cluster;
    const text = JSON.stringify(value);
    const known = c.chosen.get(slot);
    if (known === undefined) {
      if (value?.some(isPreviousGenerationCommand) === true)
        this.fail(`cluster ${c.id}: a command of the previous flush generation was chosen in slot ${slot}: ${text}`);
      if (this.heavy !== undefined && value !== null && encodeCbor(value).length > fullSlotBytes) this.fullSlots++;
      c.chosen.set(slot, text);
      c.chosenValues.set(slot, value ?? []);
      this.twoPcSteps.onChosen(value);
      this.advanceReference(c);
    } else if (known !== text) {
      this.fail(`cluster ${c.id}: two values chosen in slot ${slot}: ${known} and, at n${node.id}, ${text}`);
    }
  }

  private advanceReference(c: SimCluster): void {
    while (c.chosenValues.has(c.referenceApplied + 1)) {
      c.referenceApplied++;
      c.reference.apply(c.chosenValues.get(c.referenceApplied) as Batch, c.referenceApplied);
      this.reads.onPrefix(
        c.id,
        c.referenceApplied,
        c.chosenValues.get(c.referenceApplied) as Batch,
        c.reference,
        this.tick,
      );
      c.referenceAfter.set(c.referenceApplied, c.reference.snapshot());
    }
  }

  /**
   * Money across all shards, at this instant of the chosen logs: the balances, plus what left a
   * shard in a cross-shard transfer, less what arrived. Every transfer in flight appears on
   * exactly the sides it has reached, so the sum is the money created, after every step.
   */
  private checkMoney(): void {
    let money = 0;
    for (const c of this.clusters) {
      money += c.reference.total();
      for (const a of c.reference.debited.values()) money += a;
      for (const a of c.reference.credited.values()) money -= a;
    }
    // And the money of the moves a source chose that their destination has not taken in.
    const references = this.clusters.map((c) => c.reference);
    money += movedMoney(references);
    const created = this.clusters.reduce((sum, c) => sum + c.accounts.length * initialBalance, 0);
    if (money !== created) this.fail(`money across shards is ${money}, ${created} were created`);
    const owners = checkOwnership(
      references,
      this.clusters.flatMap((c) => c.accounts),
    );
    if (owners !== undefined) this.fail(owners);
    // The replicas' own state, when the most advanced replica of every cluster applied its whole
    // chosen prefix (before, a chosen step may be applied nowhere yet: a vote or a move can leave
    // before its persist, and its replica die).
    const shards = this.clusters.map((c) => this.mostAdvancedRaw(c));
    if (shards.every((s, i) => s.applied === this.clusters[i]?.referenceApplied)) {
      const raw = checkRawShards(shards, created);
      if (raw !== undefined) this.fail(raw);
      this.rawChecks++;
    }
  }

  /** The cluster's replica that applied the most, live or down (its durable store). */
  private mostAdvancedRaw(c: SimCluster): RawShard {
    let best: RawShard | undefined;
    for (const id of c.members) {
      const node = this.nodes.get(id) as SimNode;
      const state = node.server?.state;
      const d = node.store.durable;
      const shard: RawShard =
        state !== undefined
          ? {
              cluster: c.id,
              applied: state.appliedIndex,
              balances: new Map(state.accounts()),
              outbound: state.outboundList(),
              epochOf: (a) => state.map.epochOf(a),
              twoPcPrepared:
                state.twoPc.coordinatorRecords().some((r) => r.state === 'prepared') ||
                state.twoPc.participantRecords().some((r) => r.state === 'prepared'),
            }
          : {
              cluster: c.id,
              applied: d.appliedIndex,
              balances: d.balances,
              outbound: [...d.outboundMoves.values()],
              epochOf: (a) => d.mapEntries.get(a)?.epoch ?? 0,
              twoPcPrepared:
                [...d.coordinatorRecords.values()].some((r) => r.state === 'prepared') ||
                [...d.participantRecords.values()].some((r) => r.state === 'prepared'),
            };
      if (best === undefined || shard.applied > best.applied) best = shard;
    }
    return best as RawShard;
  }

  private reshardView(): ReshardView {
    return {
      tick: this.tick,
      faultsOn: this.faultsOn,
      clusterCount: this.clusters.length,
      membersOf: (c) => this.clusters[c - 1]?.members ?? [],
      mostAdvanced: (c) => {
        let best: SimNode['server'];
        for (const id of this.clusters[c - 1]?.members ?? []) {
          const server = this.nodes.get(id)?.server;
          if (server !== undefined && (best === undefined || server.state.appliedIndex > best.state.appliedIndex))
            best = server;
        }
        return best?.state;
      },
      send: (to, command) =>
        this.network.send(this.tick, this.reshard.endpoint, to, {
          kind: 'request',
          client: this.reshard.endpoint,
          command,
          hops: 0,
          generation: simGeneration,
        }),
      log: (line) => this.log(line),
    };
  }

  private checkInvariants(): void {
    this.checkMoney();
    for (const node of this.nodes.values()) {
      const server = node.server;
      if (server === undefined) continue;
      const cluster = node.cluster;
      const state = server.state;
      const applied = state.appliedIndex;
      // Every applied slot holds the chosen value: the applied prefixes of all replicas agree.
      for (let slot = Math.max(node.checkedAppliedIndex, server.replica.logFloor) + 1; slot <= applied; slot++) {
        const e = server.replica.entry(slot);
        if (e === undefined || !e.chosen) this.fail(`n${node.id} applied slot ${slot} without knowing it chosen`);
        if (cluster.chosen.get(slot) !== JSON.stringify(e.value))
          this.fail(`n${node.id} applied a value in slot ${slot} that was not chosen`);
      }
      node.checkedAppliedIndex = applied;
      const forged = forgedEffect(server, cluster.referenceApplied, this.twoPcBounds.moneyTotal);
      if (forged !== undefined) this.fail(`n${node.id} ${forged}`);
      let sum = 0;
      const balances: string[] = [];
      for (const [a, b] of [...state.accounts()].sort((x, y) => x[0] - y[0])) {
        if (b < 0) this.fail(`n${node.id}: account ${a} is negative (${b})`);
        sum += b;
        balances.push(`${a}:${b}`);
      }
      // Locks are derived from prepared transactions: none may outlive its transaction.
      const prepared =
        state.twoPc.coordinatorRecords().filter((r) => r.state === 'prepared').length +
        state.twoPc.participantRecords().filter((r) => r.state === 'prepared').length;
      if (
        state.twoPc.preparedParticipantRecords().length !==
        state.twoPc.participantRecords().filter((r) => r.state === 'prepared').length
      )
        this.fail(`n${node.id}: the index of prepared participant records is off`);
      if (state.twoPc.lockCount !== prepared)
        this.fail(`n${node.id}: ${state.twoPc.lockCount} locks held for ${prepared} prepared transactions`);
      const slotProblem = recordSlotProblem(
        state.twoPc.coordinatorRecords(),
        state.twoPc.preparedParticipantRecords(),
        cluster.chosenValues,
      );
      if (slotProblem !== undefined) this.fail(`n${node.id}: ${slotProblem}`);
      const expected = cluster.referenceAfter.get(applied);
      if (expected === undefined) this.fail(`n${node.id} applied slot ${applied} before the reference knows it`);
      const hash = state.stateHash;
      const known = cluster.hashAfter.get(applied);
      if (known === undefined) cluster.hashAfter.set(applied, hash);
      else if (known !== hash) this.fail(`n${node.id}: state hash after slot ${applied} differs between replicas`);
      if (balances.join(',') !== expected)
        this.fail(
          `n${node.id} balances after slot ${applied} differ from the specification: ${balances.join(',')} vs ${expected}`,
        );
    }
  }

  private converged(): boolean {
    if (this.clients.some((c) => c.remaining > 0 || c.current !== undefined) || !this.epochs.done) return false;
    if (!this.reshard.idle) return false;
    for (const node of this.nodes.values()) {
      const server = node.server;
      if (server === undefined || server.state.appliedIndex !== node.cluster.referenceApplied) return false;
      // Every move ran to its end: taken in and closed at its source.
      if (server.state.outboundList().length > 0) return false;
      // Every transaction ran to its end: acknowledged and forgotten by its coordinator.
      if (
        server.state.twoPc.coordinatorRecords().length > 0 ||
        server.state.twoPc.participantRecords().some((r) => r.state === 'prepared')
      )
        return false;
    }
    return true;
  }

  private finalChecks(): void {
    const over = this.network.oversize;
    if (over.count > 0)
      this.fail(
        `${over.count} messages over the payload limit of ${simPayloadBytesMax} bytes were sent (NATS refuses them); the largest: ${over.largest}, ${over.largestBytes} bytes`,
      );
    let money = 0;
    for (const cluster of this.clusters) money += cluster.reference.total();
    const created = this.clusters.reduce((sum, c) => sum + c.accounts.length * initialBalance, 0);
    if (money !== created) this.fail(`money not conserved across shards: ${money} != ${created}`);
    // Every move chosen ended: its accounts at its destination on every replica, none in transit.
    for (const cluster of this.clusters)
      for (const m of cluster.reference.givenAway)
        this.fail(
          `the move of epoch ${m.epoch} (c${m.from} -> c${m.to}, ${JSON.stringify(m.balances)}) is still in transit at the end`,
        );
    for (const node of this.nodes.values()) {
      const state = node.server?.state;
      if (state === undefined) continue;
      if (state.outboundList().length > 0) this.fail(`n${node.id} still holds moves in transit at the end`);
      for (const a of node.cluster.reference.balances.keys())
        if (state.balanceOf(a) === undefined)
          this.fail(`n${node.id} does not hold account ${a}, which its log moved in`);
    }
    // Each client command ran in one cluster at most (a move carries its session).
    const ranIn = new Map<string, number>();
    for (const cluster of this.clusters)
      for (const key of cluster.reference.outcomes.keys()) {
        const other = ranIn.get(key);
        if (other !== undefined) this.fail(`${key} ran in cluster ${other} and in cluster ${cluster.id}`);
        ranIn.set(key, cluster.id);
      }
    for (const node of this.nodes.values())
      if ((node.server?.state.twoPc.lockCount ?? 0) > 0) this.fail(`n${node.id} still holds locks at the end`);
    for (const [key, outcome] of this.executions.definiteAnswers()) {
      // Every definite answer, to current and old commands alike, is what the command did.
      const truth = this.clusters.map((cl) => cl.reference.outcomes.get(key)).find((o) => o !== undefined);
      if (JSON.stringify(truth) !== JSON.stringify(outcome))
        this.fail(`${key} was answered ${JSON.stringify(outcome)}, but it executed as ${JSON.stringify(truth)}`);
    }
    for (const c of this.clients) {
      for (const [key, { outcome }] of c.acknowledged) {
        // Where it ran: a move may have carried its session elsewhere since.
        const truth = this.clusters.map((cl) => cl.reference.outcomes.get(key)).find((o) => o !== undefined);
        if (truth === undefined) this.fail(`client was told ${key} ${outcome.status}, but it was never executed`);
        if (JSON.stringify(truth) !== JSON.stringify(outcome))
          this.fail(`client was told ${key} ${JSON.stringify(outcome)}, but it executed as ${JSON.stringify(truth)}`);
      }
    }
  }

  private progressText(): string {
    const nodes = [...this.nodes.values()].map(
      (n) =>
        `n${n.id}:${n.server === undefined ? 'down' : `${n.server.role[0]}/a${n.server.state.appliedIndex}/c${n.server.replica.commitIndex}`}`,
    );
    const clients = this.clients.map((c) => `${c.clientId.slice(0, 12)}:${c.remaining}${c.current ? '+1' : ''}`);
    const prefixes = this.clusters.map((c) => `c${c.id}:${c.referenceApplied}`);
    const over = this.network.oversize;
    const oversize =
      over.count === 0
        ? ''
        : `; ${over.count} messages over the payload limit dropped, the largest ${over.largest} of ${over.largestBytes} bytes`;
    const moves = [...this.nodes.values()].flatMap((n) =>
      (n.server?.state.outboundList() ?? []).map((m) => `n${n.id}:e${m.epoch}->c${m.to}`),
    );
    const transit = moves.length === 0 ? '' : `; moves in transit ${moves.join(' ')}`;
    return `nodes ${nodes.join(' ')}; chosen prefixes ${prefixes.join(' ')}; clients left ${clients.join(' ')}${oversize}${transit}`;
  }

  private log(line: string): void {
    this.trace.push(line);
    if (this.options.verbose) console.log(line);
  }

  private fail(message: string): never {
    if (!this.options.verbose) for (const line of this.trace.slice(-20)) console.error(`  ${line}`);
    throw new SimulationFailure(this.options.seed, `t${this.tick}: ${message}`);
  }
}

export function runSeed(options: SimOptions): SimResult {
  return new ClusterSim(options).run();
}

/** The stored history as the state loads it: oldest first, with the position of the first. */
function historyOf(d: DurableStore): { history: Array<[number, number]>; historyStart: number } {
  const positions = [...d.history.keys()].sort((a, b) => a - b);
  return { history: positions.map((p) => d.history.get(p) as [number, number]), historyStart: positions[0] ?? 0 };
}
