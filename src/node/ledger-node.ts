import { randomInt } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { admitClientRequest } from '../codec/client-request.js';
import { decodeEnvelope, DecodeError, encodeEnvelope } from '../codec/envelope.js';
import type { Envelope } from '../protocol/envelope.js';
import type { Command } from '../protocol/commands.js';
import { ClientBatches } from './client-batches.js';
import type { FaultOp, FlushArgs, NodeStatus } from '../protocol/admin.js';
import { isMoveMessage } from '../protocol/moves.js';
import { admitAdminRequest, answerAdmin, type AdminHost } from './admin-handlers.js';
import type { ClusterId, NodeId } from '../protocol/ids.js';
import { LedgerError } from '../core/errors.js';
import { limits } from '../core/limits.js';
import { SeededRandom } from '../core/random.js';
import { ShardServer } from '../ledger/shard-server.js';
import type { ShardReady } from '../ledger/shard-ready.js';
import {
  accountRange,
  clusterOfAccount,
  clusterOfNode,
  isAccount,
  nodesOfCluster,
  totalMoney,
} from '../ledger/topology.js';
import { ballotText, initialBallot } from '../paxos/ballot.js';
import { openNodeStore } from '../storage/open.js';
import { connectNats } from '../transport/nats.js';
import { senderOfSubject, subjects, type Subjects } from '../transport/subjects.js';
import { natsConnectionOf } from './nats-access.js';
import {
  brokerPayloadProblem,
  type IncomingMessage,
  type Subscription,
  type Transport,
} from '../transport/transport.js';
import { replicaSettings, type LedgerConfig } from './config.js';
import type { DurableState, NodeStore, PersistBatch } from '../ports/node-store.js';
import { crashNow, failpointFromEnv, shouldCrash } from './failpoints.js';
import { nodeMetrics, type MetricsOptions, type RunningMetrics } from './node-metrics.js';
import { PublishErrors } from './publish-errors.js';
import { failpointRules, NodeRuntime } from './runtime.js';
import { TransportFaults, type FaultTimers } from './transport-faults.js';
import type { CrashPoint, HeldRequest, Outbox, RuntimeHooks, Scheduler } from '../ports/runtime.js';

/** A request being served, kept by the runtime until it is answered or the client has long given up. */
interface PendingRequest extends HeldRequest {
  reply: string;
  data: Uint8Array;
  /** Monotonic arrival time, for the latency metrics. */
  arrivedAtMs: number;
  /** One request of a `request-batch` (then `data` is the whole batch): answered and forwarded
   *  with the other requests of its turn (ClientBatches). */
  batched?: { id: number; command: Command; generation: number | undefined };
}

/**
 * The composition root of one node: the node runtime (runtime.ts: the Ready loop, held inputs,
 * flush generations, forwarding) over NATS, SQLite and Node's event loop, plus what only a real
 * node has: env failpoints, metrics, and the admin RPC.
 */
export class LedgerNode {
  readonly id: NodeId;
  readonly cluster: ClusterId;
  private readonly subjects: Subjects;
  private readonly runtime: NodeRuntime<PendingRequest>;
  private tickTimer: NodeJS.Timeout | undefined;
  /** Its cluster's 2PC subject, while it leads or knows of no leader (followTwoPcLead). */
  private twoPcSubscription: Subscription | undefined;
  private malformed = 0;
  /** Protocol messages dropped for a sender other than their subject's (dropForged). */
  private forged = 0;
  private readonly startedAtMs = Date.now();
  private stopped = false;
  /** Inert unless LEDGER_FAILPOINT is set (crash tests only). */
  private readonly failpoint = failpointFromEnv(process.env);
  private readonly telemetry: RunningMetrics;
  /** Publishes the NATS client refused: counted by reason and logged, never swallowed. */
  private readonly publishErrors: PublishErrors;
  /** Answers and forwards of batched requests, one message per reply subject per turn. */
  private readonly clientBatches: ClientBatches;
  /** Refusals already counted in the metrics, by reason (the core's totals restart at a flush). */
  private refusalsCounted = new Map<string, number>();
  /** `ledger node disturb`: duplicates and delays incoming client requests and 2PC messages. */
  private readonly transportFaults = new TransportFaults(new SeededRandom(randomInt(2 ** 31)), realTimers, (effect) =>
    this.telemetry.recordTransportFault(effect),
  );

