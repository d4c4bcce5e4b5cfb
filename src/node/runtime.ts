import type { ClusterId } from '../protocol/ids.js';
import type { ShardServer } from '../ledger/shard-server.js';
import {
  mustSyncBeforeSend,
  sendableBeforePersist,
  sendableBeforePersistUnderFailpoint,
  restSendableBeforePersist,
  type ShardReady,
} from '../ledger/shard-ready.js';
import type { ShardMessage } from '../protocol/client.js';
import type { Batch, Command } from '../protocol/commands.js';
import type { Outbound } from '../protocol/paxos.js';
import type { ClusterMessage } from '../protocol/moves.js';
import type { HeldRequest, Outbox, ReadyStore, RuntimeHooks, Scheduler, SendRules } from '../ports/runtime.js';

/** What a ready sent before its persist (see drain). */
interface SentEarly {
  paxos: ReadonlySet<Outbound<Batch>>;
  /** The replies, forwards and messages to other clusters went too. */
  rest: boolean;
}

/** Requests older than this are forgotten: every client has timed out and retried by then. */
export const pendingRequestTtlMs = 30_000;

const projectRules: SendRules = { sendableBeforePersist, restSendableBeforePersist, mustSyncBeforeSend };

/**
 * The rules of a node under a failpoint (src/node/failpoints.ts, the crash tests): only the
 * accepts may leave before the persist, and not those of a ready that carries a step of
 * Two-Phase Commit, so that a crash `before-send` at a step means that nothing of it left.
 */
export const failpointRules: SendRules = {
  sendableBeforePersist: sendableBeforePersistUnderFailpoint,
  mustSyncBeforeSend,
};

export interface NodeRuntimeInit<R extends HeldRequest> {
  server: ShardServer;
  /** The flush generation of the store the server was built on (0 before the first flush). */
  generation: number;
  store: ReadyStore;
  outbox: Outbox<R>;
  scheduler: Scheduler;
  hooks?: RuntimeHooks;
  /** Tests only: a broken order of persist and send (tests/sim/broken-runtime.test.ts). */
  rules?: SendRules;
}

/**
 * The node runtime: everything between the pure core (ShardServer) and the world, written once
 * over ports (src/ports/runtime.ts) so that the real node and the simulator run the same code.
 *
 * The Ready loop runs once per turn (group commit): inputs of the same turn are stepped into the
 * core, then one transaction persists everything they produced, and only then are the messages
 * sent, then the core advances; except a leader's accepts, which may leave just before the
 * persist so that the followers write to disk while the leader does (sendableBeforePersist).
 * Until that persist is done the core takes no input: inputs are held and stepped after it.
 *
 * Every message carries the flush generation it was sent in; one from another generation is
 * dropped when it is stepped (not when it arrives: a flush held behind an outstanding ready runs
 * first, and what arrived before it is then stale). Requests wait here, by the reqId the core
 * knows them by, until they are answered, forwarded, flushed away or too old. A node cut off by
 * fault injection (failed or isolated) still answers its clients but its peers hear nothing.
 */
export class NodeRuntime<R extends HeldRequest> {
  /** Replaced by a flush; otherwise the same for the node's life. */
  private core: ShardServer;
  private generationNow: number;
  private readonly store: ReadyStore;
  private readonly outbox: Outbox<R>;
  private readonly scheduler: Scheduler;
  private readonly hooks: RuntimeHooks;
  private readonly rules: SendRules;
  private readonly pending = new Map<number, R>();
  private nextReqId = 1;
  private drainScheduled = false;
  /** A ready's accepts left and its persist is queued: the core must not step until it is done. */
  private readyOutstanding = false;
  /** Inputs that arrived meanwhile (stepped in arrival order once the persist is done). */
  private heldInputs: Array<() => void> = [];
  private stopped = false;
  /** Fault injection (`ledger node fail`): deaf, mute and frozen, but its state is kept. */
  failed = false;
  /** Fault injection (`ledger node isolate`): cut off from its peers. */
  isolated = false;
  /** Messages from another flush generation than ours (dropped). */
  private staleCount = 0;

