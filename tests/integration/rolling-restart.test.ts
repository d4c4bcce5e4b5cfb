import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { after, before, describe, test } from 'node:test';
import { alive, TestCluster } from './harness.js';
import { asClient, natsConnectionOf } from '../../src/node/nats-access.js';
import { Load, type Attempt } from './load.js';

/**
 * `ledger cluster restart --rolling` under continuous load (issue 16, item 6): every node's
 * process is replaced, one at a time, while clients transfer within each shard and across
 * shards. No client sees an error, leaders change only by the planned transfers, nothing
 * acknowledged is lost, and the replicas agree afterwards. The longest gap in commits and the
 * p99 latency, before and during, go to /tmp/ledger-rolling-restart-figures.json.
 */

const figuresFile = '/tmp/ledger-rolling-restart-figures.json';
const perCluster = 3_000;

/** Pairs no other transfer touches (Load's rule), interleaved so every shard is busy all along:
 *  in each shard its first 1000 accounts pair among themselves, its second 1000 send to the
 *  next shard's third 1000. */
function pairs(): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (let k = 0; k < 1_000; k++) {
    for (let c = 0; c < 3; c++) {
      const base = c * perCluster;
      if (k < 500) out.push([base + 1 + 2 * k, base + 2 + 2 * k]);
      if (k % 2 === 0) out.push([base + 1_001 + k, ((c + 1) % 3) * perCluster + 2_001 + k]);
    }
  }
  return out;
}

const clusterOf = (account: number) => Math.ceil(account / perCluster);

/** Longest time without a commit acknowledgement among `attempts` in [fromMs, toMs] (the
 *  window's edges count as acknowledgements, so a silent stretch at either end shows). */
function longestGapMs(attempts: Attempt[], fromMs: number, toMs: number): number {
  const times = attempts
    .filter((a) => a.result.status === 'committed' && a.answeredAtMs >= fromMs && a.answeredAtMs <= toMs)
    .map((a) => a.answeredAtMs)
    .sort((a, b) => a - b);
  let longest = 0;
  let last = fromMs;
  for (const t of [...times, toMs]) {
    longest = Math.max(longest, t - last);
    last = t;
  }
  return Math.round(longest);
}

function p99Ms(attempts: Attempt[], fromMs: number, toMs: number): number {
  const latencies = attempts
    .filter((a) => a.answeredAtMs >= fromMs && a.answeredAtMs <= toMs)
    .map((a) => a.result.latencyMs)
    .sort((a, b) => a - b);
  return latencies[Math.min(latencies.length - 1, Math.ceil(0.99 * latencies.length) - 1)] ?? Number.NaN;
}

/** The window's figures: overall, and per shard (by the sender's cluster: a lead transfer
 *  stalls only its own shard, which the overall gap would hide behind the others' commits). */
function windowFigures(attempts: Attempt[], fromMs: number, toMs: number) {
  const byCluster = (c: number) => attempts.filter((a) => clusterOf(a.from) === c);
  return {
    seconds: Number(((toMs - fromMs) / 1000).toFixed(1)),
    commits: attempts.filter(
      (a) => a.result.status === 'committed' && a.answeredAtMs >= fromMs && a.answeredAtMs <= toMs,
    ).length,
    p99LatencyMs: p99Ms(attempts, fromMs, toMs),
    longestCommitGapMs: longestGapMs(attempts, fromMs, toMs),
    longestCommitGapMsByShard: Object.fromEntries(
      [1, 2, 3].map((c) => [`c${c}`, longestGapMs(byCluster(c), fromMs, toMs)]),
    ),
  };
}

