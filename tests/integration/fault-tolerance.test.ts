import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { after, before, describe, test, type TestContext } from 'node:test';
import { readFileSync } from 'node:fs';
import { LedgerClient } from '../../src/client/ledger-client.js';
import { natsServerBinary, portAccepts } from '../../src/cluster/processes.js';
import { intraShardLoad } from '../../src/load/transfer-load.js';
import { defaultTopology } from '../../src/ledger/topology.js';
import { asAdmin, asClient, natsConnectionOf } from '../../src/node/nats-access.js';
import { alive, TestCluster, waitUntil } from './harness.js';
import { Load } from './load.js';

/** The leader of a cluster right now, from `ledger cluster status`. */
async function leaderOf(cluster: TestCluster, c: number): Promise<{ node: number; pid: number }> {
  let leader: { node: number; pid: number } | undefined;
  await waitUntil(`a leader in cluster ${c}`, 15_000, async () => {
    const { nodes } = await cluster.json(['cluster', 'status'], [0, 1]);
    const l = nodes.find((n: any) => n.cluster === c && n.role === 'leader' && !n.failed && !n.isolated);
    leader = l === undefined ? undefined : { node: l.node, pid: l.pid };
    return leader !== undefined;
  });
  return leader as { node: number; pid: number };
}

async function waitForCommits(load: Load, count: number, sinceMs = 0): Promise<void> {
  await waitUntil(`${count} commits`, 30_000, async () => load.committedSince(sinceMs).length >= count);
}

/** Time from `faultAtMs` to the first commit served by another node than the old leader. */
async function failoverMs(load: Load, faultAtMs: number, oldLeader: number): Promise<number> {
  let first: number | undefined;
  await waitUntil('a commit under a new leader', 30_000, async () => {
    const c = load.committedSince(faultAtMs).find((a) => a.result.servedBy !== oldLeader);
    first = c?.answeredAtMs;
    return first !== undefined;
  });
  return (first as number) - faultAtMs;
}

async function assertConsistent(cluster: TestCluster): Promise<void> {
  await waitUntil(
    'ledger check consistency passes',
    30_000,
    async () => (await cluster.cli(['check', 'consistency', '--json', '--wait', '5'])).code === 0,
  );
}

async function assertNoLoss(t: TestContext, load: Load): Promise<void> {
  const { acknowledged, unknown, violations } = await load.verify();
  t.diagnostic(`${acknowledged} acknowledged transfers survived, ${unknown} unknown`);
  assert.deepEqual(violations, []);
  assert.ok(acknowledged > 20, `only ${acknowledged} transfers were acknowledged`);
}

