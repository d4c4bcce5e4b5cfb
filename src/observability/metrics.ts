import * as hdr from 'hdr-histogram-js';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { abortReasonsMax, snapshotRoles, type MetricsSnapshot } from '../protocol/metrics.js';
import type { ShardMessage, Response } from '../protocol/client.js';
import type { ShardReady } from '../ledger/shard-ready.js';
import { roundMs } from '../core/round-ms.js';

/** What the node runtime tells the metrics about itself whenever they are read: the parts of
 *  a snapshot that are the node's own state rather than measured here. */
export type NodeSample = Pick<
  MetricsSnapshot,
  | 'role'
  | 'isolated'
  | 'leader'
  | 'ballot'
  | 'commitIndex'
  | 'appliedIndex'
  | 'pendingRequests'
  | 'pendingCommands'
  | 'metricsPort'
  | 'pid'
  | 'uptimeMs'
>;

/** How the node saw a Ready it carried out. */
export interface ReadyView {
  leading: boolean;
  /** Ballot of the leader the node follows (or its own): a change is a view change. */
  ballot: string;
  /** Failed or isolated: the protocol messages of this Ready were dropped, not sent. */
  cutOff: boolean;
}

/** Percentile histograms of one interval, in microseconds (1 us .. 1 h, 2 significant digits). */
function intervalHistogram(): hdr.Histogram {
  return hdr.build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: 3_600_000_000,
    numberOfSignificantValueDigits: 2,
    autoResize: true,
  });
}

/** Counts of the current interval; reset by every snapshot. */
interface Interval {
  startedAtMs: number;
  replies: number;
  commits: number;
  batches: number;
  batchCommands: number;
  batchCommandsMax: number;
  paxosSent: number;
}

const latencyBucketsSeconds = [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10];
const persistBucketsSeconds = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1];
const batchBucketsCommands = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512];

/**
 * One node's counters and histograms. Two views of the same events: a Prometheus registry
 * (cumulative, base units, for scraping) and interval statistics (rates and percentiles of the
 * last interval) for the snapshot published on `ledger.events`. Fed by src/node from what the
 * pure core returns (Ready contents, replies), so the cores need no clock and no hooks.
 */
export class NodeMetrics {
  readonly registry = new Registry();
  private readonly commits: Counter;
  private readonly aborts: Counter<'reason'>;
  private readonly replies: Counter<'outcome'>;
  private readonly requestSeconds: Histogram;
  private readonly persistSeconds: Histogram;
  private readonly batchCommands: Histogram;
  private readonly paxosSent: Counter<'type'>;
  private readonly viewChanges: Counter;
  private readonly newViews: Counter;
  private readonly publishErrors: Counter<'reason'>;
  private readonly refused: Counter;

  // Totals kept as plain numbers too: prom-client reads are async, a snapshot must not be.
  private commitsTotal = 0;
  private readonly abortsByReason = new Map<string, number>();
  private viewChangesTotal = 0;
  private lastBallot: string | undefined;
  /** Highest slot already seen in a persisted Ready: only slots above it are new proposals. */
  private seenThroughSlot = 0;
  /** Highest commit index a leader announced to this node (accepts and heartbeats carry it). */
  private leaderCommitSeen = 0;

  private interval: Interval;
  private readonly latencyUs = intervalHistogram();
  private readonly persistUs = intervalHistogram();

  constructor(
    private readonly labels: { node: number; cluster: number },
    private readonly sample: () => NodeSample,
    nowMs: number,
    options: { processMetrics?: boolean } = {},
  ) {
    this.interval = emptyInterval(nowMs);
    const registers = [this.registry];
    // Every series says which node it came from, so one Prometheus can scrape all nodes.
    this.registry.setDefaultLabels({ node: String(labels.node), cluster: String(labels.cluster) });
    if (options.processMetrics ?? true) collectDefaultMetrics({ register: this.registry, prefix: 'ledger_' });
    this.commits = new Counter({
      name: 'ledger_commits_total',
      help: 'Transfers this node answered as committed',
      registers,
    });
    this.aborts = new Counter({
      name: 'ledger_aborts_total',
      help: 'Transfers this node answered as aborted, by reason',
      labelNames: ['reason'],
      registers,
    });
    this.replies = new Counter({
      name: 'ledger_replies_total',
      help: 'Answers to client requests, by outcome (redirect and busy are not final)',
      labelNames: ['outcome'],
      registers,
    });
    this.requestSeconds = new Histogram({
      name: 'ledger_request_duration_seconds',
      help: 'From a request arriving at this node to its final answer',
      buckets: latencyBucketsSeconds,
      registers,
    });
    this.persistSeconds = new Histogram({
      name: 'ledger_sqlite_persist_duration_seconds',
      help: 'One Ready persisted in one SQLite transaction (fsync included)',
      buckets: persistBucketsSeconds,
      registers,
    });
    this.batchCommands = new Histogram({
      name: 'ledger_batch_commands',
      help: 'Commands in each slot this node proposed as leader',
      buckets: batchBucketsCommands,
      registers,
    });
    this.paxosSent = new Counter({
      name: 'ledger_paxos_messages_sent_total',
      help: 'Paxos messages published (a broadcast to the cluster counts once), by type',
      labelNames: ['type'],
      registers,
    });
    this.viewChanges = new Counter({
      name: 'ledger_view_changes_total',
      help: 'Times the ballot this node follows or leads changed',
      registers,
    });
    this.newViews = new Counter({
      name: 'ledger_new_views_total',
      help: 'NEW-VIEWs this node completed as the new leader',
      registers,
    });
    this.publishErrors = new Counter({
      name: 'ledger_publish_errors_total',
      help: 'Messages the NATS client refused to publish (dropped), by reason',
      labelNames: ['reason'],
      registers,
    });
    this.refused = new Counter({
      name: 'ledger_messages_refused_total',
      help: 'Protocol messages refused as out of range (forged or absurd: cluster, slot, ballot, amount), by reason',
      labelNames: ['reason'],
      registers,
    });
    this.gauges(registers);
  }

