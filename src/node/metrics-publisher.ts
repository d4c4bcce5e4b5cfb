import { encodeEnvelope } from '../codec/envelope.js';
import type { NodeMetrics } from '../observability/metrics.js';
import type { Transport } from '../transport/transport.js';

/**
 * How often a node publishes its snapshot on `ledger.events`. One second matches what `ledger
 * top` refreshes at; readers call a node silent after 3 intervals without one.
 */
const metricsIntervalMs = 1_000;

/**
 * Publishes the node's metrics snapshot every interval. Runs on its own timer, not the protocol
 * tick, so a failed node (timers of the protocol stopped) still says that it is failed.
 */
export function startMetricsPublisher(options: {
  metrics: NodeMetrics;
  transport: Transport;
  subject: string;
  intervalMs?: number;
  now: () => number;
}): () => void {
  const timer = setInterval(() => {
    const snapshot = options.metrics.snapshot(options.now(), Date.now());
    options.transport.publish(options.subject, encodeEnvelope({ kind: 'metrics', snapshot }));
  }, options.intervalMs ?? metricsIntervalMs);
  // Never the reason a process stays alive.
  timer.unref();
  return () => clearInterval(timer);
}
