import { performance } from 'node:perf_hooks';
import { decodeEnvelope, DecodeError } from '../codec/envelope.js';
import { allNodes } from '../ledger/topology.js';
import type { LedgerConfig } from '../node/config.js';
import {
  buildClusterView,
  silentAfterMsDefault,
  type ClusterView,
  type Received,
} from '../observability/cluster-view.js';
import { asAdmin, connectAs } from '../node/nats-access.js';
import { subjects } from '../transport/subjects.js';
import { disconnectedText, type Transport } from '../transport/transport.js';

/**
 * The snapshots nodes publish on `ledger.events`, as they arrive: the latest one per node,
 * stamped with this process's monotonic clock (node clocks may disagree with ours).
 */
export class MetricsFeed {
  private readonly latest = new Map<number, Received>();
  private ignored = 0;

  private constructor(
    private readonly config: LedgerConfig,
    private readonly transport: Transport,
  ) {}

  /** `live`: `ledger top` redrawing until Ctrl-C, which must ride out a broker restart; a
   *  one-shot look (--once, --json, check health) fails fast instead. */
  static async open(config: LedgerConfig, live = false): Promise<MetricsFeed> {
    const transport = await connectAs(config, asAdmin, { name: 'ledger-cli-metrics', longRunning: live });
    const feed = new MetricsFeed(config, transport);
    transport.subscribe(subjects(config.prefix).events, (m) => feed.onEvent(m.data));
    return feed;
  }

  private onEvent(data: Uint8Array): void {
    try {
      const envelope = decodeEnvelope(data);
      // Other events share the subject (view changes, later kinds): not ours to judge.
      if (envelope.kind !== 'metrics') return;
      this.latest.set(envelope.snapshot.node, { snapshot: envelope.snapshot, receivedAtMs: performance.now() });
    } catch (error) {
      if (!(error instanceof DecodeError)) throw error;
      this.ignored++;
    }
  }

  /** Malformed events seen (another version of ledger on the same prefix, say). */
  get malformedEvents(): number {
    return this.ignored;
  }

  view(silentAfterMs = silentAfterMsDefault): ClusterView {
    return buildClusterView(this.config.topology, this.latest, performance.now(), silentAfterMs);
  }

  /** Waits until every node of the topology reported since the feed opened, or `timeoutMs`. */
  async waitForEveryNode(timeoutMs: number): Promise<boolean> {
    const nodes = allNodes(this.config.topology);
    const deadline = performance.now() + timeoutMs;
    while (!nodes.every((n) => this.latest.has(n))) {
      if (performance.now() >= deadline) return false;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    return true;
  }

  /** `disconnected from NATS, reconnecting (attempt N)` while the connection is lost. */
  connectionNote(): string | undefined {
    return disconnectedText(this.transport.connection());
  }

  async close(): Promise<void> {
    await this.transport.close();
  }
}
