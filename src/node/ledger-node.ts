import { randomInt } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { decodeEnvelope, DecodeError, encodeEnvelope, type Envelope } from '../codec/envelope.js';
import type { FaultOp, FlushArgs, NodeStatus } from '../protocol/admin.js';
import { admitAdminRequest, answerAdmin, type AdminHost } from './admin-handlers.js';
import type { ClusterId, NodeId } from '../core/ids.js';
import { LedgerError } from '../core/errors.js';
import { limits } from '../core/limits.js';
import { SeededRandom } from '../core/random.js';
import { mustSyncBeforeSend, sendableBeforePersist, ShardServer, type Batch, type ShardReady } from '../ledger/shard-server.js';
import type { Outbound } from '../paxos/messages.js';
import { accountRange, clusterOfAccount, clusterOfNode, isAccount, nodesOfCluster, totalMoney } from '../ledger/topology.js';
import { ballotText, initialBallot } from '../paxos/ballot.js';
import { openNodeStore } from '../storage/open.js';
import { connectNats } from '../transport/nats.js';
import { subjects, type Subjects } from '../transport/subjects.js';
import { brokerPayloadProblem, type IncomingMessage, type Transport } from '../transport/transport.js';
import { replicaSettings, type LedgerConfig } from './config.js';
import type { DurableState, NodeStore } from './ports.js';
import { crashNow, failpointFromEnv, shouldCrash } from './failpoints.js';
import { nodeMetrics, type MetricsOptions, type RunningMetrics } from './node-metrics.js';
import { PublishErrors } from './publish-errors.js';

/** A request being served, kept until it is answered or the client has long given up. */
interface PendingRequest {
  reply: string;
  data: Uint8Array;
  hops: number;
  receivedAtMs: number;
  /** Monotonic arrival time, for the latency metrics. */
  arrivedAtMs: number;
}

/** Requests older than this are forgotten: every client has timed out and retried by then. */
const pendingRequestTtlMs = 30_000;

/**
 * The composition root of one node: wires the pure ShardServer to NATS, SQLite and a timer.
 * The Ready loop runs once per event-loop turn (group commit): inputs of the same turn are
 * stepped into the core, then one SQLite transaction persists everything they produced, and
 * only then are the messages sent; except a leader's accepts, which may leave just before the
 * persist so that the followers write to disk while the leader does (sendableBeforePersist).
 */
export class LedgerNode {
  readonly id: NodeId;
  readonly cluster: ClusterId;
  private readonly subjects: Subjects;
  private readonly pending = new Map<number, PendingRequest>();
  private nextReqId = 1;
  private drainScheduled = false;
  /** A ready's accepts left and its persist is queued: the core must not step until it is done. */
  private readyOutstanding = false;
  /** Inputs that arrived meanwhile (none can, in Node's event loop; this keeps it so). */
  private heldInputs: Array<() => void> = [];
  private tickTimer: NodeJS.Timeout | undefined;
  private malformed = 0;
  /** Fault injection (`ledger node fail`): deaf, mute and frozen, but its state is kept. */
  private failed = false;
  /** Fault injection (`ledger node isolate`): cut off from its peers. */
  private isolated = false;
  private readonly startedAtMs = Date.now();
  private stopped = false;
  /** Inert unless LEDGER_FAILPOINT is set (crash tests only). */
  private readonly failpoint = failpointFromEnv(process.env);
  /** Messages from another flush generation than ours (dropped). */
  private staleGeneration = 0;
  private readonly telemetry: RunningMetrics;
  /** Publishes the NATS client refused: counted by reason and logged, never swallowed. */
  private readonly publishErrors: PublishErrors;
  /** Refusals already counted in the metrics, by reason (the core's totals restart at a flush). */
  private refusalsCounted = new Map<string, number>();

  private constructor(
    private readonly config: LedgerConfig,
    id: NodeId,
    private readonly store: NodeStore,
    /** Replaced by a flush; otherwise the same for the node's life. */
    private server: ShardServer,
    private generation: number,
    private readonly transport: Transport,
    private readonly log: Logger,
    metricsOptions: MetricsOptions,
  ) {
    this.id = id;
    this.cluster = clusterOfNode(config.topology, id);
    this.subjects = subjects(config.prefix);
    this.telemetry = nodeMetrics({ node: id, cluster: this.cluster }, () => this.metricsSample(), metricsOptions);
    this.publishErrors = new PublishErrors(log, () => Date.now(), (reason) => this.telemetry.metrics.recordPublishError(reason));
    transport.onPublishError((failure) => this.publishErrors.record(failure));
  }

