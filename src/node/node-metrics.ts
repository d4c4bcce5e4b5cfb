import { performance } from 'node:perf_hooks';
import type { Logger } from 'pino';
import { Counter } from 'prom-client';
import { NodeMetrics, type NodeSample } from '../observability/metrics.js';
import type { Transport } from '../transport/transport.js';
import { startMetricsHttp } from './metrics-http.js';
import { startMetricsPublisher } from './metrics-publisher.js';

export interface MetricsOptions {
  /** Port of the Prometheus endpoint; undefined or 0: none. */
  metricsPort?: number | undefined;
  /** Address it binds to [default: 127.0.0.1]. */
  metricsHost?: string | undefined;
}

/** A node's metrics with what serves them: the snapshot on `ledger.events`, and /metrics. */
export interface RunningMetrics {
  metrics: NodeMetrics;
  /** Monotonic milliseconds, the clock every duration fed to `metrics` is measured on. */
  now: () => number;
  /** The transport failpoint (`ledger node disturb`) held back, duplicated or could not hold a delivery. */
  recordTransportFault(effect: 'delayed' | 'duplicated' | 'overflowed'): void;
  /** A protocol message dropped because its envelope claims a sender other than the one its
   *  subject names, which the broker enforced (docs/security.md): a forgery. */
  recordForged(channel: 'paxos' | '2pc'): void;
  /** A 2PC or move message from another cluster reached this node (only a leader, or a member
   *  that knows of no leader, hears them). */
  recordTwoPcHeard(): void;
  /** A publish or subscription of this node the broker refused: a reply to a subject no node
   *  may answer on (a client named it), or an authorization block that disagrees with the code. */
  recordBrokerRefusal(operation: 'publish' | 'subscribe'): void;
  start(transport: Transport, eventsSubject: string, log: Logger): Promise<void>;
  stop(): Promise<void>;
}

export function nodeMetrics(
  labels: { node: number; cluster: number },
  sample: () => Omit<NodeSample, 'metricsPort'>,
  options: MetricsOptions,
): RunningMetrics {
  const now = () => performance.now();
  let port: number | undefined;
  const metrics = new NodeMetrics(labels, () => ({ ...sample(), metricsPort: port }), now());
  const stops: Array<() => Promise<void> | void> = [];
  const transportFaults = new Counter({
    name: 'ledger_transport_faults_total',
    help: 'Incoming client requests and 2PC messages the transport failpoint (ledger node disturb) delayed, duplicated, or delivered at once because its held deliveries were at their bound (overflowed)',
    labelNames: ['effect'],
    registers: [metrics.registry],
  });
  const forged = new Counter({
    name: 'ledger_forged_messages_total',
    help: 'Protocol messages dropped because the sender in their envelope is not the one their subject names (the identity the broker enforced), by channel',
    labelNames: ['channel'],
    registers: [metrics.registry],
  });
  const twoPcHeard = new Counter({
    name: 'ledger_twopc_messages_heard_total',
    help: "2PC and move messages from other clusters that reached this node; only a cluster's leader subscribes to them, and a member that knows of no leader, so the count of a follower of a known leader stays still (docs/architecture.md)",
    registers: [metrics.registry],
  });
  const brokerRefusals = new Counter({
    name: 'ledger_broker_refusals_total',
    help: 'Publishes and subscriptions of this node that the broker refused for want of permission: a reply to a subject a client named that no node may answer on, or an authorization block that disagrees with the code',
    labelNames: ['operation'],
    registers: [metrics.registry],
  });
  return {
    metrics,
    now,
    recordTransportFault: (effect) => transportFaults.inc({ effect }),
    recordForged: (channel) => forged.inc({ channel }),
    recordTwoPcHeard: () => twoPcHeard.inc(),
    recordBrokerRefusal: (operation) => brokerRefusals.inc({ operation }),
    async start(transport, eventsSubject, log) {
      if (options.metricsPort !== undefined && options.metricsPort > 0) {
        try {
          const http = await startMetricsHttp(metrics, options.metricsPort, options.metricsHost);
          port = http.port;
          stops.push(() => http.close());
          log.info({ port, host: options.metricsHost ?? '127.0.0.1' }, 'serving Prometheus metrics on /metrics');
        } catch (error) {
          // A taken port must not cost the cluster a replica: run without the endpoint, say so
          // in the log, and the snapshot shows no metricsPort.
          log.error(
            { err: error, port: options.metricsPort },
            'cannot serve Prometheus metrics: running without the endpoint',
          );
        }
      }
      stops.push(startMetricsPublisher({ metrics, transport, subject: eventsSubject, now }));
    },
    async stop() {
      for (const stop of stops.splice(0)) await stop();
    },
  };
}
