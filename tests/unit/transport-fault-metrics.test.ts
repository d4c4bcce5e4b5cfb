import assert from 'node:assert/strict';
import { test } from 'node:test';
import { nodeMetrics } from '../../src/node/node-metrics.js';

/** What `ledger node disturb` did shows on /metrics, labelled by effect. */
test('ledger_transport_faults_total counts each effect of the transport failpoint', async () => {
  const running = nodeMetrics(
    { node: 4, cluster: 2 },
    () => ({
      role: 'leader',
      isolated: false,
      leader: 4,
      ballot: '(1, n4)',
      commitIndex: 0,
      appliedIndex: 0,
      pendingRequests: 0,
      pendingCommands: 0,
      pid: 1,
      uptimeMs: 0,
    }),
    {},
  );
  for (const effect of ['delayed', 'delayed', 'duplicated', 'overflowed'] as const)
    running.recordTransportFault(effect);
  const text = await running.metrics.prometheusText();
  const count = (effect: string) =>
    Number(new RegExp(`^ledger_transport_faults_total\\{[^}]*effect="${effect}"[^}]*\\} (\\d+)$`, 'm').exec(text)?.[1]);
  assert.equal(
    count('delayed'),
    2,
    text
      .split('\n')
      .filter((l) => l.includes('transport_faults'))
      .join('\n'),
  );
  assert.equal(count('duplicated'), 1);
  assert.equal(count('overflowed'), 1);
  assert.match(text, /ledger_transport_faults_total\{[^}]*node="4"/);
  await running.stop();
});