describe('fault tolerance with real processes under continuous load', () => {
  let cluster: TestCluster;
  before(async () => {
    cluster = await TestCluster.start();
  });
  after(async () => {
    await cluster?.close();
  });

  test('kill -9 of a leader: a new leader commits, nothing acknowledged is lost, the old one catches up after restart', async (t) => {
    const load = await Load.connect(natsConnectionOf(cluster.config, asClient), { first: 1, last: 1500 });
    try {
      load.start(4);
      await waitForCommits(load, 50);
      const leader = await leaderOf(cluster, 1);
      const killedAt = performance.now();
      process.kill(leader.pid, 'SIGKILL');
      const ms = await failoverMs(load, killedAt, leader.node);
      t.diagnostic(`kill -9 of n${leader.node}: first commit under the new leader after ${ms.toFixed(0)} ms`);
      await waitForCommits(load, 50, killedAt + ms);
      await load.stop();
      assert.ok(!alive(leader.pid));
      const restarted = await cluster.json(['node', 'restart', String(leader.node)]);
      assert.equal(restarted.node, leader.node);
      await assertConsistent(cluster);
      await assertNoLoss(t, load);
    } finally {
      await load.close();
    }
  });

  test('fail and recover of a leader', async (t) => {
    const load = await Load.connect(natsConnectionOf(cluster.config, asClient), { first: 3001, last: 4500 });
    try {
      load.start(4);
      await waitForCommits(load, 50);
      const leader = await leaderOf(cluster, 2);
      const failedAt = performance.now();
      const failed = await cluster.json(['node', 'fail', String(leader.node)]);
      assert.equal(failed.failed, true);
      const ms = await failoverMs(load, failedAt, leader.node);
      t.diagnostic(
        `fail of n${leader.node}: first commit under the new leader after ${ms.toFixed(0)} ms (includes the CLI's start-up)`,
      );
      await waitForCommits(load, 50, failedAt + ms);
      const recovered = await cluster.json(['node', 'recover', String(leader.node)]);
      assert.equal(recovered.failed, false);
      // Recovering a live node changes nothing: it says so and exits 0.
      const again = await cluster.cli(['node', 'recover', String(leader.node)]);
      assert.equal(again.code, 0, again.stderr);
      assert.match(again.stdout, new RegExp(`^n${leader.node} is not failed: nothing to recover`));
      await waitForCommits(load, 50, performance.now());
      await load.stop();
      await assertConsistent(cluster);
      // The returning node rejoined as a follower of the new leader: it did not depose it.
      const { nodes } = await cluster.json(['cluster', 'status']);
      assert.notEqual(nodes.find((n: any) => n.node === leader.node).role, 'leader');
      await assertNoLoss(t, load);
    } finally {
      await load.close();
    }
  });

  test('isolate and heal of a leader', async (t) => {
    const load = await Load.connect(natsConnectionOf(cluster.config, asClient), { first: 6001, last: 7500 });
    try {
      load.start(4);
      await waitForCommits(load, 50);
      const leader = await leaderOf(cluster, 3);
      const isolatedAt = performance.now();
      assert.equal((await cluster.json(['node', 'isolate', String(leader.node)])).isolated, true);
      const ms = await failoverMs(load, isolatedAt, leader.node);
      t.diagnostic(`isolation of n${leader.node}: first commit under the new leader after ${ms.toFixed(0)} ms`);
      // The isolated old leader stepped down (check quorum): it no longer claims to lead.
      await waitUntil('the isolated leader steps down', 10_000, async () => {
        const { nodes } = await cluster.json(['cluster', 'status']);
        return nodes.find((n: any) => n.node === leader.node).role !== 'leader';
      });
      assert.equal((await cluster.json(['node', 'heal', String(leader.node)])).isolated, false);
      await waitForCommits(load, 50, performance.now());
      await load.stop();
      await assertConsistent(cluster);
      await assertNoLoss(t, load);
    } finally {
      await load.close();
    }
  });

  test('a nats-server restart in the middle of load', async (t) => {
    const load = await Load.connect(natsConnectionOf(cluster.config, asClient), { first: 1501, last: 3000 });
    let natsPid: number | undefined;
    try {
      load.start(4);
      await waitForCommits(load, 50);
      const { natsPid: oldPid, natsUrl } = cluster.state;
      process.kill(oldPid, 'SIGKILL');
      await waitUntil('nats-server gone', 10_000, async () => !alive(oldPid));
      const restartedAt = performance.now();
      const port = Number(new URL(natsUrl).port);
      const child = spawn(natsServerBinary(), ['-c', join(cluster.dataDir, 'nats', 'nats-server.conf')], {
        stdio: 'ignore',
        detached: true,
      });
      natsPid = child.pid as number;
      cluster.adopt(natsPid);
      await waitUntil('nats-server back', 10_000, () => portAccepts(port));
      await waitForCommits(load, 50, restartedAt);
      t.diagnostic(
        `first commit ${(load.committedSince(restartedAt)[0]!.answeredAtMs - restartedAt).toFixed(0)} ms after the broker came back`,
      );
      await load.stop();
      await assertConsistent(cluster);
      await assertNoLoss(t, load);
    } finally {
      await load.close();
    }
  });
});