  private constructor(
    private readonly config: LedgerConfig,
    id: NodeId,
    private readonly store: NodeStore,
    server: ShardServer,
    generation: number,
    private readonly transport: Transport,
    private readonly log: Logger,
    metricsOptions: MetricsOptions,
  ) {
    this.id = id;
    this.cluster = clusterOfNode(config.topology, id);
    this.subjects = subjects(config.prefix);
    this.telemetry = nodeMetrics({ node: id, cluster: this.cluster }, () => this.metricsSample(), metricsOptions);
    this.publishErrors = new PublishErrors(
      log,
      () => Date.now(),
      (reason) => this.telemetry.metrics.recordPublishError(reason),
    );
    transport.onPublishError((failure) => this.publishErrors.record(failure));
    this.clientBatches = new ClientBatches(
      (subject, data, reply) => transport.publish(subject, data, reply),
      (node) => this.subjects.nodeRequests(node),
      queueMicrotask,
    );
    this.runtime = new NodeRuntime<PendingRequest>({
      server,
      generation,
      store: { persist: (batch) => this.persist(batch) },
      outbox: this.outbox(),
      scheduler: eventLoopScheduler,
      hooks: this.hooks(),
      ...(this.failpoint === undefined ? {} : { rules: failpointRules }),
    });
  }

  static async start(
    config: LedgerConfig,
    id: NodeId,
    log: Logger,
    metricsOptions: MetricsOptions = {},
  ): Promise<LedgerNode> {
    const cluster = clusterOfNode(config.topology, id);
    const members = nodesOfCluster(config.topology, cluster);
    const range = accountRange(config.topology, cluster);
    mkdirSync(join(config.dataDir, 'nodes'), { recursive: true });
    const store = await openNodeStore({
      file: join(config.dataDir, 'nodes', `n${id}.sqlite`),
      firstAccount: range.first,
      lastAccount: range.last,
      initialBalance: config.topology.initialBalance,
      durability: config.durability,
    });
    const durable = store.load();
    const settings = replicaSettings(config.timing);
    // The first node of each cluster stands first, so a fresh cluster has a predictable leader.
    const server = buildServer(
      config,
      id,
      durable,
      id === members[0] ? { firstElectionTicks: settings.heartbeatTicks + 1 } : {},
    );
    const transport = await connectNats({
      ...natsConnectionOf(config, { kind: 'node', node: id }),
      name: `ledger-n${id}`,
      longRunning: true,
      // Started while the broker is down (or restarting): wait for it, saying so now and then.
      waitForBroker: (attempt, error) => {
        if (attempt === 1 || attempt % 40 === 0)
          log.warn({ natsUrl: config.natsUrl, attempt, reason: (error as Error).message }, 'waiting for NATS');
      },
    });
    const payloadProblem = brokerPayloadProblem(
      transport.brokerMaxPayloadBytes,
      settings.payloadBytesMax ?? limits.natsMaxPayloadBytes,
    );
    if (payloadProblem !== undefined) {
      await transport.close();
      throw new LedgerError('config', payloadProblem, {
        hint: `set max_payload: ${limits.natsMaxPayloadBytes} (or more) in the nats-server configuration`,
      });
    }
    const node = new LedgerNode(config, id, store, server, durable.generation, transport, log, metricsOptions);
    let refusals = 0;
    transport.onBrokerRefusal?.((refusal) => {
      node.telemetry.recordBrokerRefusal(refusal.operation);
      // A client's request can name any reply subject, so refusals can come in floods: the
      // first ones are logged, then one in a thousand.
      if (++refusals <= 20 || refusals % 1000 === 0)
        log.warn({ ...refusal, refusals }, 'the broker refused a publish or subscription of this node');
    });
    node.listen();
    await node.telemetry.start(transport, node.subjects.events, log);
    log.info(
      {
        node: id,
        cluster,
        appliedIndex: durable.appliedIndex,
        logEntries: durable.log.length,
        synchronous: store.synchronous,
      },
      'node started',
    );
    return node;
  }