  constructor(init: NodeRuntimeInit<R>) {
    this.core = init.server;
    this.generationNow = init.generation;
    this.store = init.store;
    this.outbox = init.outbox;
    this.scheduler = init.scheduler;
    this.hooks = init.hooks ?? {};
    this.rules = init.rules ?? projectRules;
  }

  get server(): ShardServer {
    return this.core;
  }

  get generation(): number {
    return this.generationNow;
  }

  get staleGenerationMessages(): number {
    return this.staleCount;
  }

  /** Requests waiting for their answer. */
  get pendingRequests(): number {
    return this.pending.size;
  }

  /** Peers are not heard (stopped, failed or isolated): the composition need not even decode. */
  get deafToPeers(): boolean {
    return this.stopped || this.failed || this.isolated;
  }

  /** Clients are not heard (stopped or failed). */
  get deafToClients(): boolean {
    return this.stopped || this.failed;
  }

  /** Peers hear nothing from this node (failed or isolated). */
  private get cutOff(): boolean {
    return this.failed || this.isolated;
  }

  /** For good: nothing is stepped, persisted or sent any more (a stopped node, a crash). */
  stop(): void {
    this.stopped = true;
    this.heldInputs = [];
  }

  // ---- inputs ------------------------------------------------------------------------------

  paxos(message: ShardMessage, generation: number): void {
    if (this.deafToPeers) return;
    this.input(() => {
      if (this.isStale(generation)) return;
      this.hooks.stepped?.(message);
      this.core.step(message);
    });
    this.scheduleDrain();
  }

  twoPc(message: ClusterMessage, fromCluster: ClusterId | undefined, generation: number): void {
    if (this.deafToPeers) return;
    this.input(() => {
      if (!this.isStale(generation)) this.core.stepTwoPc(message, fromCluster);
    });
    this.scheduleDrain();
  }

  /** A client's request; `generation` when the client sent it in a known flush generation. */
  request(request: R, command: Command, generation: number | undefined): void {
    if (this.deafToClients) return;
    const reqId = this.nextReqId++;
    this.pending.set(reqId, request);
    this.input(() => {
      // Sent in another flush generation (checked when stepped: a flush may have passed it).
      if (generation !== undefined && this.isStale(generation)) {
        this.pending.delete(reqId);
        return;
      }
      this.core.request({ reqId, command, hops: request.hops });
    });
    this.scheduleDrain();
  }

  /** One tick of this node's clock: the core's timeouts, and requests too old are forgotten. */
  tick(): void {
    if (this.failed) return;
    this.input(() => this.core.tick());
    this.scheduleDrain();
    this.forgetAbandonedRequests();
  }

  /** Anything else that steps the core (an admin operation, a leadership transfer): now, or
   *  once the ready in progress is persisted. The caller schedules the drain if it stepped. */
  input(step: () => void): void {
    if (this.readyOutstanding) this.heldInputs.push(step);
    else step();
  }

  /** A message from another flush generation than ours: counted and dropped. */
  isStale(generation: number): boolean {
    if (generation === this.generationNow) return false;
    this.staleCount++;
    return true;
  }

  /** Counts a message of another generation that the composition refused itself (an admin op). */
  countStale(): void {
    this.staleCount++;
  }

  /**
   * A flush (docs/test-files.md, "The flush"): the composition reset the store, and `server` is
   * the fresh core on it. Requests in flight are forgotten (their clients have been answered or
   * given up), and messages of the old generation are dropped from now on.
   */
  replaceCore(server: ShardServer, generation: number, failed: boolean): void {
    this.pending.clear();
    this.core = server;
    this.generationNow = generation;
    this.failed = failed;
    this.isolated = false;
    this.scheduleDrain();
  }

  private forgetAbandonedRequests(): void {
    const oldest = this.scheduler.nowMs() - pendingRequestTtlMs;
    for (const [reqId, p] of this.pending) {
      // Map order is arrival order: stop at the first request still young enough.
      if (p.receivedAtMs >= oldest) break;
      this.pending.delete(reqId);
    }
  }

  // ---- the Ready loop ----------------------------------------------------------------------

