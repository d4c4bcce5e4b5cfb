import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { MetricsSnapshot } from '../../src/protocol/metrics.js';
import { buildClusterView, type Received } from '../../src/observability/cluster-view.js';
import { defaultThresholds, evaluateHealth } from '../../src/observability/health.js';
import { renderHealth, renderTop } from '../../src/cli/top-render.js';
import { defaultTopology } from '../../src/ledger/topology.js';
import { sampleSnapshot } from './metrics-fixtures.js';

const nowMs = 100_000;

/** A healthy 3x3 system: the first node of each cluster leads, everyone reported 200 ms ago. */
function healthy(): Map<number, Received> {
  const latest = new Map<number, Received>();
  for (let node = 1; node <= 9; node++) {
    const cluster = Math.ceil(node / 3);
    const leader = (cluster - 1) * 3 + 1;
    const role = node === leader ? 'leader' : 'follower';
    latest.set(node, {
      snapshot: sampleSnapshot({ node, cluster, role, leader, lagSlots: 0, commitsTotal: role === 'leader' ? 100 : 0 }),
      receivedAtMs: nowMs - 200,
    });
  }
  return latest;
}

function change(
  latest: Map<number, Received>,
  node: number,
  fields: Partial<MetricsSnapshot>,
  receivedAtMs?: number,
): void {
  const r = latest.get(node) as Received;
  latest.set(node, { snapshot: { ...r.snapshot, ...fields }, receivedAtMs: receivedAtMs ?? r.receivedAtMs });
}

function health(latest: Map<number, Received>) {
  return evaluateHealth(buildClusterView(defaultTopology, latest, nowMs), defaultThresholds);
}

describe('the cluster view', () => {
  test('every node of the topology has a row, also one that never reported', () => {
    const latest = healthy();
    latest.delete(9);
    const view = buildClusterView(defaultTopology, latest, nowMs);
    assert.equal(view.nodes.length, 9);
    assert.equal(view.nodes[8]?.state, 'silent');
    assert.equal(view.nodes[8]?.lastSeenMsAgo, undefined);
    assert.deepEqual(
      view.clusters.map((c) => c.leaders),
      [[1], [4], [7]],
    );
  });

  test('a node whose last snapshot is older than 3 s is silent, and its rates are not shown as current', () => {
    const latest = healthy();
    change(latest, 2, { repliesPerSec: 50 }, nowMs - 3_500);
    const row = buildClusterView(defaultTopology, latest, nowMs).nodes[1];
    assert.equal(row?.state, 'silent');
    assert.equal(row?.repliesPerSec, 0);
  });

  test("a failed node's lag is measured against its leader's commit index", () => {
    const latest = healthy();
    change(latest, 1, { commitIndex: 500, appliedIndex: 500 });
    change(latest, 3, { role: 'failed', appliedIndex: 200, lagSlots: 0 });
    const view = buildClusterView(defaultTopology, latest, nowMs);
    assert.equal(view.nodes[2]?.lagSlots, 300);
    assert.equal(view.clusters[0]?.liveMembers, 2);
    assert.equal(view.clusters[0]?.quorum, true);
  });
});