  /** Gauges read the node when scraped, so they are never stale. */
  private gauges(registers: Registry[]): void {
    const read = this.sample;
    const metrics = this;
    const gauge = (name: string, help: string, value: (s: NodeSample) => number) =>
      new Gauge({
        name,
        help,
        registers,
        collect() {
          this.set(value(read()));
        },
      });
    new Gauge({
      name: 'ledger_role',
      help: 'The role of this node: 1 for the current one',
      labelNames: ['role'],
      registers,
      collect() {
        const current = read().role;
        for (const role of snapshotRoles) this.set({ role }, role === current ? 1 : 0);
      },
    });
    gauge('ledger_leader_node', 'The node this one believes leads its cluster (0: none known)', (s) => s.leader ?? 0);
    gauge('ledger_commit_index', 'Highest slot this node knows chosen', (s) => s.commitIndex);
    gauge('ledger_applied_index', 'Highest slot applied to the balances', (s) => s.appliedIndex);
    gauge('ledger_lag_slots', "Slots this node's balances are behind the commit index its leader announced", (s) =>
      metrics.lagSlots(s),
    );
    gauge('ledger_pending_requests', 'Client requests waiting for an answer at this node', (s) => s.pendingRequests);
    gauge(
      'ledger_pending_commands',
      'Commands the leader holds waiting for locks or pipeline room',
      (s) => s.pendingCommands,
    );
    gauge('ledger_isolated', '1 while the node is partitioned from its peers (fault injection)', (s) =>
      s.isolated ? 1 : 0,
    );
  }

  // ---- events ------------------------------------------------------------------------------

  /** A reply left the node, `latencyMs` after its request arrived. */
  recordReply(response: Response, latencyMs: number): void {
    if (response.kind !== 'outcome') {
      this.replies.inc({ outcome: response.kind });
      return;
    }
    const outcome = response.outcome;
    this.replies.inc({ outcome: outcome.status });
    this.requestSeconds.observe(latencyMs / 1000);
    this.latencyUs.recordValue(Math.max(1, Math.round(latencyMs * 1000)));
    this.interval.replies++;
    if (outcome.status === 'committed') {
      this.commits.inc();
      this.commitsTotal++;
      this.interval.commits++;
    } else if (outcome.status === 'aborted') {
      // Bounded: reasons are a handful of fixed words, but a label must never grow without end.
      const reason =
        this.abortsByReason.has(outcome.reason) || this.abortsByReason.size < abortReasonsMax
          ? outcome.reason.slice(0, 64)
          : 'other';
      this.aborts.inc({ reason });
      this.abortsByReason.set(reason, (this.abortsByReason.get(reason) ?? 0) + 1);
    }
  }

  /** A publish failed and its message was dropped (`reason`: one of a fixed few words). */
  recordPublishError(reason: string): void {
    this.publishErrors.inc({ reason });
  }

  /** One Ready was persisted in `ms`. */
  recordPersist(ms: number): void {
    this.persistSeconds.observe(ms / 1000);
    this.persistUs.recordValue(Math.max(1, Math.round(ms * 1000)));
  }