  private listen(): void {
    const s = this.subjects;
    this.transport.subscribe(s.clusterPaxosFromAny(this.cluster), (m) => this.onPaxos(m));
    this.transport.subscribe(s.nodePaxosFromAny(this.id), (m) => this.onPaxos(m));
    const faults = this.transportFaults;
    this.transport.subscribe(s.nodeRequests(this.id), (m) =>
      faults.deliver(m, m.data.length, (d) => this.onRequest(d)),
    );
    this.transport.subscribe(s.nodeAdmin(this.id), (m) => this.onAdmin(m));
    this.followTwoPcLead();
    this.tickTimer = setInterval(() => this.onTick(), this.config.timing.tickMs);
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.runtime.stop();
    this.transportFaults.stop();
    if (this.tickTimer !== undefined) clearInterval(this.tickTimer);
    await this.telemetry.stop().catch(() => undefined);
    await this.transport.close().catch(() => undefined);
    this.store.close();
    this.log.info({ node: this.id }, 'node stopped');
  }

  // ---- the runtime's ports -----------------------------------------------------------------

  /** Persists one ready (synchronous: see NodeStore.persist), timed for the metrics. */
  private persist(batch: PersistBatch): void {
    const persistStartedMs = this.telemetry.now();
    this.store.persist(batch);
    this.telemetry.metrics.recordPersist(this.telemetry.now() - persistStartedMs);
  }

  /** The runtime's messages as NATS publishes, each in its envelope. */
  private outbox(): Outbox<PendingRequest> {
    const { transport, subjects: s, cluster, id } = this;
    return {
      paxos: (to, message, generation) => {
        const subject = to === 'all' ? s.clusterPaxos(cluster, id) : s.nodePaxos(to, id);
        transport.publish(subject, encodeEnvelope({ kind: 'paxos', cluster, generation, message }));
      },
      twoPc: (toCluster, message, generation) => {
        transport.publish(
          s.clusterTwoPc(toCluster, cluster),
          encodeEnvelope(
            isMoveMessage(message)
              ? { kind: 'move', fromCluster: cluster, generation, message }
              : { kind: '2pc', fromCluster: cluster, generation, message },
          ),
        );
      },
      reply: (p, response) => {
        if (p.batched !== undefined) this.clientBatches.reply(p.reply, p.batched.id, response);
        else transport.publish(p.reply, encodeEnvelope({ kind: 'response', response }));
        this.telemetry.metrics.recordReply(response, this.telemetry.now() - p.arrivedAtMs);
      },
      forward: (p, to, hops) => {
        // Forward to the leader, keeping the client's reply subject: the leader answers directly.
        if (p.batched !== undefined) {
          const { id, command, generation } = p.batched;
          this.clientBatches.forward({ to, reply: p.reply, hops, generation }, { id, command });
          return;
        }
        const envelope = decodeEnvelope(p.data);
        if (envelope.kind !== 'request') return;
        transport.publish(s.nodeRequests(to), encodeEnvelope({ ...envelope, hops }), p.reply);
      },
      flush: () => this.clientBatches.flush(),
    };
  }

  private hooks(): RuntimeHooks {
    const hooks: RuntimeHooks = {
      stepped: (message) => this.telemetry.metrics.recordIncoming(message),
      carriedOut: (rd, cutOff) => {
        this.followTwoPcLead(); // at once, on the ready that makes it leader (or a follower)
        const replica = this.server.replica;
        this.telemetry.metrics.recordReady(rd, {
          leading: replica.role === 'leader',
          ballot: ballotText(replica.ballot),
          cutOff,
        });
        for (const view of rd.paxos.newViews) {
          this.log.info(
            { ballot: ballotText(view.ballot), commitIndex: view.commitIndex, reproposed: view.entries.length },
            'new view: leading',
          );
        }
      },
    };
    // Only armed in crash tests: a ready costs no failpoint check otherwise.
    if (this.failpoint !== undefined) hooks.crash = (point, rd) => this.crashAtFailpoint(point, rd.events);
    return hooks;
  }

