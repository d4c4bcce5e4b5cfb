import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Batch } from '../../src/protocol/commands.js';
import type { ShardReady } from '../../src/ledger/shard-ready.js';
import type { LogEntry, Outbound } from '../../src/protocol/paxos.js';
import { NodeMetrics, type NodeSample } from '../../src/observability/metrics.js';

const sample: NodeSample = {
  role: 'leader',
  isolated: false,
  leader: 1,
  ballot: '(1, n1)',
  commitIndex: 10,
  appliedIndex: 8,
  pendingRequests: 2,
  pendingCommands: 1,
  metricsPort: undefined,
  pid: 99,
  uptimeMs: 5_000,
};

function ready(entries: Array<LogEntry<Batch>>, messages: Array<Outbound<Batch>>): ShardReady {
  return {
    paxos: { promised: undefined, entries, compactedThrough: undefined, messages, newViews: [], snapshotsFor: [] },
    state: undefined,
    replies: [],
    forwards: [],
    snapshots: [],
    twoPc: [],
    events: [],
  };
}

const ballot = { round: 1, node: 1 };
const transfer = (seq: number) => ({
  clientId: 'c',
  seq,
  op: { kind: 'transfer' as const, from: 1, to: 2, amount: 1 },
});
const accept = (slot: number): Outbound<Batch> => ({
  to: 'all',
  message: { type: 'accept', from: 1, ballot, commitIndex: slot - 1, entries: [] },
});