  /** A Ready was carried out: count its messages, new views and newly proposed batches. */
  recordReady(rd: ShardReady, view: ReadyView): void {
    if (!view.cutOff) {
      for (const { message } of rd.paxos.messages) this.paxosSent.inc({ type: message.type });
      this.interval.paxosSent += rd.paxos.messages.length;
    }
    if (rd.paxos.newViews.length > 0) this.newViews.inc(rd.paxos.newViews.length);
    if (this.lastBallot !== undefined && view.ballot !== this.lastBallot) {
      this.viewChanges.inc();
      this.viewChangesTotal++;
    }
    this.lastBallot = view.ballot;
    for (const entry of rd.paxos.entries) {
      if (entry.slot <= this.seenThroughSlot) continue;
      this.seenThroughSlot = entry.slot;
      // A leader persists its own proposal before sending it: a slot above everything seen is new.
      if (!view.leading || entry.value === null) continue;
      const commands = entry.value.length;
      this.batchCommands.observe(commands);
      this.interval.batches++;
      this.interval.batchCommands += commands;
      this.interval.batchCommandsMax = Math.max(this.interval.batchCommandsMax, commands);
    }
  }

  /** The core refused `count` more messages for `reason` (see src/paxos/message-bounds.ts). */
  recordRefused(reason: string, count: number): void {
    this.refused.inc({ reason }, count);
  }

  /** A protocol message arrived: remember the commit index the leader announces. */
  recordIncoming(message: ShardMessage): void {
    if (message.type === 'accept' && message.commitIndex > this.leaderCommitSeen)
      this.leaderCommitSeen = message.commitIndex;
  }

  /**
   * The node's log was flushed (`ledger cluster flush`, the test-file runner): slots restart at 0
   * in a new generation under a fresh core. The high-water marks above describe the old log and
   * would otherwise outlive it: `leaderCommitSeen` would keep the lag at the old commit index
   * minus the new applied index (every node "lagging" by thousands of slots, so `ledger check
   * health` warns everywhere), `seenThroughSlot` would hide every new proposal until the slots
   * pass the old maximum (no batches counted), and `lastBallot` would make the fresh core's
   * initial ballot count as a view change. Reset them as on a fresh node. Cumulative totals and
   * Prometheus counters stay: counters must never go down, and the process is the same.
   */
  onFlush(): void {
    this.leaderCommitSeen = 0;
    this.seenThroughSlot = 0;
    this.lastBallot = undefined;
  }

  private lagSlots(s: NodeSample): number {
    return Math.max(0, Math.max(this.leaderCommitSeen, s.commitIndex) - s.appliedIndex);
  }

  // ---- reading -----------------------------------------------------------------------------

  /** The snapshot for `ledger.events`: totals, and the interval since the last snapshot (reset). */
  snapshot(nowMs: number, wallMs: number): MetricsSnapshot {
    const s = this.sample();
    const i = this.interval;
    const seconds = Math.max(0.001, (nowMs - i.startedAtMs) / 1000);
    const snapshot: MetricsSnapshot = {
      node: this.labels.node,
      cluster: this.labels.cluster,
      role: s.role,
      isolated: s.isolated,
      leader: s.leader,
      ballot: s.ballot,
      commitIndex: s.commitIndex,
      appliedIndex: s.appliedIndex,
      lagSlots: this.lagSlots(s),
      commitsTotal: this.commitsTotal,
      abortsTotal: [...this.abortsByReason].map(([reason, count]) => ({ reason, count })),
      viewChangesTotal: this.viewChangesTotal,
      intervalMs: Math.round(seconds * 1000),
      repliesPerSec: i.replies / seconds,
      commitsPerSec: i.commits / seconds,
      latencyMsP50: percentileMs(this.latencyUs, 50),
      latencyMsP99: percentileMs(this.latencyUs, 99),
      pendingRequests: s.pendingRequests,
      pendingCommands: s.pendingCommands,
      batchCommandsMean: i.batches === 0 ? 0 : i.batchCommands / i.batches,
      batchCommandsMax: i.batchCommandsMax,
      paxosMessagesPerCommit: i.commits === 0 ? 0 : i.paxosSent / i.commits,
      persistMsP99: percentileMs(this.persistUs, 99),
      metricsPort: s.metricsPort,
      pid: s.pid,
      uptimeMs: s.uptimeMs,
      sentAtMs: Math.round(wallMs),
    };
    this.interval = emptyInterval(nowMs);
    this.latencyUs.reset();
    this.persistUs.reset();
    return snapshot;
  }

  /** The Prometheus text exposition format. */
  async prometheusText(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}

function emptyInterval(nowMs: number): Interval {
  return {
    startedAtMs: nowMs,
    replies: 0,
    commits: 0,
    batches: 0,
    batchCommands: 0,
    batchCommandsMax: 0,
    paxosSent: 0,
  };
}

function percentileMs(h: hdr.Histogram, percentile: number): number {
  return h.totalCount === 0 ? 0 : roundMs(h.getValueAtPercentile(percentile) / 1000);
}