describe('health thresholds', () => {
  test('a healthy system is ok (exit 0) with one ok finding per cluster', () => {
    const report = health(healthy());
    assert.equal(report.status, 'ok');
    assert.equal(report.exitCode, 0);
    assert.deepEqual(
      report.findings.map((f) => [f.severity, f.subject]),
      [
        ['ok', 'cluster 1'],
        ['ok', 'cluster 2'],
        ['ok', 'cluster 3'],
      ],
    );
  });

  test('one failed node is a warning (exit 1): its cluster still has a quorum', () => {
    const latest = healthy();
    change(latest, 5, { role: 'failed' });
    const report = health(latest);
    assert.equal(report.exitCode, 1);
    assert.ok(report.findings.some((f) => f.severity === 'warning' && f.subject === 'n5' && f.check === 'node'));
  });

  test('a silent node is a warning', () => {
    const latest = healthy();
    change(latest, 8, {}, nowMs - 10_000);
    const report = health(latest);
    assert.equal(report.status, 'warning');
    assert.match(report.findings.find((f) => f.subject === 'n8')?.message ?? '', /silent for 10\.0 s/);
  });

  test('two failed nodes of one cluster are critical (exit 2): no quorum, even while the old leader still says it leads', () => {
    const latest = healthy();
    change(latest, 5, { role: 'failed' });
    change(latest, 6, { role: 'failed' });
    const report = health(latest);
    assert.equal(report.exitCode, 2);
    assert.ok(
      report.findings.some((f) => f.severity === 'critical' && f.subject === 'cluster 2' && f.check === 'quorum'),
    );
  });

  test('a cluster without a leader is critical', () => {
    const latest = healthy();
    change(latest, 7, { role: 'candidate', leader: undefined });
    const report = health(latest);
    assert.equal(report.status, 'critical');
    assert.ok(
      report.findings.some((f) => f.subject === 'cluster 3' && f.check === 'leader' && f.severity === 'critical'),
    );
  });

  test('an isolated leader does not count: its cluster is critical when nobody else leads', () => {
    const latest = healthy();
    change(latest, 1, { isolated: true });
    assert.equal(health(latest).status, 'critical');
  });

  test('lag above the threshold is a warning, at the threshold it is not', () => {
    const latest = healthy();
    change(latest, 2, { lagSlots: defaultThresholds.lagSlotsMax });
    assert.equal(health(latest).status, 'ok');
    change(latest, 2, { lagSlots: defaultThresholds.lagSlotsMax + 1 });
    const report = health(latest);
    assert.equal(report.status, 'warning');
    assert.equal(report.findings.find((f) => f.severity === 'warning')?.check, 'lag');
  });

  test('p99 above the threshold is a warning, and the thresholds are the caller’s', () => {
    const latest = healthy();
    change(latest, 4, { latencyMsP99: 40 });
    const view = buildClusterView(defaultTopology, latest, nowMs);
    assert.equal(evaluateHealth(view, defaultThresholds).status, 'ok');
    const strict = evaluateHealth(view, { ...defaultThresholds, latencyMsP99Max: 20 });
    assert.equal(strict.status, 'warning');
    assert.equal(strict.findings.find((f) => f.severity === 'warning')?.check, 'latency');
  });

  test('critical wins over warnings', () => {
    const latest = healthy();
    change(latest, 2, { lagSlots: 10_000 });
    change(latest, 4, { role: 'follower', leader: undefined });
    assert.equal(health(latest).exitCode, 2);
  });
});

describe('rendering', () => {
  test('top shows one line per node with role, leader, rates and lag', () => {
    const latest = healthy();
    change(latest, 5, { role: 'failed' });
    latest.delete(9);
    const text = renderTop(buildClusterView(defaultTopology, latest, nowMs), undefined, {
      width: Infinity,
      plain: false,
    });
    const lines = text.split('\n');
    assert.match(lines[0] ?? '', /^9 nodes, 3 of 3 clusters led with a quorum/);
    const n1 = lines.find((l) => l.startsWith('n1 '));
    assert.match(
      n1 ?? '',
      /leader .* n1 .* 120 .* 0 .* 251 .* 240 .* 1\.20 .* 7\.90 .* 4\/0 .* 3\.5 .* 100 .* 0\.2 s ago/,
    );
    assert.match(lines.find((l) => l.startsWith('n5 ')) ?? '', /failed/);
    assert.match(lines.find((l) => l.startsWith('n9 ')) ?? '', /silent .* never/);
  });

  test('health lists the worst findings first and ends with the verdict', () => {
    const latest = healthy();
    change(latest, 5, { role: 'failed' });
    change(latest, 6, { role: 'failed' });
    const text = renderHealth(health(latest));
    const severities = [...text.matchAll(/^(CRITICAL|WARNING|OK)\s/gm)].map((m) => m[1]);
    assert.deepEqual(
      severities,
      [...severities].sort(
        (a, b) =>
          ['CRITICAL', 'WARNING', 'OK'].indexOf(a as string) - ['CRITICAL', 'WARNING', 'OK'].indexOf(b as string),
      ),
    );
    assert.match(text, /health: CRITICAL \(exit 2\)$/);
  });
});
