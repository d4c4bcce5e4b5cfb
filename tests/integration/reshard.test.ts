import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { after, before, describe, test } from 'node:test';
import { AdminRefused } from '../../src/client/admin-refused.js';
import { checkConsistency, type ConsistencyReport } from '../../src/client/consistency.js';
import { LedgerClient } from '../../src/client/ledger-client.js';
import { clusterOfAccount, defaultTopology, nodesOfCluster } from '../../src/ledger/topology.js';
import type { ReshardPlanJson } from '../../src/reshard/render.js';
import { reshard } from '../../src/reshard/reshard.js';
import { asClient, asAdmin, natsConnectionOf } from '../../src/node/nats-access.js';
import type { Transport } from '../../src/transport/transport.js';
import { Communities, CommunityLoad, longestCommitGapMs, replayViolations } from './community-load.js';
import { alive, endProcess, ledgerBin, stopwatch, TestCluster, waitUntil } from './harness.js';
import { peerSet9Transfers } from '../helpers/peer-files.js';

const topology = defaultTopology;

/** A client of the test's own, beside the CLI (reads every node's copy of things). */
async function connectClient(
  cluster: TestCluster,
  name: string,
): Promise<{ client: LedgerClient; transport: Transport }> {
  const transport = await cluster.connect(asAdmin, name, true);
  return {
    transport,
    client: new LedgerClient(transport, topology, 'ledger', { attemptTimeoutMs: 500, deadlineMs: 15_000 }),
  };
}

/** One node's own copy of an account's balance, or the code it refused with. */
async function nodeBalance(client: LedgerClient, node: number, account: number): Promise<number | string> {
  try {
    return (await client.admin(node, { op: 'balance', account })).balance;
  } catch (error) {
    if (error instanceof AdminRefused) return error.refusal;
    throw error;
  }
}

/** The clusters whose nodes (every one) hold `account`: exactly one when the map is consistent. */
async function holders(client: LedgerClient, account: number): Promise<number[]> {
  const clusters = Array.from({ length: topology.clusters }, (_, i) => i + 1);
  const held = await Promise.all(
    clusters.map(async (c) =>
      (await Promise.all(nodesOfCluster(topology, c).map((n) => nodeBalance(client, n, account)))).some(
        (a) => typeof a === 'number',
      ),
    ),
  );
  return clusters.filter((_, i) => held[i]);
}

/** Share of the pairs whose two accounts are in different clusters under `ownerOf`. */
function crossShare(pairs: ReadonlyArray<{ from: number; to: number }>, ownerOf: (a: number) => number): number {
  return pairs.filter((p) => ownerOf(p.from) !== ownerOf(p.to)).length / pairs.length;
}

/** fn over every item, `size` at a time (the nodes answer admin requests one by one). */
async function inChunks<T, R>(items: readonly T[], size: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = [];
  for (let i = 0; i < items.length; i += size) results.push(...(await Promise.all(items.slice(i, i + size).map(fn))));
  return results;
}

/** Every node's `cluster status` row. */
async function statusRows(cluster: TestCluster): Promise<any[]> {
  return (await cluster.json(['cluster', 'status'])).nodes;
}

/**
 * Back to the initial state between tests (a flush returns to the initial map and clears the
 * histories), checked, and a new client: one cluster for the file saves starting three.
 */
async function freshStart(cluster: TestCluster, name: string): Promise<{ client: LedgerClient; transport: Transport }> {
  await cluster.json(['cluster', 'flush']);
  const { client, transport } = await connectClient(cluster, name);
  await waitUntil('the initial map on every node', 10_000, async () =>
    (await client.status()).every((n) => 'mapEpoch' in n && n.mapEpoch === 0 && n.accounts === 3000),
  );
  return { client, transport };
}

