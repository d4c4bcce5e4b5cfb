import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { after, describe, test } from 'node:test';
import { LedgerClient } from '../../src/client/ledger-client.js';
import { waitForLeaders } from '../../src/cluster/local-cluster.js';
import {
  natsUrlFrom,
  renderNatsServerConfig,
  startNatsCluster,
  startNatsServer,
  waitForRoutes,
  type NatsClusterServer,
} from '../../src/cluster/nats-cluster.js';
import { defaultTopology, nodesOfCluster } from '../../src/ledger/topology.js';
import { readConfig } from '../../src/node/config.js';
import { connectNats } from '../../src/transport/nats.js';
import { Communities, CommunityLoad, longestCommitGapMs, replayViolations } from './community-load.js';
import { freePort } from '../../src/cluster/processes.js';
import { alive, cli, endProcess, ledgerBin, stopwatch, waitUntil } from './harness.js';

/**
 * Issue 16, items 3 and 4: the 9 nodes on three "hosts" (one replica of each cluster per host,
 * each started by `ledger node start --id N --config FILE` from its host's config), over three
 * real nats-server processes joined by routes; each host's nodes and one load client use their
 * host's server first. One server is SIGKILLed under load and started again.
 */

const topology = defaultTopology;
const started = new Set<number>();
const dirs: string[] = [];
after(() => {
  for (const pid of started) endProcess(pid);
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** The names of the connections a server holds now, from its monitoring port. */
async function connectionNames(server: NatsClusterServer): Promise<string[]> {
  const response = await fetch(`http://127.0.0.1:${server.monitorPort}/connz?limit=1024`);
  const body = (await response.json()) as { connections?: Array<{ name?: string }> };
  return (body.connections ?? []).map((c) => c.name ?? '');
}

/** Host h (0, 1, 2) runs the (h+1)-th node of every cluster: losing a host loses no cluster. */
function nodesOfHost(h: number): number[] {
  return Array.from({ length: topology.clusters }, (_, c) => nodesOfCluster(topology, c + 1)[h] as number);
}

/** A host's config as an operator writes it (infra/hosts/): only what has no default. */
function writeHostConfig(root: string, servers: readonly NatsClusterServer[], h: number): string {
  const dir = join(root, `host-${h}`);
  mkdirSync(dir, { recursive: true });
  // config.json, so that CLI commands find it with --data-dir, as on a host (infra/README.md).
  const file = join(dir, 'config.json');
  const config = { natsUrl: natsUrlFrom(servers, h), dataDir: 'data', topology, hostNodes: nodesOfHost(h) };
  writeFileSync(file, `${JSON.stringify(config, null, 2)}\n`);
  return file;
}

/** `ledger node start --id N --config FILE`, as a host's supervisor runs it. */
function startNode(node: number, configFile: string, logFile: string): number {
  const out = openSync(logFile, 'a');
  const child = spawn(process.execPath, [ledgerBin, 'node', 'start', '--id', String(node), '--config', configFile], {
    stdio: ['ignore', out, out],
    detached: true,
  });
  child.unref();
  const pid = child.pid as number;
  started.add(pid);
  return pid;
}

describe('9 nodes on 3 hosts over a 3-server NATS cluster', () => {
  test('one nats-server killed under load and started again: commits go on, nothing acknowledged is lost, replicas agree', async (t) => {
    const root = mkdtempSync(join(tmpdir(), 'ledger-3brokers-'));
    dirs.push(root);
    const lap = stopwatch(t);
    const { servers, pids } = await startNatsCluster({
      dir: join(root, 'nats'),
      size: 3,
      detached: true,
      readyTimeoutMs: 15_000,
    });
    for (const pid of pids) started.add(pid);
    lap('NATS cluster up');
    const hostConfigs = servers.map((_, h) => writeHostConfig(root, servers, h));
    const nodePids = new Map<number, number>();
    hostConfigs.forEach((file, h) => {
      mkdirSync(join(root, `host-${h}`, 'data'), { recursive: true });
      for (const node of nodesOfHost(h))
        nodePids.set(node, startNode(node, file, join(root, `host-${h}`, 'data', `n${node}.out`)));
    });
    await waitForLeaders(readConfig(hostConfigs[1] as string), 40_000);
    lap('9 nodes up, a leader in every cluster');

    // Each host's nodes are on its own server.
    for (const [h, server] of servers.entries()) {
      const names = await connectionNames(server);
      for (const node of nodesOfHost(h))
        assert.ok(names.includes(`ledger-n${node}`), `n${node} on ${server.name}: ${names}`);
    }

    // Load: one client per host, each on its host's server first; groups of 6 accounts spread
    // over the three clusters, so most transfers are cross-shard (2PC between the leaders).
    const communities = new Communities(30, 2, 200);
    const loads = await Promise.all(
      servers.map((_, h) => CommunityLoad.connect({ url: natsUrlFrom(servers, h) }, communities, 11 + h)),
    );
    const all = () => loads.flatMap((l) => l.transfers);
    const committedAfter = (atMs: number, load?: CommunityLoad) =>
      (load === undefined ? all() : load.transfers).filter((x) => x.status === 'committed' && x.answeredAtMs > atMs)
        .length;
    for (const load of loads) load.start(4);
    await waitUntil('the load commits', 20_000, async () => committedAfter(0) >= 150);
    lap('load under way');

    // Server a holds the first node of every cluster, each cluster's leader at start.
    const victim = servers[0] as NatsClusterServer;
    const killedAtMs = performance.now();
    process.kill(pids[0] as number, 'SIGKILL');
    await waitUntil(`${victim.name} gone`, 10_000, async () => !alive(pids[0] as number));
    // While it is down: its nodes reconnect to the other two, every client commits again.
    await waitUntil('host a nodes on the other servers', 20_000, async () => {
      const names = [
        ...(await connectionNames(servers[1] as NatsClusterServer)),
        ...(await connectionNames(servers[2] as NatsClusterServer)),
      ];
      return nodesOfHost(0).every((n) => names.includes(`ledger-n${n}`));
    });
    await waitUntil(
      'commits from every client while the server is down',
      20_000,
      async () => committedAfter(killedAtMs) >= 150 && loads.every((l) => committedAfter(killedAtMs, l) >= 20),
    );
    lap(`${victim.name} down`);
    const restartedAtMs = performance.now();
    const commitsWhileDown = committedAfter(killedAtMs);
    const restarted = await startNatsServer(victim, true);
    started.add(restarted);
    await waitForRoutes(servers, 15_000);
    const routesBackAtMs = performance.now();
    await waitUntil('commits after the restart', 20_000, async () => committedAfter(routesBackAtMs) >= 100);
    for (const load of loads) await load.stop();
    lap(`${victim.name} back, routes up, load stopped`);

    const count = (status: string) => all().filter((x) => x.status === status).length;
    const figures = {
      serverDownMs: Math.round(restartedAtMs - killedAtMs),
      longestCommitGapMs: longestCommitGapMs(all(), killedAtMs, routesBackAtMs),
      commitsWhileDown,
      commitsPerClientWhileDown: loads.map((l) => committedAfter(killedAtMs, l) - committedAfter(restartedAtMs, l)),
      transfers: all().length,
      outcomes: Object.fromEntries(
        ['committed', 'insufficient-funds', 'aborted', 'unknown', 'unavailable'].map((s) => [s, count(s)]),
      ),
    };
    const figuresFile = join(tmpdir(), 'ledger-broker-kill-figures.json');
    writeFileSync(figuresFile, `${JSON.stringify(figures, null, 2)}\n`);
    t.diagnostic(`figures (${figuresFile}): ${JSON.stringify(figures)}`);
    // Generous: the machine is shared; the point is that the ledger did not stop.
    assert.ok(figures.longestCommitGapMs < 10_000, `longest gap without a commit ${figures.longestCommitGapMs} ms`);

    // Replicas agree, and the money is all there: the CLI, from a host's config.
    const check = await cli(['check', 'consistency', '--wait', '20', '--json', '--data-dir', join(root, 'host-2')]);
    assert.equal(check.code, 0, `${check.stderr} ${check.stdout}`);
    assert.equal(check.json.ok, true, check.stdout);
    const transport = await connectNats({ url: natsUrlFrom(servers, 1), name: 'it-3brokers-check', longRunning: true });
    try {
      const client = new LedgerClient(transport, topology, 'ledger', { attemptTimeoutMs: 500, deadlineMs: 15_000 });
      // Nothing acknowledged lost or doubled: the balances replay from what the clients were told.
      const finals = new Map<number, number>();
      for (const account of communities.accounts) {
        const r = await client.balance(account);
        assert.notEqual(r.balance, null, `${account}: ${r.reason}`);
        finals.set(account, r.balance as number);
      }
      assert.deepEqual(replayViolations(communities.groups, all(), finals, topology.initialBalance), []);
      lap('consistency and replay checked');
    } finally {
      await transport.close();
      for (const load of loads) await load.close();
    }
    for (const pid of [...nodePids.values(), ...pids.slice(1), restarted]) endProcess(pid);
  });
});

describe('ledger node start --config', () => {
  // The other refusals of a config file are unit tests (tests/unit/host-config.test.ts); this
  // one shows that `node start` checks the host's nodes and says so.
  test('refuses a node its host does not run, saying which it runs', async () => {
    const root = mkdtempSync(join(tmpdir(), 'ledger-host-config-'));
    dirs.push(root);
    const file = join(root, 'ledger.json');
    const config = {
      natsUrl: 'nats://127.0.0.1:1,nats://127.0.0.1:2',
      dataDir: 'data',
      topology,
      hostNodes: [1, 4, 7],
    };
    writeFileSync(file, JSON.stringify(config));
    const r = await cli(['node', 'start', '--id', '2', '--config', file]);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /^error: node 2 does not run on this host \(hostNodes: 1, 4, 7\)\nhint: /);
  });
});

describe('waitForRoutes', () => {
  test('does not call two servers without routes between them a cluster', async () => {
    const root = mkdtempSync(join(tmpdir(), 'ledger-no-routes-'));
    dirs.push(root);
    const servers: NatsClusterServer[] = [];
    for (const name of ['lone-a', 'lone-b']) {
      const [clientPort, routePort, monitorPort] = [await freePort(), await freePort(), await freePort()];
      const server = {
        name,
        clientPort,
        routePort,
        monitorPort,
        url: `nats://127.0.0.1:${clientPort}`,
        configFile: join(root, `${name}.conf`),
        logFile: join(root, `${name}.log`),
      };
      writeFileSync(server.configFile, renderNatsServerConfig({ ...server, listenHost: '127.0.0.1', routes: [] }));
      started.add(await startNatsServer(server, true));
      servers.push(server);
    }
    await assert.rejects(
      waitForRoutes(servers, 1_500),
      /routes between the 2 NATS servers did not happen within 1500 ms/,
    );
  });
});
