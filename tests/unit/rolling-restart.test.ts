import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { NodeStatusRow } from '../../src/client/ledger-client.js';
import { rollingRestart, type RollingRestartPorts } from '../../src/cluster/rolling-restart.js';
import { LedgerError } from '../../src/core/errors.js';
import type { NodeStatus } from '../../src/protocol/admin.js';
import type { Topology } from '../../src/ledger/topology.js';

/**
 * The order and the waits of `ledger cluster restart --rolling` against a scripted cluster in
 * virtual time (no processes): what it stops, in which order, whom it hands the lead to, what
 * it waits for, and the error that names the node that did not come back or catch up.
 */

const topology: Topology = { clusters: 2, nodesPerCluster: 3, accounts: 60, initialBalance: 10 };

interface FakeNode {
  node: number;
  cluster: number;
  up: boolean;
  pid: number;
  leader: number | undefined;
  applied: number;
  failed: boolean;
  /** Status polls after a start before it answers (Infinity: never). */
  answersAfterPolls: number;
  /** Slots it applies per poll once back. */
  catchUpPerPoll: number;
  /** How far behind its leader it stays once caught up (messages in flight). */
  lag: number;
}

class FakeCluster implements RollingRestartPorts {
  clock = 0;
  nextPid = 1_000;
  readonly log: string[] = [];
  readonly nodes = new Map<number, FakeNode>();
  private readonly pollsSinceStart = new Map<number, number>();
  /** Each leader applies one more slot at every poll (the load goes on). */
  constructor(leaders: number[], applied = 1_000) {
    for (let node = 1; node <= topology.clusters * topology.nodesPerCluster; node++) {
      const cluster = Math.ceil(node / topology.nodesPerCluster);
      this.nodes.set(node, {
        node,
        cluster,
        up: true,
        pid: node,
        leader: leaders[cluster - 1],
        applied: applied - (leaders.includes(node) ? 0 : node),
        failed: false,
        answersAfterPolls: 2,
        catchUpPerPoll: 50,
        lag: 0,
      });
      this.pollsSinceStart.set(node, Infinity);
    }
  }

  leaderOf(cluster: number): number {
    return [...this.nodes.values()].find((n) => n.cluster === cluster)!.leader as number;
  }

  async status(): Promise<NodeStatusRow[]> {
    const rows: NodeStatusRow[] = [];
    for (const n of this.nodes.values()) {
      const isLeader = n.up && n.leader === n.node;
      if (isLeader) n.applied += 1;
      if (n.up && !isLeader) {
        const polls = (this.pollsSinceStart.get(n.node) as number) + 1;
        this.pollsSinceStart.set(n.node, polls);
        const leaderApplied = this.nodes.get(this.leaderOf(n.cluster))!.applied;
        if (polls === Infinity || polls > n.answersAfterPolls)
          n.applied = Math.max(n.applied, Math.min(leaderApplied - n.lag, n.applied + n.catchUpPerPoll));
      }
      // A node never restarted answers from the start.
      const polls = this.pollsSinceStart.get(n.node) as number;
      const answers = n.up && (polls === Infinity || polls > n.answersAfterPolls);
      if (!answers && !(n.up && n.leader === n.node)) {
        rows.push({ node: n.node, cluster: n.cluster, role: 'down', reason: 'no answer' });
        continue;
      }
      rows.push({
        node: n.node,
        cluster: n.cluster,
        role: isLeader ? 'leader' : 'follower',
        leader: n.leader,
        appliedIndex: n.applied,
        failed: n.failed,
        isolated: false,
        pid: n.pid,
      } as NodeStatus);
    }
    return rows;
  }

  async lead(node: number): Promise<void> {
    this.log.push(`lead n${node}`);
    const target = this.nodes.get(node)!;
    for (const n of this.nodes.values()) if (n.cluster === target.cluster) n.leader = node;
  }

  async stop(node: number): Promise<number | null> {
    const n = this.nodes.get(node)!;
    this.log.push(`stop n${node}`);
    assert.notEqual(n.leader, node, `n${node} stopped while it led`);
    // Never two out at once: every other member answers and is caught up.
    const leaderApplied = this.nodes.get(this.leaderOf(n.cluster))!.applied;
    for (const other of this.nodes.values()) {
      if (other.cluster !== n.cluster || other.node === node) continue;
      const polls = this.pollsSinceStart.get(other.node) as number;
      assert.ok(other.up && (polls === Infinity || polls > other.answersAfterPolls), `n${other.node} is not back`);
      assert.ok(other.applied >= leaderApplied - other.lag - 20, `n${other.node} is behind`);
    }
    n.up = false;
    // Back behind the others: it catches up over several polls.
    n.applied -= 300;
    this.pollsSinceStart.set(node, 0);
    return n.pid;
  }

  async start(node: number): Promise<number> {
    const n = this.nodes.get(node)!;
    this.log.push(`start n${node}`);
    n.up = true;
    n.pid = this.nextPid++;
    return n.pid;
  }

  now(): number {
    return this.clock;
  }