describe('ledger reshard with real processes', () => {
  let cluster: TestCluster;
  let client: LedgerClient;
  let transport: Transport | undefined;
  let driverPid: number | undefined;
  const loads: CommunityLoad[] = [];
  before(async () => {
    cluster = await TestCluster.start();
  });
  after(async () => {
    if (driverPid !== undefined) endProcess(driverPid);
    for (const load of loads) await load.close();
    await transport?.close();
    await cluster?.close();
  });

  test('set 9 moves 4001 from c2 to c1 alone; it then reads 12 on n1..n3, and transfers from and to it commit', async (t) => {
    const lap = stopwatch(t);
    ({ client, transport } = await connectClient(cluster, 'it-reshard-set9'));
    const set9 = peerSet9Transfers;
    for (const [from, to] of set9)
      assert.equal((await client.transfer(from, to, 1)).status, 'committed', `${from} -> ${to}`);
    lap('set 9');

    const dry = await cluster.json(['reshard', '--dry-run']);
    assert.equal(dry.applied, undefined, 'a dry run moves nothing');
    assert.deepEqual(dry.plan.moves, [{ account: 4001, from: 2, to: 1 }]);
    assert.equal(dry.plan.historyTransfers, 10);
    assert.equal(dry.plan.crossShareBefore, 0.4);
    assert.equal(dry.plan.crossShareAfter, 0);
    assert.deepEqual(await cluster.json(['reshard', '--dry-run']), dry, 'the same history and seed give the same plan');
    lap('two dry runs');

    const text = await cluster.cli(['reshard']);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /^\(4001, c2, c1\)$/m, 'PrintReshard prints the triplet');
    assert.match(text.stdout, /40\.0 % → 0\.0 %/);
    assert.match(text.stdout, /moved 1 accounts in 1 moves .*shard map epoch 1/);
    lap('reshard');

    await waitUntil('4001 reads 12 on n1, n2 and n3', 10_000, async () => {
      const copies = await Promise.all([1, 2, 3].map((n) => nodeBalance(client, n, 4001)));
      return copies.every((b) => b === 12);
    });
    for (const n of [4, 5, 6]) assert.equal(await nodeBalance(client, n, 4001), 'wrong-shard', `n${n} gave 4001 up`);
    assert.deepEqual(
      (await client.replicaBalances(4001)).map((r) => [r.node, r.balance]),
      [
        [1, 12],
        [2, 12],
        [3, 12],
      ],
    );

    // Every node, the third cluster's too, has the map at epoch 1, and the counts moved by one.
    const epochOneEverywhere = (rows: any[]) =>
      rows.length === 9 && rows.every((n) => n.mapEpoch === 1 && n.accounts === [3001, 2999, 3000][n.cluster - 1]);
    await waitUntil('map epoch 1 and 3001/2999/3000 on every node', 10_000, async () =>
      epochOneEverywhere(await client.status()),
    );
    assert.ok(epochOneEverywhere(await statusRows(cluster)), '`ledger cluster status` shows it');
    lap('replicas and status');
    const audit = await cluster.json(['check', 'consistency']);
    assert.equal(audit.ok, true, JSON.stringify(audit));
    lap('check consistency');

    // A new CLI process starts from the initial map and follows the owners' answers.
    assert.equal((await cluster.json(['transfer', '4001', '5', '2'])).status, 'committed');
    assert.equal((await client.transfer(3005, 4001, 1)).status, 'committed');
    assert.equal((await client.balance(4001)).balance, 11);
    assert.equal((await client.balance(3005)).balance, 9);
    await transport.close();
    transport = undefined;
  });

  test('a skewed cross-shard workload, resharded while it runs: fewer cross-shard transfers, balanced, money and acknowledged transfers kept', async (t) => {
    ({ client, transport } = await freshStart(cluster, 'it-reshard-load'));
    // 40 groups of 6 accounts (2 in each cluster): 4 of a group's 5 partners are elsewhere.
    const communities = new Communities(40, 2, 100);
    const warmup = await CommunityLoad.connect(natsConnectionOf(cluster.config, asClient), communities, 1);
    loads.push(warmup);
    const phaseMs = performance.now();
    await warmup.run(600, 8);
    t.diagnostic(`600 transfers before the reshard in ${Math.round(performance.now() - phaseMs)} ms`);

    const moving = await Promise.all(
      [2, 3, 4].map((seed) => CommunityLoad.connect(natsConnectionOf(cluster.config, asClient), communities, seed)),
    );
    loads.push(...moving);
    const all = () => loads.flatMap((l) => l.transfers);
    for (const load of moving) load.start(2);
    await waitUntil(
      'the load clients commit',
      20_000,
      async () => all().filter((x) => x.status === 'committed').length >= 700,
    );

    // Audits over and over while the moves go on.
    let resharding = true;
    const audits: Array<{ report: ConsistencyReport; startedMs: number; endedMs: number }> = [];
    const auditor = await connectClient(cluster, 'it-reshard-audit');
    const auditing = (async () => {
      while (resharding) {
        const startedMs = performance.now();
        const report = await checkConsistency(auditor.client, topology, 20_000);
        audits.push({ report, startedMs, endedMs: performance.now() });
      }
    })();
    const reshardStartedMs = performance.now();
    let result;
    try {
      result = await reshard(client, topology, { seed: 1, dryRun: false });
    } finally {
      resharding = false;
    }
    const reshardEndedMs = performance.now();
    await auditing;
    await auditor.transport.close();
    // Some transfers after the moves, at the new homes.
    const committedBefore = all().filter((x) => x.status === 'committed').length;
    await waitUntil(
      'commits after the reshard',
      20_000,
      async () => all().filter((x) => x.status === 'committed').length >= committedBefore + 100,
    );
    for (const load of moving) await load.stop();

    const { plan, applied } = result;
    assert.ok(applied !== undefined);
    const moved = applied.moves.reduce((n, m) => n + m.accounts.length, 0);
    assert.equal(moved, plan.moves.length, 'every planned account moved');
    assert.ok(applied.moves.length >= 2, `the plan took ${applied.moves.length} move commands`);

    const figures = {
      reshardMs: Math.round(reshardEndedMs - reshardStartedMs),
      applyMs: applied.durationMs,
      accountsMoved: moved,
      moveCommands: applied.moves.length,
      longestMoveMs: Math.max(...applied.moves.map((m) => m.durationMs)),
      longestCommitGapMs: longestCommitGapMs(all(), reshardStartedMs, reshardEndedMs),
      commitsDuringReshard: all().filter(
        (x) => x.status === 'committed' && x.answeredAtMs >= reshardStartedMs && x.answeredAtMs <= reshardEndedMs,
      ).length,
      audits: audits.length,
      crossShareOfHistory: [plan.crossShareBefore, plan.crossShareAfter],
      transfers: all().length,
    };
    const figuresFile = join(tmpdir(), 'ledger-reshard-under-load-figures.json');
    writeFileSync(figuresFile, JSON.stringify(figures, null, 2));
    t.diagnostic(`figures (${figuresFile}): ${JSON.stringify(figures)}`);

    // (a) The same workload under the new map: the cross-shard share at least halves.
    await client.refreshMap();
    const before = crossShare(all(), (a) => clusterOfAccount(topology, a));
    const afterShare = crossShare(all(), (a) => client.ownerOf(a));
    t.diagnostic(
      `cross-shard share of the ${all().length} transfers: ${before.toFixed(3)} -> ${afterShare.toFixed(3)}`,
    );
    assert.ok(before > 0.6, `the workload crosses shards (${before})`);
    assert.ok(afterShare <= before / 2, `the share fell from ${before} to ${afterShare} only`);

    // (b) Every cluster within the tolerance, as planned.
    assert.equal(plan.withinTolerance, true);
    const rows = await statusRows(cluster);
    const low = (topology.accounts / topology.clusters) * (1 - plan.balanceTolerance);
    const high = (topology.accounts / topology.clusters) * (1 + plan.balanceTolerance);
    for (const c of plan.clusters) {
      for (const row of rows.filter((r) => r.cluster === c.cluster)) {
        assert.equal(row.accounts, c.accountsAfter, `n${row.node} holds the planned count`);
        assert.ok(row.accounts >= low && row.accounts <= high, `c${c.cluster}: ${row.accounts} accounts`);
      }
    }

    // (c) Money conserved at every audit taken during the moves.
    assert.ok(
      audits.some((a) => a.startedMs < reshardEndedMs),
      'at least one audit ran during the moves',
    );
    for (const { report } of audits)
      assert.equal(
        report.ok,
        true,
        JSON.stringify({ money: report.money, problems: report.clusters.map((c) => c.problems) }),
      );

    // (d) No acknowledged transfer lost or doubled.
    const finals = new Map<number, number>();
    await inChunks(communities.accounts, 24, async (account) => {
      const r = await client.balance(account);
      assert.notEqual(r.balance, null, `${account}: ${r.reason}`);
      finals.set(account, r.balance as number);
    });
    const counts = Object.fromEntries(
      ['committed', 'insufficient-funds', 'aborted', 'unknown', 'unavailable'].map((s) => [
        s,
        all().filter((x) => x.status === s).length,
      ]),
    );
    const reasons = new Map<string, number>();
    for (const x of all())
      if (x.status === 'aborted') reasons.set(x.reason ?? '?', (reasons.get(x.reason ?? '?') ?? 0) + 1);
    t.diagnostic(
      `outcomes: ${JSON.stringify(counts)}, aborted by reason ${JSON.stringify(Object.fromEntries(reasons))}`,
    );
    // A transfer whose receiver moved under its PREPARE is aborted (nothing ran): how many.
    const movedAccounts = new Set(plan.moves.map((m) => m.account));
    t.diagnostic(
      `aborted 'participant-aborted' with a moved receiver: ${all().filter((x) => x.reason === 'participant-aborted' && movedAccounts.has(x.to)).length} of ${reasons.get('participant-aborted') ?? 0}`,
    );
    assert.deepEqual(replayViolations(communities.groups, all(), finals, topology.initialBalance), []);

    // (e) Every moved account at its new cluster, the same balance on all its replicas; its old
    // cluster's nodes gave it up.
    await inChunks(plan.moves, 8, async (m) => {
      await waitUntil(`${m.account} on every node of c${m.to}`, 10_000, async () => {
        const copies = await Promise.all(nodesOfCluster(topology, m.to).map((n) => nodeBalance(client, n, m.account)));
        return copies.every((b) => b === finals.get(m.account));
      });
      for (const n of nodesOfCluster(topology, m.from))
        assert.equal(await nodeBalance(client, n, m.account), 'wrong-shard');
    });
    for (const load of loads.splice(0)) await load.close();
    await transport.close();
    transport = undefined;
  });

  test('kill -9 of the driver after its first move: the map stays consistent and a re-run completes the kept plan', async (t) => {
    const lap = stopwatch(t);
    ({ client, transport } = await freshStart(cluster, 'it-reshard-kill'));
    lap('flush');
    // 60 groups of 6, less skewed: well over a hundred accounts to move, in several move commands.
    const communities = new Communities(60, 2, 100, 0.5);
    const load = await CommunityLoad.connect(natsConnectionOf(cluster.config, asClient), communities, 7);
    try {
      const phaseMs = performance.now();
      await load.run(700, 8);
      t.diagnostic(`700 transfers in ${Math.round(performance.now() - phaseMs)} ms`);
    } finally {
      await load.close();
    }

    const driver = spawn(process.execPath, [ledgerBin, 'reshard', '--data-dir', cluster.dataDir], { stdio: 'ignore' });
    driverPid = driver.pid as number;
    let exited = false;
    driver.on('exit', () => (exited = true));
    // Polled tightly (not waitUntil's 100 ms): a move takes a few hundred ms, and the kill
    // must come before the last one.
    const deadline = performance.now() + 30_000;
    while (!exited && !(await client.status()).some((n) => 'mapEpoch' in n && n.mapEpoch >= 1)) {
      assert.ok(performance.now() < deadline, 'the first move did not happen in 30 s');
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    assert.equal(exited, false, 'the driver was still moving when killed');
    process.kill(driverPid, 'SIGKILL');
    await waitUntil('the driver gone', 10_000, async () => !alive(driverPid as number));
    driverPid = undefined;
    lap('driver run and killed');

    const planFile = join(cluster.dataDir, 'reshard', 'unfinished-plan.json');
    assert.ok(existsSync(planFile), 'the plan is kept');
    const plan = JSON.parse(readFileSync(planFile, 'utf8')) as ReshardPlanJson;
    assert.ok(plan.moves.length > 64, `${plan.moves.length} accounts to move`);
    t.diagnostic(`the plan moves ${plan.moves.length} accounts`);

    // Consistent: 9,000 accounts in all (the move chosen last completes on its own), each
    // planned one held by exactly one cluster, and the audit passes.
    await waitUntil('every account held once', 15_000, async () => {
      const rows = await statusRows(cluster);
      const perCluster = [1, 2, 3].map((c) => rows.find((r) => r.cluster === c && r.role === 'leader')?.accounts ?? 0);
      return perCluster.reduce((a, b) => a + b, 0) === topology.accounts;
    });
    let arrived = 0;
    await inChunks(plan.moves, 24, async (m) => {
      const at = await holders(client, m.account);
      assert.equal(
        at.length,
        1,
        `${m.account} is held by ${at.length === 0 ? 'no cluster' : at.map((c) => `c${c}`).join(' and ')}`,
      );
      if (at[0] === m.to) arrived++;
      else assert.equal(at[0], m.from, `${m.account} is at c${at[0]}, neither c${m.from} nor c${m.to}`);
    });
    t.diagnostic(`killed after ${arrived} of ${plan.moves.length} accounts arrived`);
    lap('every planned account held once');
    assert.ok(
      arrived > 0 && arrived < plan.moves.length,
      `${arrived} of ${plan.moves.length} arrived: killed half-way`,
    );
    const audit = await cluster.json(['check', 'consistency']);
    assert.equal(audit.ok, true, JSON.stringify(audit));

    const rerun = await cluster.cli(['reshard']);
    assert.equal(rerun.code, 0, rerun.stderr);
    assert.match(rerun.stdout, /completing the unfinished plan/);
    assert.match(rerun.stdout, new RegExp(`; ${arrived} were already there`));
    assert.ok(!existsSync(planFile), 'the completed plan is no longer kept');
    lap('audit and re-run');
    await client.refreshMap();
    await inChunks(plan.moves, 24, async (m) => {
      assert.equal(client.ownerOf(m.account), m.to, `${m.account} mapped to c${m.to}`);
      assert.deepEqual(await holders(client, m.account), [m.to], `${m.account} held at c${m.to} only`);
    });
    const rows = await statusRows(cluster);
    for (const c of plan.clusters)
      for (const row of rows.filter((r) => r.cluster === c.cluster))
        assert.equal(row.accounts, c.accountsAfter, `n${row.node}`);
    const final = await cluster.json(['check', 'consistency']);
    assert.equal(final.ok, true, JSON.stringify(final));
    lap('checks after');
  });
});
