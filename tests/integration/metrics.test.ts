import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { LedgerClient } from '../../src/client/ledger-client.js';
import { defaultTopology } from '../../src/ledger/topology.js';
import { asAdmin } from '../../src/node/nats-access.js';
import { freePortBase, TestCluster, waitUntil } from './harness.js';

describe('live metrics: ledger top, the Prometheus endpoint and ledger check health', () => {
  let cluster: TestCluster;
  let base: number;

  before(async () => {
    base = await freePortBase(9);
    cluster = await TestCluster.start(['--metrics-port-base', String(base)]);
  });
  after(async () => {
    await cluster?.close();
  });

  test('after some transfers, top --once --json shows all 9 nodes, a leader per cluster and commits on the leaders', async () => {
    const transport = await cluster.connect(asAdmin, 'metrics-test', false);
    try {
      const client = new LedgerClient(transport, defaultTopology, 'ledger');
      // In every cluster, and across clusters (2PC): each leader answers some commits.
      const pairs: Array<[number, number]> = [
        [1, 2],
        [3001, 3002],
        [6001, 6002],
        [3, 3003],
        [3004, 6003],
        [6004, 5],
      ];
      for (let round = 0; round < 5; round++) {
        const results = await Promise.all(
          pairs.map(([from, to]) => client.transfer(from + round * 10, to + round * 10, 1)),
        );
        for (const r of results) assert.equal(r.status, 'committed', JSON.stringify(r));
      }
    } finally {
      await transport.close();
    }
    let top: any;
    // Snapshots are published each second: wait for one that counts the transfers.
    await waitUntil('every leader reporting commits', 20_000, async () => {
      top = await cluster.json(['top', '--once']);
      return (
        top.complete &&
        top.clusters.every((c: any) => c.leaders.length === 1 && top.nodes[c.leaders[0] - 1].commitsTotal > 0)
      );
    });
    assert.equal(top.nodes.length, 9);
    assert.deepEqual(
      top.nodes.map((n: any) => n.state),
      Array(9).fill('live'),
    );
    for (const c of top.clusters) {
      const leader = top.nodes[c.leaders[0] - 1];
      assert.equal(leader.role, 'leader');
      assert.equal(leader.cluster, c.cluster);
      for (const n of top.nodes.filter((x: any) => x.cluster === c.cluster))
        assert.equal(n.leader, leader.node, `n${n.node} follows the leader`);
    }
    const text = await cluster.cli(['top', '--once']);
    assert.equal(text.code, 0);
    assert.equal(text.stdout.split('\n').filter((l) => /^n\d /.test(l)).length, 9, 'one table line per node');
    // Into a pipe: plain aligned columns, every column, no rules.
    assert.doesNotMatch(text.stdout, /[─│┌]/);
    assert.match(
      text.stdout,
      /^node\s+cl\s+role\s+leader\s+ballot\s+commit\s+lag\s+ops\/s\s+commits\/s\s+p50 ms\s+p99 ms\s+queue\s+batch\s+commits\s+seen$/m,
    );
    // --json: a ballot is { round, node }, as in ledger view.
    for (const n of top.nodes)
      assert.deepEqual(Object.keys(n.ballot).sort(), ['node', 'round'], JSON.stringify(n.ballot));
  });

  test("a node's /metrics endpoint answers ledger_ metrics in the Prometheus text format", async () => {
    const top = await cluster.json(['top', '--once']);
    const leader = top.clusters[0].leaders[0] as number;
    const res = await fetch(`http://127.0.0.1:${base + leader}/metrics`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
    const body = await res.text();
    assert.match(body, /^# TYPE ledger_commits_total counter$/m);
    const commits = new RegExp(`^ledger_commits_total\\{node="${leader}",cluster="1"\\} (\\d+)$`, 'm').exec(body);
    assert.ok(commits !== null && Number(commits[1]) > 0, 'the leader counted its commits');
    assert.match(body, /^ledger_request_duration_seconds_bucket\{le="0\.005",/m);
    assert.match(body, /^ledger_sqlite_persist_duration_seconds_count\{/m);
    assert.match(body, new RegExp(`^ledger_role\\{role="leader",node="${leader}",cluster="1"\\} 1$`, 'm'));
    assert.equal((await fetch(`http://127.0.0.1:${base + leader}/other`)).status, 404);
  });

  test("only a cluster's leader hears 2PC messages, and the hearing moves with the lead", async () => {
    /** ledger_twopc_messages_heard_total of every node, from its /metrics (index = node - 1). */
    const heard = async (): Promise<number[]> =>
      Promise.all(
        Array.from({ length: 9 }, async (_, i) => {
          const body = await (await fetch(`http://127.0.0.1:${base + i + 1}/metrics`)).text();
          const m = /^ledger_twopc_messages_heard_total\{[^}]*\} (\d+)$/m.exec(body);
          assert.ok(m !== null, `n${i + 1} exports ledger_twopc_messages_heard_total`);
          return Number(m[1]);
        }),
      );
    /** Each node's role and ballot: the same text before and after a round means no lead moved. */
    const lead = async (): Promise<string> =>
      JSON.stringify((await cluster.json(['cluster', 'status'])).nodes.map((n: any) => [n.node, n.role, n.ballot]));
    const leaderOf = (status: string, c: number): number =>
      (JSON.parse(status) as Array<[number, string]>).find(
        ([node, role]) => role === 'leader' && node > (c - 1) * 3 && node <= c * 3,
      )![0];
    const transport = await cluster.connect(asAdmin, 'twopc-heard', false);
    const client = new LedgerClient(transport, defaultTopology, 'ledger');
    /** Cross-shard transfers between every pair of clusters; what each node heard meanwhile,
     *  and who led. A round the lead moved in (a spurious election) is run again. */
    const round = async (first: number): Promise<{ delta: number[]; status: string }> => {
      for (let attempt = 0; attempt < 3; attempt++) {
        const status = await lead();
        const before = await heard();
        const at = first + attempt * 10;
        const pairs: Array<[number, number]> = [
          [at, 3000 + at],
          [3000 + at + 1, 6000 + at],
          [6000 + at + 1, at + 1],
        ];
        for (const r of await Promise.all(pairs.map(([from, to]) => client.transfer(from, to, 1))))
          assert.equal(r.status, 'committed', JSON.stringify(r));
        const after = await heard();
        if ((await lead()) === status) return { delta: after.map((n, i) => n - before[i]!), status };
      }
      throw new Error('the lead moved in every round');
    };
    try {
      const first = await round(100);
      for (let c = 1; c <= 3; c++) {
        const leader = leaderOf(first.status, c);
        for (let node = (c - 1) * 3 + 1; node <= c * 3; node++) {
          if (node === leader) assert.ok(first.delta[node - 1]! >= 2, `leader n${node} heard ${first.delta[node - 1]}`);
          else assert.equal(first.delta[node - 1], 0, `follower n${node} heard nothing`);
        }
      }
      // The lead of cluster 1 moves: the new leader hears, the old one no longer does.
      const old = leaderOf(first.status, 1);
      const next = old === 1 ? 2 : 1;
      assert.equal((await cluster.cli(['node', 'lead', String(next)])).code, 0);
      const second = await round(200);
      assert.equal(leaderOf(second.status, 1), next);
      assert.ok(second.delta[next - 1]! >= 2, `new leader n${next} heard ${second.delta[next - 1]}`);
      assert.equal(second.delta[old - 1], 0, `former leader n${old} heard nothing`);
    } finally {
      await transport.close();
    }
  });

  test('check health exits 0 on a healthy cluster, and 2 when a cluster lost its quorum', async () => {
    let healthy: any;
    await waitUntil('health ok', 20_000, async () => {
      const r = await cluster.cli(['check', 'health', '--json']);
      healthy = r.json;
      return r.code === 0;
    });
    assert.equal(healthy.status, 'ok');
    assert.equal(healthy.findings.length, 3);

    // Two of cluster 1's three nodes: whoever is left cannot commit.
    for (const node of ['2', '3']) assert.equal((await cluster.cli(['node', 'fail', node])).code, 0);
    let critical: any;
    await waitUntil('health critical', 20_000, async () => {
      const r = await cluster.cli(['check', 'health', '--json']);
      critical = { code: r.code, ...r.json };
      return r.code === 2;
    });
    assert.equal(critical.status, 'critical');
    assert.ok(
      critical.findings.some(
        (f: any) => f.subject === 'cluster 1' && f.check === 'quorum' && f.severity === 'critical',
      ),
    );
    for (const node of [2, 3])
      assert.equal(critical.view.nodes[node - 1].state, 'failed', `n${node} reports itself failed`);
    // Failing a failed node again changes nothing: it says so and exits 0.
    const again = await cluster.cli(['node', 'fail', '2']);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /^n2 is already failed: nothing to do/);
    const text = await cluster.cli(['check', 'health']);
    assert.equal(text.code, 2);
    assert.match(text.stdout, /health: CRITICAL \(exit 2\)/);
  });
});