  /** LEDGER_FAILPOINT (failpoints.ts): dies before sending, or once what was sent reached the broker. */
  private crashAtFailpoint(point: CrashPoint, events: ShardReady['events']): boolean {
    if (point === 'after-persist' && shouldCrash(this.failpoint, events, 'before-send')) {
      this.log.warn({ failpoint: process.env.LEDGER_FAILPOINT }, 'failpoint: crashing before sending');
      this.log.flush();
      crashNow();
    }
    if (point === 'after-send' && shouldCrash(this.failpoint, events, 'after-send')) {
      this.log.warn({ failpoint: process.env.LEDGER_FAILPOINT }, 'failpoint: crashing after sending');
      this.log.flush();
      void this.transport.flush().finally(() => crashNow());
    }
    return false;
  }

  // ---- inputs ------------------------------------------------------------------------------

  private decode(m: IncomingMessage): Envelope | undefined {
    try {
      return decodeEnvelope(m.data);
    } catch (error) {
      if (!(error instanceof DecodeError)) throw error;
      // Malformed input is counted and dropped; it must never take the node down.
      this.malformed++;
      if (this.logsMalformed())
        this.log.warn(
          { subject: m.subject, bytes: m.data.length, reason: error.message, malformed: this.malformed },
          'dropped a malformed message',
        );
      return undefined;
    }
  }

  private onPaxos(m: IncomingMessage): void {
    if (this.runtime.deafToPeers) return;
    const envelope = this.decode(m);
    if (envelope === undefined) return;
    if (envelope.kind !== 'paxos' || envelope.cluster !== this.cluster) {
      this.malformed++;
      return;
    }
    if (envelope.message.from !== senderOfSubject(m.subject, 'n')) return this.dropForged(m, 'paxos');
    this.runtime.paxos(envelope.message, envelope.generation);
  }

  private onTwoPc(m: IncomingMessage): void {
    this.telemetry.recordTwoPcHeard();
    if (this.runtime.deafToPeers) return;
    const envelope = this.decode(m);
    if (envelope === undefined) return;
    if ((envelope.kind !== '2pc' && envelope.kind !== 'move') || envelope.fromCluster === this.cluster) {
      this.malformed++;
      return;
    }
    if (envelope.fromCluster !== senderOfSubject(m.subject, 'c')) return this.dropForged(m, '2pc');
    this.runtime.twoPc(envelope.message, envelope.fromCluster, envelope.generation);
  }

  /** A sender the broker did not vouch for: the subject (which only that sender's user may
   *  publish on) names another one. Dropped and counted, never stepped (docs/security.md). */
  private dropForged(m: IncomingMessage, channel: 'paxos' | '2pc'): void {
    this.forged++;
    this.telemetry.recordForged(channel);
    if (this.forged <= 20 || this.forged % 1000 === 0)
      this.log.warn({ subject: m.subject, forged: this.forged }, "dropped a message whose sender is not its subject's");
  }

  private onRequest(m: IncomingMessage): void {
    if (this.runtime.deafToClients) return;
    const admitted = admitClientRequest(m.data);
    if ('refusal' in admitted || m.reply === undefined) {
      // Counted like any malformed message; refused with its reason when the client waits for
      // an answer, so it knows at once that nothing happened (the state is not touched).
      this.malformed++;
      const reason = 'refusal' in admitted ? admitted.refusal : 'no reply subject';
      if (this.logsMalformed())
        this.log.warn(
          { subject: m.subject, bytes: m.data.length, reason, malformed: this.malformed },
          'refused a malformed client request',
        );
      if ('refusal' in admitted && m.reply !== undefined) this.refuseRequest(m.reply, admitted.refusal);
      return;
    }
    const { envelope } = admitted;
    const request = {
      reply: m.reply,
      data: m.data,
      hops: envelope.hops,
      receivedAtMs: Date.now(),
      arrivedAtMs: this.telemetry.now(),
    };
    if (envelope.kind === 'request') return this.runtime.request(request, envelope.command, envelope.generation);
    // Each request of a batch on its own, as if it had come alone (docs/transfers.md, "Batches").
    const { generation } = envelope;
    for (const { id, command } of envelope.items)
      this.runtime.request({ ...request, batched: { id, command, generation } }, command, generation);
  }

