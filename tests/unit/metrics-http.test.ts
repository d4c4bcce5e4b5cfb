import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LedgerError } from '../../src/core/errors.js';
import { startMetricsHttp } from '../../src/node/metrics-http.js';
import { NodeMetrics, type NodeSample } from '../../src/observability/metrics.js';

const sample: NodeSample = {
  role: 'follower',
  isolated: false,
  leader: 2,
  ballot: '(1, n2)',
  commitIndex: 3,
  appliedIndex: 3,
  pendingRequests: 0,
  pendingCommands: 0,
  metricsPort: undefined,
  pid: 1,
  uptimeMs: 1,
};

test('GET /metrics answers the text format on 127.0.0.1; other paths are 404; a taken port is a LedgerError', async () => {
  const metrics = new NodeMetrics({ node: 1, cluster: 1 }, () => sample, 0, { processMetrics: false });
  const http = await startMetricsHttp(metrics, 0);
  try {
    const res = await fetch(`http://127.0.0.1:${http.port}/metrics`, { headers: { connection: 'close' } });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
    assert.match(await res.text(), /^ledger_role\{role="follower",node="1",cluster="1"\} 1$/m);
    assert.equal((await fetch(`http://127.0.0.1:${http.port}/nope`, { headers: { connection: 'close' } })).status, 404);
    await assert.rejects(startMetricsHttp(metrics, http.port), LedgerError);
  } finally {
    await http.close();
  }
});
