import assert from 'node:assert/strict';
import { test } from 'node:test';
import { describeDisturbance, disturbSettings } from '../../src/cli/disturb-settings.js';
import { renderStatus } from '../../src/cli/status-render.js';
import { LedgerError } from '../../src/core/errors.js';
import type { NodeStatus } from '../../src/protocol/admin.js';

/** `ledger node disturb`'s flags, and how a disturbed node shows in `ledger cluster status`. */

test('the flags become settings: what is not given is 0, --off is 0 and 0, alone', () => {
  assert.deepEqual(disturbSettings({ duplicate: 50, 'delay-ms': 40 }), { duplicatePercent: 50, delayMsMax: 40 });
  assert.deepEqual(disturbSettings({ duplicate: 5 }), { duplicatePercent: 5, delayMsMax: 0 });
  assert.deepEqual(disturbSettings({ 'delay-ms': 100 }), { duplicatePercent: 0, delayMsMax: 100 });
  assert.deepEqual(disturbSettings({ off: true }), { duplicatePercent: 0, delayMsMax: 0 });
  assert.throws(
    () => disturbSettings({}),
    (e: unknown) => e instanceof LedgerError && e.code === 'bad-input',
  );
  assert.throws(
    () => disturbSettings({ off: true, duplicate: 3 }),
    (e: unknown) => e instanceof LedgerError && /alone/.test(e.message),
  );
});

const counts = { delayed: 120, duplicated: 61, overflowed: 0, held: 3 };

test('a disturbance is described by what it does and what it did; calm, by what it did', () => {
  assert.equal(
    describeDisturbance({ node: 4, disturbed: { duplicatePercent: 50, delayMsMax: 40 }, transportFaults: counts }),
    'n4 disturbed: duplicates 50 %, delays up to 40 ms; so far 61 duplicated, 120 delayed',
  );
  assert.equal(
    describeDisturbance({ node: 4, disturbed: { duplicatePercent: 0, delayMsMax: 40 }, transportFaults: counts }),
    'n4 disturbed: delays up to 40 ms; so far 61 duplicated, 120 delayed',
  );
  assert.equal(
    describeDisturbance({ node: 2, disturbed: null, transportFaults: { ...counts, overflowed: 7 } }),
    'n2 calm: delivers at once, once; so far 61 duplicated, 120 delayed, 7 not held (at the bound)',
  );
});

test('cluster status marks a disturbed node in its role and says what its failpoint does under the table', () => {
  const row = (node: number, extra: Partial<NodeStatus>) =>
    ({
      node,
      cluster: 1,
      role: node === 1 ? 'leader' : 'follower',
      leader: 1,
      ballot: '1.1',
      commitIndex: 5,
      appliedIndex: 5,
      failed: false,
      isolated: false,
      disturbed: null,
      transportFaults: { delayed: 0, duplicated: 0, overflowed: 0, held: 0 },
      pid: 100 + node,
      ...extra,
    }) as NodeStatus;
  const calm = renderStatus([row(1, {}), row(2, {}), row(3, {})], { width: 80, plain: false });
  assert.doesNotMatch(calm, /disturbed/);
  const text = renderStatus(
    [
      row(1, { disturbed: { duplicatePercent: 50, delayMsMax: 40 }, transportFaults: counts }),
      row(2, { isolated: true, disturbed: { duplicatePercent: 0, delayMsMax: 10 } }),
      row(3, {}),
    ],
    { width: 80, plain: false },
  );
  assert.match(text, /^n1\s+1\s+leader \(disturbed\)\s/m);
  assert.match(text, /^n2\s+1\s+follower \(isolated, distur…/m, 'cut to the column on a terminal');
  assert.match(text, /^n3\s+1\s+follower\s/m);
  const lines = text.split('\n');
  assert.deepEqual(lines.slice(-2), [
    'n1 disturbed: duplicates 50 %, delays up to 40 ms; so far 61 duplicated, 120 delayed',
    'n2 disturbed: delays up to 10 ms; so far 0 duplicated, 0 delayed',
  ]);
  const piped = renderStatus([row(2, { isolated: true, disturbed: { duplicatePercent: 0, delayMsMax: 10 } })], {
    width: Infinity,
    plain: true,
  });
  assert.match(piped, /^n2\s+1\s+follower \(isolated, disturbed\)\s/m);
});