  static async start(config: LedgerConfig, id: NodeId, log: Logger, metricsOptions: MetricsOptions = {}): Promise<LedgerNode> {
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
    const server = buildServer(config, id, durable, id === members[0] ? { firstElectionTicks: settings.heartbeatTicks + 1 } : {});
    const transport = await connectNats({ url: config.natsUrl, name: `ledger-n${id}`, longRunning: true });
    const payloadProblem = brokerPayloadProblem(transport.brokerMaxPayloadBytes, settings.payloadBytesMax ?? limits.natsMaxPayloadBytes);
    if (payloadProblem !== undefined) {
      await transport.close();
      throw new LedgerError('config', payloadProblem, { hint: `set max_payload: ${limits.natsMaxPayloadBytes} (or more) in the nats-server configuration` });
    }
    const node = new LedgerNode(config, id, store, server, durable.generation, transport, log, metricsOptions);
    node.listen();
    await node.telemetry.start(transport, node.subjects.events, log);
    log.info({ node: id, cluster, appliedIndex: durable.appliedIndex, logEntries: durable.log.length, synchronous: store.synchronous }, 'node started');
    return node;
  }

  private listen(): void {
    const s = this.subjects;
    this.transport.subscribe(s.clusterPaxos(this.cluster), (m) => this.onPaxos(m));
    this.transport.subscribe(s.nodePaxos(this.id), (m) => this.onPaxos(m));
    this.transport.subscribe(s.nodeRequests(this.id), (m) => this.onRequest(m));
    this.transport.subscribe(s.nodeAdmin(this.id), (m) => this.onAdmin(m));
    this.transport.subscribe(s.clusterTwoPc(this.cluster), (m) => this.onTwoPc(m));
    this.tickTimer = setInterval(() => this.onTick(), this.config.timing.tickMs);
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.tickTimer !== undefined) clearInterval(this.tickTimer);
    await this.telemetry.stop().catch(() => undefined);
    await this.transport.close().catch(() => undefined);
    this.store.close();
    this.log.info({ node: this.id }, 'node stopped');
  }

  // ---- inputs ------------------------------------------------------------------------------

  private decode(m: IncomingMessage): Envelope | undefined {
    try {
      return decodeEnvelope(m.data);
    } catch (error) {
      if (!(error instanceof DecodeError)) throw error;
      // Malformed input is counted and dropped; it must never take the node down.
      this.malformed++;
      this.log.warn({ subject: m.subject, bytes: m.data.length, reason: error.message }, 'dropped a malformed message');
      return undefined;
    }
  }

  private onPaxos(m: IncomingMessage): void {
    if (this.stopped || this.failed || this.isolated) return;
    const envelope = this.decode(m);
    if (envelope === undefined) return;
    if (envelope.kind !== 'paxos' || envelope.cluster !== this.cluster) {
      this.malformed++;
      return;
    }
    // The generation is checked when the message is stepped, not when it arrives: a flush held
    // behind an outstanding ready runs first, and what arrived before it is then stale.
    this.input(() => {
      if (this.isStale(envelope.generation)) return;
      this.telemetry.metrics.recordIncoming(envelope.message);
      this.server.step(envelope.message);
    });
    this.scheduleDrain();
  }

  private onTwoPc(m: IncomingMessage): void {
    if (this.stopped || this.failed || this.isolated) return;
    const envelope = this.decode(m);
    if (envelope === undefined) return;
    if (envelope.kind !== '2pc' || envelope.fromCluster === this.cluster) {
      this.malformed++;
      return;
    }
    this.input(() => {
      if (!this.isStale(envelope.generation)) this.server.stepTwoPc(envelope.message, envelope.fromCluster);
    });
    this.scheduleDrain();
  }

  private onRequest(m: IncomingMessage): void {
    if (this.stopped || this.failed) return;
    const envelope = this.decode(m);
    if (envelope === undefined) return;
    if (envelope.kind !== 'request' || m.reply === undefined) {
      this.malformed++;
      return;
    }
    const reqId = this.nextReqId++;
    this.pending.set(reqId, { reply: m.reply, data: m.data, hops: envelope.hops, receivedAtMs: Date.now(), arrivedAtMs: this.telemetry.now() });
    this.input(() => {
      // Sent in another flush generation (checked when stepped: a flush may have passed it).
      if (envelope.generation !== undefined && this.isStale(envelope.generation)) {
        this.pending.delete(reqId);
        return;
      }
      this.server.request({ reqId, command: envelope.command, hops: envelope.hops });
    });
    this.scheduleDrain();
  }

  private onTick(): void {
    if (this.failed) return;
    this.input(() => this.server.tick());
    this.scheduleDrain();
    this.forgetAbandonedRequests();
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

  private forgetAbandonedRequests(): void {
    const oldest = Date.now() - pendingRequestTtlMs;
    for (const [reqId, p] of this.pending) {
      // Map order is arrival order: stop at the first request still young enough.
      if (p.receivedAtMs >= oldest) break;
      this.pending.delete(reqId);
    }
  }

  /** A message from another flush generation than ours: counted and dropped. */
  private isStale(generation: number): boolean {
    if (generation === this.generation) return false;
    this.staleGeneration++;
    return true;
  }

  // ---- the Ready loop ----------------------------------------------------------------------

  /** Steps an input into the core now, or once the ready in progress is persisted. */
  private input(step: () => void): void {
    if (this.readyOutstanding) this.heldInputs.push(step);
    else step();
  }

  private scheduleDrain(): void {
    if (this.drainScheduled) return;
    this.drainScheduled = true;
    setImmediate(() => {
      this.drainScheduled = false;
      this.drain();
    });
  }

  private drain(): void {
    if (this.stopped || this.readyOutstanding) return;
    while (this.server.hasReady()) {
      const rd = this.server.ready();
      const early = this.failed || this.isolated ? [] : sendableBeforePersist(rd);
      if (early.length === 0) {
        this.persistSendAdvance(rd, new Set());
        continue;
      }
      // The leader's accepts go first (see sendableBeforePersist). The NATS client writes them
      // to the socket in a microtask; ours, queued after it, persists and sends the rest, so the
      // followers' disk writes overlap the leader's. Until then the core takes no input.
      this.publishPaxos(early);
      this.readyOutstanding = true;
      queueMicrotask(() => {
        this.readyOutstanding = false;
        if (this.stopped) return;
        this.persistSendAdvance(rd, new Set(early));
        const inputs = this.heldInputs;
        this.heldInputs = [];
        for (const input of inputs) input();
        this.drain();
      });
      break;
    }
  }

  /** Persist before send (see PaxosReady), then the messages not already sent, then advance. */
  private persistSendAdvance(rd: ShardReady, sent: ReadonlySet<Outbound<Batch>>): void {
    // Synchronous, so nothing interleaves.
    const persistStartedMs = this.telemetry.now();
    this.store.persist({
      promised: rd.paxos.promised,
      entries: rd.paxos.entries,
      newViews: rd.paxos.newViews,
      state: rd.state,
      compactedThrough: rd.paxos.compactedThrough,
      sync: mustSyncBeforeSend(rd, this.server.replica.memberCount),
    });
    this.telemetry.metrics.recordPersist(this.telemetry.now() - persistStartedMs);
    if (shouldCrash(this.failpoint, rd.events, 'before-send')) {
      this.log.warn({ failpoint: process.env.LEDGER_FAILPOINT }, 'failpoint: crashing before sending');
      this.log.flush();
      crashNow();
    }
    this.send(rd, sent);
    this.telemetry.metrics.recordReady(rd, { leading: this.server.replica.role === 'leader', ballot: ballotText(this.server.replica.ballot), cutOff: this.failed || this.isolated });
    if (shouldCrash(this.failpoint, rd.events, 'after-send')) {
      this.log.warn({ failpoint: process.env.LEDGER_FAILPOINT }, 'failpoint: crashing after sending');
      this.log.flush();
      void this.transport.flush().finally(() => crashNow());
    }
    this.server.advance();
    for (const view of rd.paxos.newViews) {
      this.log.info({ ballot: ballotText(view.ballot), commitIndex: view.commitIndex, reproposed: view.entries.length }, 'new view: leading');
    }
  }

  private publishPaxos(messages: readonly Outbound<Batch>[]): void {
    for (const { to, message } of messages) {
      const subject = to === 'all' ? this.subjects.clusterPaxos(this.cluster) : this.subjects.nodePaxos(to);
      this.transport.publish(subject, encodeEnvelope({ kind: 'paxos', cluster: this.cluster, generation: this.generation, message }));
    }
  }

  private send(rd: ShardReady, sent: ReadonlySet<Outbound<Batch>>): void {
    const cutOff = this.failed || this.isolated;
    if (!cutOff) this.publishPaxos(sent.size === 0 ? rd.paxos.messages : rd.paxos.messages.filter((m) => !sent.has(m)));
    for (const { toCluster, message } of cutOff ? [] : rd.twoPc) {
      this.transport.publish(this.subjects.clusterTwoPc(toCluster), encodeEnvelope({ kind: '2pc', fromCluster: this.cluster, generation: this.generation, message }));
    }
    for (const { reqId, response } of rd.replies) {
      const p = this.pending.get(reqId);
      if (p === undefined) continue;
      this.pending.delete(reqId);
      this.transport.publish(p.reply, encodeEnvelope({ kind: 'response', response }));
      this.telemetry.metrics.recordReply(response, this.telemetry.now() - p.arrivedAtMs);
    }
    for (const { to, message } of cutOff ? [] : rd.snapshots) {
      this.transport.publish(this.subjects.nodePaxos(to), encodeEnvelope({ kind: 'paxos', cluster: this.cluster, generation: this.generation, message }));
    }
    for (const { reqId, to } of rd.forwards) {
      const p = this.pending.get(reqId);
      if (p === undefined) continue;
      this.pending.delete(reqId);
      if (cutOff) continue;
      // Forward to the leader, keeping the client's reply subject: the leader answers directly.
      const envelope = decodeEnvelope(p.data);
      if (envelope.kind !== 'request') continue;
      this.transport.publish(this.subjects.nodeRequests(to), encodeEnvelope({ ...envelope, hops: p.hops + 1 }), p.reply);
    }
  }

  // ---- admin -------------------------------------------------------------------------------

  private onAdmin(m: IncomingMessage): void {
    if (m.reply === undefined) return;
    const reply = m.reply;
    const admitted = admitAdminRequest(m.data);
    if ('refusal' in admitted) {
      // Counted like any malformed message, and refused with its code: the asker need not wait.
      this.malformed++;
      this.log.warn({ subject: m.subject, bytes: m.data.length, reason: admitted.refusal.message }, 'refused a malformed admin request');
      this.transport.publish(reply, encodeEnvelope({ kind: 'admin-reply', ...admitted.refusal }));
      return;
    }
    const { request } = admitted;
    // Like every input, after a ready whose accepts already left is persisted: a flush must not
    // replace the core (and its storage) under that ready.
    this.input(() => this.transport.publish(reply, encodeEnvelope({ kind: 'admin-reply', ...answerAdmin(this.adminHost(), request) })));
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
      flush: (args) => this.flush(args),
      countStale: () => this.staleGeneration++,
      scheduleDrain: () => this.scheduleDrain(),
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
    this.pending.clear();
    this.server = buildServer(this.config, this.id, this.store.load(), { initialLeader: args.leader });
    this.telemetry.metrics.onFlush();
    this.refusalsCounted = new Map();
    this.generation = args.generation;
    this.failed = args.failed;
    this.isolated = false;
    this.log.warn({ generation: args.generation, leader: args.leader, failed: args.failed }, 'flushed to the initial state');
    this.scheduleDrain();
  }

  private injectFault(op: FaultOp): void {
    if (op === 'fail') this.failed = true;
    if (op === 'recover') this.failed = false;
    if (op === 'isolate') this.isolated = true;
    if (op === 'heal') this.isolated = false;
    this.log.warn({ op }, 'fault injection');
  }

  private metricsSample() {
    const s = this.status();
    return { ...s, role: s.failed ? ('failed' as const) : s.role, pendingRequests: this.pending.size };
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
      failed: this.failed,
      isolated: this.isolated,
      logFloor: replica.logFloor,
      logEntries: replica.logSize,
      synchronous: this.store.synchronous,
      pid: process.pid,
      uptimeMs: Date.now() - this.startedAtMs,
      generation: this.generation,
      staleGenerationMessages: this.staleGeneration,
      publishErrors: this.publishErrors.total,
      refusedMessages: Object.fromEntries(this.server.refusals()),
    };
  }
}

/** The node's core over its durable state; `extra` picks the first leader of a fresh instance. */
function buildServer(config: LedgerConfig, id: NodeId, durable: DurableState, extra: { firstElectionTicks?: number; initialLeader?: NodeId }): ShardServer {
  const cluster = clusterOfNode(config.topology, id);
  return new ShardServer({
    self: id,
    members: nodesOfCluster(config.topology, cluster),
    settings: replicaSettings(config.timing),
    random: new SeededRandom(randomInt(2 ** 31)),
    checkpoint: config.checkpoint,
    cluster,
    clusterOfAccount: (account) => (isAccount(config.topology, account) ? clusterOfAccount(config.topology, account) : undefined),
    twoPc: config.twoPc,
    twoPcBounds: { clusters: config.topology.clusters, moneyTotal: totalMoney(config.topology) },
    ...durable,
    ...extra,
  });
}
