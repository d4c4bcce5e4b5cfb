import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { defaultTopology } from '../../src/ledger/topology.js';
import type { FaultOp } from '../../src/protocol/admin.js';
import type { NodeId } from '../../src/protocol/ids.js';
import { injectFaultSettled, type FaultClient, type SettleLimits } from '../../src/testfile/decisions-settled.js';
import { TestRunner, type CommandResult } from '../../src/testfile/runner.js';
import type { TestCommand } from '../../src/testfile/types.js';

/** One node as the stand-in client plays it: its status answer, then its in-flight counts, one
 *  per request (the last one repeats); `'refuses'` rejects the request. */
interface NodeScript {
  status?: 'live' | 'failed' | 'refuses';
  inFlight?: number[] | 'refuses';
}

type Event =
  | { kind: 'status'; node: NodeId; timeoutMs: number }
  | { kind: 'hashes'; node: NodeId; inFlight: number | 'refused' }
  | { kind: 'inject'; node: NodeId; op: FaultOp; at: number };

/** A client that answers from the scripts and logs every request, and a clock that only moves
 *  when the wait sleeps (no real time passes). */
function standIn(scripts: Record<number, NodeScript>, msMax: number) {
  const events: Event[] = [];
  let clockMs = 0;
  const asked = new Map<NodeId, number>();
  const client: FaultClient = {
    async nodeStatus(node, timeoutMs) {
      events.push({ kind: 'status', node, timeoutMs });
      const status = scripts[node]?.status ?? 'live';
      if (status === 'refuses') throw new Error(`node ${node} does not answer`);
      return { failed: status === 'failed' };
    },
    async stateHashes(node) {
      const script = scripts[node]?.inFlight ?? [0];
      if (script === 'refuses') {
        events.push({ kind: 'hashes', node, inFlight: 'refused' });
        throw new Error(`node ${node} does not answer`);
      }
      const n = asked.get(node) ?? 0;
      asked.set(node, n + 1);
      const inFlight = script[Math.min(n, script.length - 1)] as number;
      events.push({ kind: 'hashes', node, inFlight });
      return { inFlight };
    },
    async injectFault(node, op) {
      events.push({ kind: 'inject', node, op, at: clockMs });
      return { node };
    },
  };
  const limits: SettleLimits = {
    msMax,
    now: () => clockMs,
    sleep: async (ms) => {
      clockMs += ms;
    },
  };
  return { client, limits, events, clockMs: () => clockMs };
}

const topology = defaultTopology; // nodes 1..9
const nodes: NodeId[] = [1, 2, 3, 4, 5, 6, 7, 8, 9];

const hashesOf = (events: Event[], node: NodeId) =>
  events.flatMap((e) => (e.kind === 'hashes' && e.node === node ? [e.inFlight] : []));
const injects = (events: Event[]) => events.filter((e) => e.kind === 'inject');