  async sleep(ms: number): Promise<void> {
    this.clock += ms;
  }
}

describe('rolling restart: order and waits', () => {
  test('followers first, in id order, then the leader after its lead moved to the most caught-up follower; each back and caught up before the next', async () => {
    const cluster = new FakeCluster([1, 5]);
    // In cluster 2 (leader n5), n6 is ahead of n4 when the leader's turn comes.
    cluster.nodes.get(4)!.lag = 3;
    const progress: string[] = [];
    const result = await rollingRestart(topology, cluster, {
      stepTimeoutMs: 60_000,
      onProgress: (p) => progress.push(`${p.done}/${p.total} ${p.phase} n${p.node}`),
    });
    assert.deepEqual(cluster.log, [
      'stop n2',
      'start n2',
      'stop n3',
      'start n3',
      'lead n2',
      'stop n1',
      'start n1',
      'stop n4',
      'start n4',
      'stop n6',
      'start n6',
      'lead n6',
      'stop n5',
      'start n5',
    ]);
    assert.deepEqual(
      result.steps.map((s) => [s.node, s.role, s.leadMovedTo]),
      [
        [2, 'follower', null],
        [3, 'follower', null],
        [1, 'leader', 2],
        [4, 'follower', null],
        [6, 'follower', null],
        [5, 'leader', 6],
      ],
    );
    assert.deepEqual(result.leadersBefore, { 1: 1, 2: 5 });
    assert.deepEqual(result.leadersAfter, { 1: 2, 2: 6 });
    for (const step of result.steps) {
      assert.equal(step.pidBefore, step.node);
      assert.ok(step.pidAfter >= 1_000);
      // Caught up: at least the slot its leader had applied when it came back.
      assert.ok(cluster.nodes.get(step.node)!.applied >= step.caughtUpAtSlot);
      assert.ok(step.ms.start > 0 && step.ms.catchUp >= 0);
      assert.equal(step.ms.total, step.ms.leadTransfer + step.ms.stop + step.ms.start + step.ms.catchUp);
    }
    assert.equal(progress.at(-1), '6/6 done n5');
    assert.ok(progress.includes('2/6 moving the lead n1'));
  });

  test('a node that does not come back stops the roll with its name, and no later node is touched', async () => {
    const cluster = new FakeCluster([1, 5]);
    cluster.nodes.get(3)!.answersAfterPolls = Infinity;
    await assert.rejects(
      rollingRestart(topology, cluster, { stepTimeoutMs: 5_000 }),
      (e: unknown) =>
        e instanceof LedgerError &&
        e.code === 'timeout' &&
        /^n3 did not come back within 5 s \(it does not answer its status\)$/.test(e.message) &&
        /logs\/n3\.log/.test(e.hint ?? ''),
    );
    assert.deepEqual(cluster.log, ['stop n2', 'start n2', 'stop n3', 'start n3']);
    assert.ok(cluster.clock >= 5_000 && cluster.clock < 12_000, `gave up after ${cluster.clock} ms`);
  });

  test('a node that comes back but does not catch up stops the roll, saying how far it got', async () => {
    const cluster = new FakeCluster([1, 5]);
    cluster.nodes.get(2)!.catchUpPerPoll = 0;
    await assert.rejects(
      rollingRestart(topology, cluster, { stepTimeoutMs: 3_000 }),
      (e: unknown) =>
        e instanceof LedgerError && /^n2 did not catch up within 3 s \(applied slot \d+ of \d+\)$/.test(e.message),
    );
    assert.deepEqual(cluster.log, ['stop n2', 'start n2']);
  });

  test('refuses to start, touching nothing, when a node is down or failed', async () => {
    const cluster = new FakeCluster([1, 5]);
    cluster.nodes.get(4)!.failed = true;
    cluster.nodes.get(6)!.up = false;
    await assert.rejects(
      rollingRestart(topology, cluster, { stepTimeoutMs: 3_000 }),
      (e: unknown) =>
        e instanceof LedgerError &&
        e.code === 'unavailable' &&
        e.message === 'a rolling restart needs every node up and serving: n4 is failed, n6 is down',
    );
    assert.deepEqual(cluster.log, []);
  });

  test('a cluster whose leader changed during the roll: the new leader goes last, the old one counts as a follower', async () => {
    const cluster = new FakeCluster([1, 5]);
    const stop = cluster.stop.bind(cluster);
    // An election while n2 is down moves cluster 1's lead to n3.
    cluster.stop = async (node) => {
      const pid = await stop(node);
      if (node === 2) for (const n of cluster.nodes.values()) if (n.cluster === 1) n.leader = 3;
      return pid;
    };
    const result = await rollingRestart(topology, cluster, { stepTimeoutMs: 60_000 });
    assert.deepEqual(
      result.steps.filter((s) => s.cluster === 1).map((s) => [s.node, s.role, s.leadMovedTo]),
      [
        [2, 'follower', null],
        [1, 'follower', null],
        [3, 'leader', 1],
      ],
    );
  });
});