describe('ledger cluster restart --rolling under load', () => {
  let cluster: TestCluster;
  before(async () => {
    cluster = await TestCluster.start();
  });
  after(async () => {
    await cluster?.close();
  });

  test('without --rolling: refused, exit 2, with the way to a restart with downtime; nothing restarted', async () => {
    const pids = cluster.state.nodes.map((n) => n.pid);
    const plain = await cluster.cli(['cluster', 'restart']);
    assert.equal(plain.code, 2, plain.stderr);
    assert.match(
      plain.stderr,
      /^error: only a rolling restart is supported: pass --rolling\nhint: .*ledger cluster stop.*ledger cluster start --detach/,
    );
    const json = await cluster.cli(['cluster', 'restart', '--json']);
    assert.equal(json.code, 2);
    assert.equal(json.json.error.code, 'bad-input');
    assert.deepEqual(
      cluster.state.nodes.map((n) => n.pid),
      pids,
    );
  });

  test('every process replaced, no client error, leaders moved only by the planned transfers, nothing lost, replicas agree', async (t) => {
    const pidsBefore = new Map(cluster.state.nodes.map((n) => [n.node, n.pid]));
    const load = await Load.withPairs(natsConnectionOf(cluster.config, asClient), pairs());
    try {
      const loadStartMs = performance.now();
      load.start(6, 50);
      // A baseline of a few seconds (not a fixed sleep: until enough commits in every shard).
      const deadline = Date.now() + 30_000;
      while (
        performance.now() - loadStartMs < 3_000 ||
        [1, 2, 3].some((c) => load.committedSince(0).filter((a) => clusterOf(a.from) === c).length < 30)
      ) {
        assert.ok(Date.now() < deadline, 'the load commits in every shard');
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      const rollStartMs = performance.now();
      const rollStartWallMs = Date.now();
      const roll = await cluster.json(['cluster', 'restart', '--rolling']);
      const rollEndMs = performance.now();
      const rollEndWallMs = Date.now();
      await load.stop();

      // The roll: 9 steps, followers before the leader in each cluster, each leader after a
      // transfer to a node already restarted.
      assert.equal(roll.steps.length, 9);
      for (const c of [1, 2, 3]) {
        const steps = roll.steps.filter((s: any) => s.cluster === c);
        assert.deepEqual(
          steps.map((s: any) => s.role),
          ['follower', 'follower', 'leader'],
          JSON.stringify(steps),
        );
        const heir = steps[2].leadMovedTo;
        assert.ok(
          steps.slice(0, 2).some((s: any) => s.node === heir),
          `cluster ${c}'s lead went to a restarted follower`,
        );
        assert.equal(roll.leadersBefore[c], steps[2].node);
        assert.equal(roll.leadersAfter[c], heir);
      }

      // Every process replaced: a new PID for each node, the old one gone.
      const pidsAfter = new Map(cluster.state.nodes.map((n) => [n.node, n.pid]));
      for (const [node, pid] of pidsBefore) {
        assert.notEqual(pidsAfter.get(node), pid, `n${node} has a new process`);
        assert.equal(alive(pid), false, `n${node}'s old process ${pid} is gone`);
        const step = roll.steps.find((s: any) => s.node === node);
        assert.deepEqual([step.pidBefore, step.pidAfter], [pid, pidsAfter.get(node)]);
      }

      // Leaders changed only by the planned transfers: every NEW-VIEW recorded during the roll
      // was led by its cluster's heir (a transfer may take more than one ballot), and each heir
      // recorded one.
      const heirs = new Map(
        roll.steps.filter((s: any) => s.role === 'leader').map((s: any) => [s.cluster, s.leadMovedTo]),
      );
      const { views } = await cluster.json(['view']);
      const during = views.filter(
        (v: any) => v.recordedAtMs >= rollStartWallMs - 50 && v.recordedAtMs <= rollEndWallMs + 50,
      );
      for (const v of during)
        assert.equal(
          v.leader,
          heirs.get(Math.ceil(v.leader / 3)),
          `unplanned view ${JSON.stringify(v.ballot)} led by n${v.leader}`,
        );
      for (const heir of heirs.values())
        assert.ok(
          during.some((v: any) => v.leader === heir),
          `n${heir} recorded its view`,
        );

      // No client error: every transfer committed (nothing here can lack funds).
      const errors = load.attempts
        .filter((a) => a.result.status !== 'committed' && a.result.status !== 'insufficient-funds')
        .map(
          (a) => `${a.from} -> ${a.to}: ${a.result.status} (${a.result.reason ?? ''}) after ${a.result.latencyMs} ms`,
        );
      assert.deepEqual(errors, []);
      const figures = {
        command: 'ledger cluster restart --rolling --json',
        restartSeconds: Number(((rollEndMs - rollStartMs) / 1000).toFixed(1)),
        concurrency: 6,
        before: windowFigures(load.attempts, loadStartMs, rollStartMs),
        during: windowFigures(load.attempts, rollStartMs, rollEndMs),
        steps: roll.steps.map((s: any) => ({ node: s.node, role: s.role, ms: s.ms })),
      };
      writeFileSync(figuresFile, `${JSON.stringify(figures, null, 2)}\n`);
      t.diagnostic(`figures (${figuresFile}): ${JSON.stringify({ ...figures, steps: undefined })}`);
      // Generous bounds (a loaded, shared machine): commits went on, no stall near a timeout.
      assert.ok(figures.during.commits > 50, `${figures.during.commits} commits during the roll`);
      assert.ok(figures.during.longestCommitGapMs < 5_000, `longest gap ${figures.during.longestCommitGapMs} ms`);
      for (const gap of Object.values(figures.during.longestCommitGapMsByShard))
        assert.ok(gap < 10_000, `a shard went ${gap} ms without a commit`);
      assert.ok(figures.during.p99LatencyMs < 10_000, `p99 ${figures.during.p99LatencyMs} ms`);

      // Nothing acknowledged lost, money conserved, replicas agree.
      const verifyStartMs = performance.now();
      const { violations, acknowledged } = await load.verify();
      t.diagnostic(`${acknowledged} transfers read back in ${Math.round(performance.now() - verifyStartMs)} ms`);
      assert.deepEqual(violations, []);
      assert.equal(acknowledged, load.attempts.length);
      const consistency = await cluster.json(['check', 'consistency', '--wait', '10']);
      assert.equal(consistency.ok, true, JSON.stringify(consistency));
      assert.equal(consistency.money.actual, consistency.money.expected);
    } finally {
      await load.close();
    }
  });
});