describe('test-file runner: before F(nK), the cross-shard decisions already answered settle', () => {
  test('a failure is injected only after every live node reported no transaction in flight', async () => {
    const s = standIn({ 2: { inFlight: [1, 1, 0] }, 5: { inFlight: [2, 0] } }, 2_000);
    await injectFaultSettled(s.client, topology, 4, 'fail', s.limits);
    const injected = injects(s.events);
    assert.equal(injected.length, 1);
    assert.deepEqual({ ...injected[0], at: 0 }, { kind: 'inject', node: 4, op: 'fail', at: 0 });
    const at = (injected[0] as { at: number }).at;
    assert.ok(at > 0 && at < 2_000, `injected at ${at} ms: after pausing, before the deadline`);
    assert.equal(s.events.at(-1)?.kind, 'inject', 'nothing is asked after the failure');
    // Node 2 was asked until it had nothing left; then every node's last word was 0.
    assert.deepEqual(hashesOf(s.events, 2), [1, 1, 0]);
    assert.deepEqual(hashesOf(s.events, 5), [2, 0, 0]);
    for (const node of nodes) assert.equal(hashesOf(s.events, node).at(-1), 0, `node ${node} last reported 0`);
    // Each node's status was asked first, briefly, to leave failed ones out.
    const statuses = s.events.filter((e) => e.kind === 'status');
    assert.deepEqual(
      statuses.map((e) => e.node),
      nodes,
    );
    assert.ok(statuses.every((e) => e.kind === 'status' && e.timeoutMs === 500));
  });

  test('a failed node, and a node that does not answer its status, are not waited for', async () => {
    // Both would report a transaction in flight forever: asking them would hold to the deadline.
    const s = standIn({ 3: { status: 'failed', inFlight: [1] }, 6: { status: 'refuses', inFlight: [1] } }, 2_000);
    await injectFaultSettled(s.client, topology, 9, 'fail', s.limits);
    assert.deepEqual(hashesOf(s.events, 3), []);
    assert.deepEqual(hashesOf(s.events, 6), []);
    for (const node of nodes.filter((n) => n !== 3 && n !== 6))
      assert.deepEqual(hashesOf(s.events, node), [0], `node ${node} asked once`);
    assert.deepEqual(injects(s.events), [{ kind: 'inject', node: 9, op: 'fail', at: 0 }]);
  });

  test('a node that does not answer its hashes does not hold the failure', async () => {
    const s = standIn({ 7: { inFlight: 'refuses' } }, 2_000);
    await injectFaultSettled(s.client, topology, 1, 'fail', s.limits);
    assert.deepEqual(hashesOf(s.events, 7), ['refused']);
    assert.deepEqual(injects(s.events), [{ kind: 'inject', node: 1, op: 'fail', at: 0 }]);
  });

  test('after msMax the failure goes in anyway, with a transaction still in flight', async () => {
    const msMax = 200;
    const s = standIn({ 8: { inFlight: [1] } }, msMax);
    await injectFaultSettled(s.client, topology, 2, 'fail', s.limits);
    const injected = injects(s.events);
    assert.equal(injected.length, 1);
    const at = (injected[0] as { at: number }).at;
    assert.ok(at >= msMax, `injected at ${at} ms, not before the deadline`);
    assert.ok(at < msMax + 100, `injected at ${at} ms, soon after the deadline`);
    const polls = hashesOf(s.events, 8);
    assert.ok(polls.length > 1 && polls.length <= msMax / 10, `asked node 8 ${polls.length} times`);
    assert.ok(polls.every((n) => n === 1));
    assert.equal(s.events.at(-1)?.kind, 'inject');
  });

  test('a recovery waits for nothing', async () => {
    const s = standIn({ 2: { inFlight: [3] }, 5: { inFlight: [1] } }, 2_000);
    await injectFaultSettled(s.client, topology, 4, 'recover', s.limits);
    assert.deepEqual(s.events, [{ kind: 'inject', node: 4, op: 'recover', at: 0 }]);
  });

  test("the runner's F(nK) goes through the wait, its R(nK) does not", async () => {
    // The runner's private step for one command, driven with the stand-in client: this is what
    // breaks if the runner calls injectFault itself. Its own 2 s limit and real clock apply; the
    // script settles after one 20 ms pause, so the test waits on that, not on a fixed sleep.
    const runner = new TestRunner(
      {
        clusterDir: '/nonexistent-never-started',
        concurrent: false,
        concurrencyMax: 1,
        consistency: 'linearizable',
        deadlineMs: 1_000,
        leadTimeoutMs: 1_000,
      },
      { say: () => undefined },
    );
    const execute = (client: FaultClient, command: TestCommand): Promise<CommandResult> =>
      (
        runner as unknown as { execute(c: FaultClient, cmd: TestCommand, t: typeof topology): Promise<CommandResult> }
      ).execute(client, command, topology);

    const failing = standIn({ 2: { inFlight: [1, 0] } }, 2_000);
    assert.deepEqual(await execute(failing.client, { op: 'fail', node: 4, line: 7 }), { op: 'fail', node: 4 });
    assert.deepEqual(hashesOf(failing.events, 2), [1, 0]);
    assert.equal(failing.events.at(-1)?.kind, 'inject');
    assert.equal(injects(failing.events).length, 1);

    const recovering = standIn({ 2: { inFlight: [1] } }, 2_000);
    assert.deepEqual(await execute(recovering.client, { op: 'recover', node: 4, line: 8 }), {
      op: 'recover',
      node: 4,
    });
    assert.deepEqual(
      recovering.events.map((e) => e.kind),
      ['inject'],
    );
  });
});