describe('node metrics', () => {
  test('the snapshot covers the interval since the last one: rates, percentiles, batches, messages per commit', () => {
    const m = new NodeMetrics({ node: 1, cluster: 1 }, () => sample, 0, { processMetrics: false });
    m.recordReady(
      ready([{ slot: 1, ballot, value: [transfer(1), transfer(2), transfer(3)], chosen: false }], [accept(1)]),
      { leading: true, ballot: '(1, n1)', cutOff: false },
    );
    m.recordReady(
      ready(
        [
          { slot: 2, ballot, value: [transfer(4)], chosen: false },
          { slot: 1, ballot, value: [transfer(1)], chosen: true },
        ],
        [accept(2), accept(3)],
      ),
      { leading: true, ballot: '(1, n1)', cutOff: false },
    );
    for (let i = 1; i <= 99; i++)
      m.recordReply({ kind: 'outcome', outcome: { status: 'committed' }, servedBy: 1, slot: 1 }, 2);
    m.recordReply({ kind: 'outcome', outcome: { status: 'aborted', reason: 'locked' }, servedBy: 1, slot: 2 }, 40);
    m.recordReply({ kind: 'redirect', leaderHint: 2 }, 1);
    m.recordPersist(3);
    const s = m.snapshot(2_000, 1_790_000_000_000);
    assert.equal(s.intervalMs, 2_000);
    assert.equal(s.commitsTotal, 99);
    assert.deepEqual(s.abortsTotal, [{ reason: 'locked', count: 1 }]);
    assert.equal(s.repliesPerSec, 50, 'redirects are not final answers');
    assert.equal(s.commitsPerSec, 49.5);
    assert.ok(Math.abs(s.latencyMsP50 - 2) < 0.05, `p50 ${s.latencyMsP50}`);
    assert.ok(s.latencyMsP99 >= 2 && s.latencyMsP99 < 2.1, `p99 ${s.latencyMsP99}: 99 of 100 replies took 2 ms`);
    assert.equal(s.batchCommandsMean, 2, 'slot 1 (3 commands) and slot 2 (1); slot 1 again is not a new proposal');
    assert.equal(s.batchCommandsMax, 3);
    assert.ok(Math.abs(s.paxosMessagesPerCommit - 3 / 99) < 1e-9);
    assert.ok(s.persistMsP99 >= 3 && s.persistMsP99 < 3.1);
    assert.equal(s.role, 'leader');
    assert.equal(s.lagSlots, 2);

    const next = m.snapshot(3_000, 1_790_000_001_000);
    assert.equal(next.intervalMs, 1_000);
    assert.equal(next.repliesPerSec, 0);
    assert.equal(next.latencyMsP99, 0);
    assert.equal(next.commitsTotal, 99, 'totals survive the interval');
  });

  test('a follower counts view changes and its lag behind the commit index its leader announced', () => {
    const follower = { ...sample, role: 'follower' as const, commitIndex: 5, appliedIndex: 5 };
    const m = new NodeMetrics({ node: 2, cluster: 1 }, () => follower, 0, { processMetrics: false });
    m.recordIncoming({ type: 'accept', from: 1, ballot, commitIndex: 30, entries: [] });
    m.recordReady(ready([{ slot: 6, ballot, value: [transfer(1)], chosen: false }], []), {
      leading: false,
      ballot: '(1, n1)',
      cutOff: false,
    });
    m.recordReady(ready([], []), { leading: false, ballot: '(2, n3)', cutOff: false });
    const s = m.snapshot(1_000, 0);
    assert.equal(s.lagSlots, 25);
    assert.equal(s.viewChangesTotal, 1);
    assert.equal(s.batchCommandsMean, 0, 'a follower proposes nothing');
  });

  test('the Prometheus text has ledger_ metrics in base units with the node as a label', async () => {
    const m = new NodeMetrics({ node: 3, cluster: 1 }, () => sample, 0);
    m.recordReply({ kind: 'outcome', outcome: { status: 'committed' }, servedBy: 3, slot: 1 }, 1.5);
    m.recordPersist(0.4);
    const text = await m.prometheusText();
    assert.match(m.contentType, /^text\/plain/);
    assert.match(text, /^# TYPE ledger_commits_total counter$/m);
    assert.match(text, /^ledger_commits_total\{node="3",cluster="1"\} 1$/m);
    assert.match(text, /^ledger_request_duration_seconds_sum\{node="3",cluster="1"\} 0\.0015$/m);
    assert.match(text, /^ledger_sqlite_persist_duration_seconds_count\{node="3",cluster="1"\} 1$/m);
    assert.match(text, /^ledger_role\{role="leader",node="3",cluster="1"\} 1$/m);
    assert.match(text, /^ledger_lag_slots\{node="3",cluster="1"\} 2$/m);
    assert.match(text, /^ledger_process_cpu_seconds_total/m);
    const names = [...text.matchAll(/^# TYPE (\S+) /gm)].map((x) => x[1] as string);
    assert.deepEqual(
      names.filter((n) => !n.startsWith('ledger_')),
      [],
    );
    assert.deepEqual(
      names.filter((n) => /_ms\b|_milliseconds/.test(n)),
      [],
    );
  });

  test('after a flush (slots restart at 0 in a new generation) lag, batches and view changes behave as on a fresh node', () => {
    // The node's own view of itself, changed by the test as the node would change it.
    let current: NodeSample = { ...sample, role: 'leader', ballot: '(3, n2)', commitIndex: 400, appliedIndex: 400 };
    const flushed = new NodeMetrics({ node: 2, cluster: 1 }, () => current, 0, { processMetrics: false });
    // The old generation: a long log, a leader announcing a high commit index, a view change.
    flushed.recordReady(ready([{ slot: 1, ballot, value: [transfer(1)], chosen: false }], []), {
      leading: false,
      ballot: '(1, n1)',
      cutOff: false,
    });
    flushed.recordIncoming({ type: 'accept', from: 1, ballot, commitIndex: 500, entries: [] });
    flushed.recordReady(ready([{ slot: 400, ballot, value: [transfer(2)], chosen: false }], []), {
      leading: true,
      ballot: '(3, n2)',
      cutOff: false,
    });
    const before = flushed.snapshot(1_000, 0);
    assert.equal(before.viewChangesTotal, 1);
    assert.equal(before.lagSlots, 100);

    flushed.onFlush();
    current = { ...sample, role: 'leader', ballot: '(1, n2)', commitIndex: 0, appliedIndex: 0 };

    // The same events after the flush, on the flushed node and on a fresh one.
    const fresh = new NodeMetrics({ node: 2, cluster: 1 }, () => current, 1_000, { processMetrics: false });
    const afterFlush = (m: NodeMetrics) => {
      m.recordReady(ready([{ slot: 1, ballot, value: [transfer(3), transfer(4)], chosen: false }], [accept(1)]), {
        leading: true,
        ballot: '(1, n2)',
        cutOff: false,
      });
      m.recordReady(ready([{ slot: 2, ballot, value: [transfer(5)], chosen: false }], [accept(2)]), {
        leading: true,
        ballot: '(1, n2)',
        cutOff: false,
      });
      m.recordIncoming({ type: 'accept', from: 2, ballot, commitIndex: 2, entries: [] });
    };
    afterFlush(flushed);
    afterFlush(fresh);
    current = { ...current, commitIndex: 2, appliedIndex: 2 };
    const a = flushed.snapshot(2_000, 0);
    const b = fresh.snapshot(2_000, 0);
    assert.equal(a.lagSlots, 0, 'the commit index announced before the flush no longer counts');
    assert.equal(a.lagSlots, b.lagSlots);
    assert.equal(a.batchCommandsMean, 1.5, 'slots 1 and 2 of the new generation are new proposals');
    assert.equal(a.batchCommandsMax, 2);
    assert.deepEqual([a.batchCommandsMean, a.batchCommandsMax], [b.batchCommandsMean, b.batchCommandsMax]);
    assert.equal(a.viewChangesTotal, 1, "the fresh core's initial ballot is not a view change");
    assert.equal(a.viewChangesTotal - before.viewChangesTotal, b.viewChangesTotal);

    // Real view changes after the flush still count.
    flushed.recordReady(ready([], []), { leading: false, ballot: '(2, n3)', cutOff: false });
    assert.equal(flushed.snapshot(3_000, 0).viewChangesTotal, 2);
  });

  test('abort reasons are bounded: beyond the limit they are folded into "other"', () => {
    const m = new NodeMetrics({ node: 1, cluster: 1 }, () => sample, 0, { processMetrics: false });
    for (let i = 0; i < 40; i++)
      m.recordReply(
        { kind: 'outcome', outcome: { status: 'aborted', reason: `reason-${i}` }, servedBy: 1, slot: 1 },
        1,
      );
    const s = m.snapshot(1_000, 0);
    assert.equal(s.abortsTotal.length, 33);
    assert.deepEqual(s.abortsTotal.at(-1), { reason: 'other', count: 8 });
  });
});