describe('a slow consumer', () => {
  let cluster: TestCluster;
  before(async () => {
    cluster = await TestCluster.start();
  });
  after(async () => {
    await cluster?.close();
  });

  test('a node cut off by the broker as a slow consumer reconnects and catches up', async (t) => {
    const leader = await leaderOf(cluster, 1);
    const { nodes } = cluster.state;
    const stalled = nodes.find((n) => n.node !== leader.node && n.node <= 3) as { node: number; pid: number };
    const natsLog = join(cluster.dataDir, 'nats', 'nats-server.log');
    const cutOff = () =>
      readFileSync(natsLog, 'utf8')
        .split('\n')
        .some((line) => line.includes('Slow Consumer') && line.includes(`ledger-n${stalled.node}"`));
    const transport = await cluster.connect(asAdmin, 'it-slow', true);
    try {
      const client = new LedgerClient(transport, defaultTopology, 'ledger');
      const clusterOne = {
        ...defaultTopology,
        clusters: 1,
        accounts: defaultTopology.accounts / defaultTopology.clusters,
      };
      // Freeze the node; the broker's writes to it back up until its write deadline passes.
      process.kill(stalled.pid, 'SIGSTOP');
      let loading = true;
      const load = (async () => {
        for (let round = 0; loading; round++)
          await intraShardLoad(client, clusterOne, { transfers: 2_000, concurrency: 32, seed: round });
      })();
      try {
        await waitUntil(`the broker cuts n${stalled.node} off as a slow consumer`, 120_000, async () => cutOff());
      } finally {
        process.kill(stalled.pid, 'SIGCONT');
        loading = false;
        await load;
      }
      t.diagnostic(`n${stalled.node} was disconnected as a slow consumer`);
      const target = (await cluster.json(['cluster', 'status'])).nodes.find(
        (n: any) => n.node === leader.node,
      ).appliedIndex;
      await waitUntil(`n${stalled.node} reconnects and catches up to slot ${target}`, 30_000, async () => {
        const s = (await cluster.json(['cluster', 'status'])).nodes.find((n: any) => n.node === stalled.node);
        return s.role !== 'down' && s.appliedIndex >= target;
      });
      await assertConsistent(cluster);
    } finally {
      await transport.close();
    }
  });
});

describe('catch-up by snapshot', () => {
  let cluster: TestCluster;
  before(async () => {
    // Tiny checkpoints, so the leader compacts past a failed follower quickly.
    cluster = await TestCluster.start(['--checkpoint-interval', '5', '--log-tail', '2']);
  });
  after(async () => {
    await cluster?.close();
  });

  test('a follower kept out until the leader compacted past it catches up by snapshot', async (t) => {
    const leader = await leaderOf(cluster, 1);
    const follower = leader.node === 1 ? 2 : 1;
    await cluster.json(['node', 'fail', String(follower)]);
    const load = await Load.connect(natsConnectionOf(cluster.config, asClient), { first: 1, last: 400 });
    try {
      load.start(1);
      await waitForCommits(load, 40);
      await load.stop();
      const { nodes } = await cluster.json(['cluster', 'status']);
      const l = nodes.find((n: any) => n.node === leader.node);
      const f = nodes.find((n: any) => n.node === follower);
      assert.ok(
        l.logFloor > f.appliedIndex,
        `the leader compacted past the follower (floor ${l.logFloor}, follower at ${f.appliedIndex})`,
      );
      await cluster.json(['node', 'recover', String(follower)]);
      await waitUntil('the follower caught up', 20_000, async () => {
        const s = await cluster.json(['cluster', 'status']);
        const x = s.nodes.find((n: any) => n.node === follower);
        return x.appliedIndex >= l.appliedIndex;
      });
      const after = (await cluster.json(['cluster', 'status'])).nodes.find((n: any) => n.node === follower);
      t.diagnostic(
        `follower n${follower} went from slot ${f.appliedIndex} to ${after.appliedIndex}; its log floor is now ${after.logFloor}`,
      );
      assert.ok(after.logFloor >= l.logFloor, 'the follower installed a snapshot (its log starts above where it was)');
      await assertConsistent(cluster);
      await assertNoLoss(t, load);
    } finally {
      await load.close();
    }
  });
});
