import { performance } from 'node:perf_hooks';
import type { Logger } from 'pino';
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
  return {
    metrics,
    now,
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
