import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { FaultRecord, HistoryEvent } from '../chaos/history.js';
import { checkRecovery } from '../chaos/checkers/recovery.js';
import { operationsOf } from '../chaos/checkers/operations.js';
import { attempt, committed, insufficient, replica, transfer } from './chaos-fixtures.js';

/** Transfers committed at each of `times` (each invoked 5 ms before). */
function commitsAt(times: number[]): HistoryEvent[] {
  return times.flatMap((t, i) => attempt(i, 1, transfer(1, 2, 1), t - 5, t, 'ok', committed));
}

function recovery(events: HistoryEvent[], faults: FaultRecord[], lastHealMs: number, loadEndMs: number) {
  return checkRecovery({ events, faults, lastHealMs, loadEndMs }, operationsOf(events).operations);
}

test('the time to the first commit after the last heal, and the longest commit gap over each fault, per kind', () => {
  const events = [
    ...commitsAt([100, 200, 1200, 1300, 5000, 5100]),
    ...attempt(9, 1, transfer(1, 2, 9e9), 5200, 5300, 'fail', insufficient),
  ];
  const faults: FaultRecord[] = [
    { kind: 'kill', nodes: [1], startMs: 250, healedMs: 900 },
    { kind: 'stop', nodes: [2], startMs: 1350, healedMs: 4000 },
    { kind: 'kill', nodes: [3], startMs: 1250, healedMs: 1260 },
  ];
  const figures = recovery(events, faults, 4000, 6000);
  assert.deepEqual(figures.violations, []);
  assert.equal(figures.recoveryMs, 1000);
  // By start: kill at 250, kill at 1250, stop at 1350.
  assert.deepEqual(
    figures.faults.map((f) => f.longestGapMs),
    [1000, 100, 3700],
  );
  assert.deepEqual(figures.longestGapByKind, { kill: 1000, stop: 3700 });
});

test("a gap that began before the previous fault was healed is that fault's, not the next one's", () => {
  // A kill-all at 250 healed at 900, its outage lasting to 5000; a stop starts at 1000 inside it.
  const events = commitsAt([100, 200, 5000, 5100, 5200]);
  const faults: FaultRecord[] = [
    { kind: 'kill-all', nodes: [1, 2, 3], startMs: 250, healedMs: 900 },
    { kind: 'stop', nodes: [2], startMs: 1000, healedMs: 1500 },
  ];
  const figures = recovery(events, faults, 1500, 6000);
  assert.deepEqual(figures.longestGapByKind, { 'kill-all': 4800, stop: 0 });
});

test('a gap running to the end of the load counts; no commit after the last heal, or a late one, is a violation', () => {
  const none = recovery(commitsAt([100, 200]), [{ kind: 'nats', nodes: [], startMs: 300, healedMs: 400 }], 400, 3000);
  assert.equal(none.recoveryMs, null);
  assert.deepEqual(none.longestGapByKind, { nats: 2800 });
  assert.match(none.violations[0] as string, /no transfer committed after the last heal at 400 \(load ended at 3000\)/);
  const late = recovery(commitsAt([100, 10_501]), [], 500, 11_000);
  assert.equal(late.recoveryMs, 10_001);
  assert.match(late.violations[0] as string, /came 10001 ms after it, more than 10000 ms/);
  assert.deepEqual(recovery(commitsAt([100, 10_500]), [], 500, 11_000).violations, []);
});

test('per cluster: a leader outage in one cluster is not hidden by the others, and every cluster must commit again', () => {
  // Cluster 1 holds accounts 1..2 (node 1), cluster 2 accounts 3..4 (node 2).
  const final = [replica(1, [1, 2], {}, 100, 1), replica(2, [3, 4], {}, 100, 2)];
  const inCluster = (account: number, times: number[], process: number) =>
    times.flatMap((t, i) => attempt(process, i + 1, transfer(account, account + 1, 1), t - 5, t, 'ok', committed));
  const events = [...inCluster(1, [100, 3000], 1), ...inCluster(3, [100, 500, 1000, 1500, 2000, 2500], 2)];
  const faults: FaultRecord[] = [{ kind: 'kill-leader', nodes: [1], startMs: 200, healedMs: 1200 }];
  const figures = checkRecovery(
    { events, faults, lastHealMs: 1200, loadEndMs: 3100, final },
    operationsOf(events).operations,
  );
  assert.deepEqual(figures.longestGapByKind, { 'kill-leader': 2900 }, "cluster 1's gap, not cluster 2's 500 ms");
  assert.equal(figures.recoveryMs, 1800, 'until cluster 1 committed again');
  assert.deepEqual(figures.violations, []);

  const stuck = [...inCluster(1, [100], 1), ...inCluster(3, [100, 1300], 2)];
  const never = checkRecovery(
    { events: stuck, faults, lastHealMs: 1200, loadEndMs: 3100, final },
    operationsOf(stuck).operations,
  );
  assert.equal(never.recoveryMs, null);
  assert.deepEqual(never.violations, [
    'cluster 1: no transfer committed after the last heal at 1200 (load ended at 3100)',
  ]);
});