  scheduleDrain(): void {
    if (this.drainScheduled) return;
    this.drainScheduled = true;
    this.scheduler.soon(() => {
      this.drainScheduled = false;
      this.drain();
    });
  }

  private drain(): void {
    if (this.stopped || this.readyOutstanding) return;
    for (;;) {
      this.core.propose(); // a proposal is an input: one per turn (group commit)
      if (!this.core.hasReady()) break;
      const rd = this.core.ready();
      const early = this.cutOff ? [] : this.rules.sendableBeforePersist(rd);
      const rest =
        rd.replies.length + rd.forwards.length + rd.twoPc.length > 0 &&
        this.rules.restSendableBeforePersist?.(rd, this.core.replica.memberCount) === true;
      if (early.length === 0 && !rest) {
        if (!this.persistSendAdvance(rd, undefined)) return;
        continue;
      }
      // The leader's accepts (and, when they may, the replies and messages to other clusters)
      // go first (see sendableBeforePersist, restSendableBeforePersist). The transport writes them
      // out (NATS: in a microtask); the persist and the rest come after (ours, queued after it),
      // so the followers' disk writes overlap the leader's. Until then the core takes no input.
      this.sendPaxos(early);
      if (rest) {
        this.sendRest(rd);
        this.outbox.flush?.();
      }
      if (this.hooks.crash?.('after-early-send', rd) === true) return this.stop();
      this.readyOutstanding = true;
      this.scheduler.afterSend(() => {
        this.readyOutstanding = false;
        if (this.stopped) return;
        if (!this.persistSendAdvance(rd, { paxos: new Set(early), rest })) return;
        const inputs = this.heldInputs;
        this.heldInputs = [];
        for (const input of inputs) input();
        this.drain();
      });
      return;
    }
  }

  /** Persist before send (see PaxosReady), then the messages not already sent, then advance.
   *  False when the node crashed on the way (it then stopped). */
  private persistSendAdvance(rd: ShardReady, sent: SentEarly | undefined): boolean {
    // Synchronous, so nothing interleaves.
    this.store.persist({
      promised: rd.paxos.promised,
      entries: rd.paxos.entries,
      newViews: rd.paxos.newViews,
      state: rd.state,
      compactedThrough: rd.paxos.compactedThrough,
      sync: this.rules.mustSyncBeforeSend(rd, this.core.replica.memberCount),
    });
    if (this.hooks.crash?.('after-persist', rd) === true) {
      this.stop();
      return false;
    }
    this.send(rd, sent);
    this.hooks.carriedOut?.(rd, this.cutOff);
    if (this.hooks.crash?.('after-send', rd) === true) {
      this.stop();
      return false;
    }
    this.core.advance();
    return true;
  }

  private sendPaxos(messages: readonly Outbound<Batch>[]): void {
    for (const { to, message } of messages) this.outbox.paxos(to, message, this.generationNow);
  }

  private send(rd: ShardReady, sent: SentEarly | undefined): void {
    if (!this.cutOff)
      this.sendPaxos(sent === undefined ? rd.paxos.messages : rd.paxos.messages.filter((m) => !sent.paxos.has(m)));
    if (sent?.rest !== true) this.sendRest(rd);
    if (!this.cutOff) for (const { to, message } of rd.snapshots) this.outbox.paxos(to, message, this.generationNow);
  }

  /** A ready's replies, forwards and messages to other clusters. */
  private sendRest(rd: ShardReady): void {
    const cutOff = this.cutOff;
    if (!cutOff)
      for (const { toCluster, message } of rd.twoPc) this.outbox.twoPc(toCluster, message, this.generationNow);
    // Replies go out even from a node cut off from its peers: only its peers are cut off.
    for (const { reqId, response } of rd.replies) {
      const p = this.pending.get(reqId);
      if (p === undefined) continue;
      this.pending.delete(reqId);
      this.outbox.reply(p, response);
    }
    for (const { reqId, to } of rd.forwards) {
      const p = this.pending.get(reqId);
      if (p === undefined) continue;
      this.pending.delete(reqId);
      if (!cutOff) this.outbox.forward(p, to, p.hops + 1);
    }
  }
}
