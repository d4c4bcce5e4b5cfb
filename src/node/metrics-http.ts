import { createServer, type Server } from 'node:http';
import { LedgerError } from '../core/errors.js';
import type { NodeMetrics } from '../observability/metrics.js';

export interface MetricsHttp {
  /** The port actually bound (useful with port 0 in tests). */
  port: number;
  close(): Promise<void>;
}

/**
 * The Prometheus endpoint of one node: `GET /metrics` in the text exposition format. Bound to
 * 127.0.0.1 unless told otherwise: the numbers are harmless but nobody asked to publish them.
 */
export async function startMetricsHttp(metrics: NodeMetrics, port: number, host = '127.0.0.1'): Promise<MetricsHttp> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' || (path !== '/metrics' && path !== '/')) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('only GET /metrics is served here\n');
      return;
    }
    metrics.prometheusText().then(
      (text) => res.writeHead(200, { 'content-type': metrics.contentType }).end(text),
      (error: unknown) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`${(error as Error).message}\n`),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error) =>
      reject(
        new LedgerError('unavailable', `cannot serve metrics on ${host}:${port}: ${error.message}`, {
          hint: 'pick another --metrics-port (or --metrics-port-base)',
          cause: error,
        }),
      ),
    );
    server.listen(port, host, () => resolve());
  });
  const address = server.address();
  const bound = typeof address === 'object' && address !== null ? address.port : port;
  return {
    port: bound,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        // A scraper's keep-alive connection would otherwise hold the close (and a stop) for seconds.
        server.closeAllConnections();
      }),
  };
}