  /** The first malformed messages are logged, then one in a thousand (the count says how many):
   *  a flood of garbage must not turn into a flood of log lines. */
  private logsMalformed(): boolean {
    return this.malformed <= 20 || this.malformed % 1000 === 0;
  }

  private refuseRequest(reply: string, reason: string): void {
    const response = { kind: 'refused' as const, reason };
    this.transport.publish(reply, encodeEnvelope({ kind: 'response', response }));
    this.telemetry.metrics.recordReply(response, 0);
  }

  /**
   * Hears its cluster's 2PC subject only while those messages concern it: while it leads, or
   * knows of no leader (it answers a PREPARE `no-leader`: ShardServer.answersClusterMessages).
   * A follower of a known leader woken for each one would spend CPU, on a machine whose cores
   * the leaders share, only to drop it; so would a failed node. A message sent while the lead
   * changes hands may reach nobody: docs/architecture.md ("NATS subjects") says who sends it
   * again.
   */
  private followTwoPcLead(): void {
    const hears = this.server.answersClusterMessages && !this.runtime.failed;
    if (hears && this.twoPcSubscription === undefined) {
      const faults = this.transportFaults;
      this.twoPcSubscription = this.transport.subscribe(this.subjects.clusterTwoPcFromAny(this.cluster), (m) =>
        faults.deliver(m, m.data.length, (d) => this.onTwoPc(d)),
      );
    } else if (!hears && this.twoPcSubscription !== undefined) {
      this.twoPcSubscription.unsubscribe();
      this.twoPcSubscription = undefined;
    }
  }

  private onTick(): void {
    this.runtime.tick(); // a failed node's runtime does nothing on it
    this.followTwoPcLead();
    this.countRefusals();
  }

  /** Hands the core's refusals (counted since it started) to the metrics as they grow. */
  private countRefusals(): void {
    for (const [reason, total] of this.server.refusals()) {
      const counted = this.refusalsCounted.get(reason) ?? 0;
      if (total > counted) this.telemetry.metrics.recordRefused(reason, total - counted);
      this.refusalsCounted.set(reason, total);
    }
  }

  // ---- the runtime, as the admin operations use it -----------------------------------------

  private get server(): ShardServer {
    return this.runtime.server;
  }

  private get generation(): number {
    return this.runtime.generation;
  }

  private input(step: () => void): void {
    this.runtime.input(step);
  }

  private scheduleDrain(): void {
    this.runtime.scheduleDrain();
  }

  // ---- admin -------------------------------------------------------------------------------

  private onAdmin(m: IncomingMessage): void {
    if (m.reply === undefined) return;
    const reply = m.reply;
    const admitted = admitAdminRequest(m.data);
    if ('refusal' in admitted) {
      // Counted like any malformed message, and refused with its code: the asker need not wait.
      this.malformed++;
      this.log.warn(
        { subject: m.subject, bytes: m.data.length, reason: admitted.refusal.message },
        'refused a malformed admin request',
      );
      this.transport.publish(reply, encodeEnvelope({ kind: 'admin-reply', ...admitted.refusal }));
      return;
    }
    const { request } = admitted;
    // Like every input, after a ready whose accepts already left is persisted: a flush must not
    // replace the core (and its storage) under that ready.
    this.input(() =>
      this.transport.publish(reply, encodeEnvelope({ kind: 'admin-reply', ...answerAdmin(this.adminHost(), request) })),
    );
  }

  /** The node as the admin handlers see it (src/node/admin-handlers.ts). */
  private adminHost(): AdminHost {
    return {
      node: this.id,
      cluster: this.cluster,
      members: nodesOfCluster(this.config.topology, this.cluster),
      initialBalance: this.config.topology.initialBalance,
      tickMs: this.config.timing.tickMs,
      generation: () => this.generation,
      server: () => this.server,
      store: this.store,
      status: () => this.status(),
      injectFault: (op) => this.injectFault(op),
      disturb: (settings) => {
        this.transportFaults.arm(settings);
        this.log.warn({ op: 'disturb', ...settings }, 'fault injection');
      },
      flush: (args) => this.flush(args),
      countStale: () => this.runtime.countStale(),
      scheduleDrain: () => this.scheduleDrain(),
      failedInternally: (op, error) => this.log.error({ op, err: error }, 'admin operation failed'),
    };
  }

  /**
   * Back to the initial state (docs/test-files.md, "The flush"): storage first (one transaction), then a fresh core
   * on it whose leader is the one the flush names. Requests in flight are forgotten: their
   * clients have been answered or given up. Messages of the old generation are dropped from now
   * on, so nothing from before the flush can reach the fresh instance.
   */
  private flush(args: FlushArgs): void {
    this.store.reset(args.generation, initialBallot(args.leader));
    this.runtime.replaceCore(
      buildServer(this.config, this.id, this.store.load(), { initialLeader: args.leader }),
      args.generation,
      args.failed,
    );
    this.transportFaults.arm({ duplicatePercent: 0, delayMsMax: 0 }); // like isolate: a flush calms it
    this.telemetry.metrics.onFlush();
    this.refusalsCounted = new Map();
    this.log.warn(
      { generation: args.generation, leader: args.leader, failed: args.failed },
      'flushed to the initial state',
    );
    this.scheduleDrain();
  }

  private injectFault(op: FaultOp): void {
    if (op === 'fail') this.runtime.failed = true;
    if (op === 'recover') this.runtime.failed = false;
    if (op === 'isolate') this.runtime.isolated = true;
    if (op === 'heal') this.runtime.isolated = false;
    this.log.warn({ op }, 'fault injection');
  }

  private metricsSample() {
    const s = this.status();
    return { ...s, role: s.failed ? ('failed' as const) : s.role, pendingRequests: this.runtime.pendingRequests };
  }

  private status(): NodeStatus {
    const replica = this.server.replica;
    return {
      node: this.id,
      cluster: this.cluster,
      role: replica.role,
      leader: replica.leaderHint,
      ballot: ballotText(replica.ballot),
      commitIndex: replica.commitIndex,
      appliedIndex: this.server.state.appliedIndex,
      lastSlot: replica.lastSlot,
      pendingCommands: this.server.pendingCommands,
      malformedMessages: this.malformed,
      failed: this.runtime.failed,
      isolated: this.runtime.isolated,
      disturbed: this.transportFaults.armed,
      transportFaults: this.transportFaults.counts,
      logFloor: replica.logFloor,
      logEntries: replica.logSize,
      synchronous: this.store.synchronous,
      pid: process.pid,
      uptimeMs: Date.now() - this.startedAtMs,
      generation: this.generation,
      staleGenerationMessages: this.runtime.staleGenerationMessages,
      publishErrors: this.publishErrors.total,
      refusedMessages: Object.fromEntries(this.server.refusals()),
      mapEpoch: this.server.state.map.epoch,
      accounts: this.server.state.accountCount,
    };
  }
}

/** The node's core over its durable state; `extra` picks the first leader of a fresh instance. */
function buildServer(
  config: LedgerConfig,
  id: NodeId,
  durable: DurableState,
  extra: { firstElectionTicks?: number; initialLeader?: NodeId },
): ShardServer {
  const cluster = clusterOfNode(config.topology, id);
  return new ShardServer({
    self: id,
    members: nodesOfCluster(config.topology, cluster),
    settings: replicaSettings(config.timing),
    random: new SeededRandom(randomInt(2 ** 31)),
    checkpoint: config.checkpoint,
    cluster,
    clusterOfAccount: (account) =>
      isAccount(config.topology, account) ? clusterOfAccount(config.topology, account) : undefined,
    twoPc: config.twoPc,
    twoPcBounds: { clusters: config.topology.clusters, moneyTotal: totalMoney(config.topology) },
    historyCapacity: config.historyCapacity,
    ...durable,
    ...extra,
  });
}

/** The transport failpoint's delays, on Node's timers. */
const realTimers: FaultTimers = {
  after: (ms, run) => {
    const timer = setTimeout(run, ms);
    return () => clearTimeout(timer);
  },
};

/** The real node's time: the wall clock, and Node's event loop for the runtime's turns. */
const eventLoopScheduler: Scheduler = {
  nowMs: () => Date.now(),
  soon: (run) => void setImmediate(run),
  afterSend: (run) => queueMicrotask(run),
};
