import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { NodeStatusRow } from '../../src/client/ledger-client.js';
import type { NodeStatus } from '../../src/protocol/admin.js';
import { renderStatus } from '../../src/cli/status-render.js';

/** Nine nodes, the map at epoch 12, node 8 down with a long reason (it fills the role cell). */
function rows(): NodeStatusRow[] {
  const out: NodeStatusRow[] = [];
  for (let node = 1; node <= 9; node++) {
    const cluster = Math.ceil(node / 3);
    if (node === 8) {
      out.push({ node, cluster, role: 'down', reason: 'no answer within 1000 ms (killed or not started)' });
      continue;
    }
    out.push({
      node,
      cluster,
      role: node % 3 === 1 ? 'leader' : 'follower',
      leader: (cluster - 1) * 3 + 1,
      ballot: '123.1',
      commitIndex: 123_456,
      appliedIndex: 123_450,
      pid: 4_194_304,
      mapEpoch: 12,
      accounts: 3000 + node,
    } as NodeStatus);
  }
  return out;
}

const longest = (text: string) => Math.max(...text.split('\n').map((l) => [...l].length));
const headOf = (text: string) => text.split('\n')[0] ?? '';
const downReason = 'down: no answer within 1000 ms (killed or not started)';

describe('ledger cluster status: the map epoch and accounts columns', () => {
  test('wide: both columns shown, with each node’s epoch and accounts', () => {
    const text = renderStatus(rows(), { width: Infinity, plain: false });
    assert.match(
      headOf(text),
      /^node\s+cluster\s+role\s+leader\s+ballot\s+commit\s+applied\s+map epoch\s+accounts\s+pid$/,
    );
    assert.match(text, /^n1\s+1\s+leader\s+n1\s+123\.1\s+123456\s+123450\s+12\s+3001\s+4194304$/m);
    assert.match(text, /^n9\s+3\s+follower\s+n7\s+123\.1\s+123456\s+123450\s+12\s+3009\s+4194304$/m);
    const piped = renderStatus(rows(), { width: Infinity, plain: true });
    assert.match(headOf(piped), /map epoch\s+accounts/);
  });

  test('a little too narrow for them: they are dropped, and nothing else is cut (the role cell keeps a down node’s whole reason)', () => {
    const wide = renderStatus(rows(), { width: Infinity, plain: false });
    // The width of the table without the two columns (each with its two-space gap).
    const width = longest(wide) - ('  map epoch'.length + '  accounts'.length);
    const text = renderStatus(rows(), { width, plain: false });
    assert.ok(longest(text) <= width, `${longest(text)} > ${width}:\n${text}`);
    assert.match(headOf(text), /^node\s+cluster\s+role\s+leader\s+ballot\s+commit\s+applied\s+pid$/);
    assert.ok(text.includes(downReason), text);
    assert.match(text, /^n1\s+1\s+leader\s+n1\s+123\.1\s+123456\s+123450\s+4194304$/m);
    // One column more of room: still no extra (an extra never costs a cut cell), the same text.
    assert.equal(renderStatus(rows(), { width: width + 1, plain: false }), text);
  });

  test('80 columns: the extras go first; the role column is cut no more than without them, the pid stays', () => {
    const text = renderStatus(rows(), { width: 80, plain: false });
    assert.ok(longest(text) <= 80, `${longest(text)} columns:\n${text}`);
    assert.doesNotMatch(headOf(text), /map epoch|accounts/);
    assert.match(headOf(text), /\bpid$/);
    // Without the extras: node 4, cluster 7, leader 6, ballot 6, commit 6, applied 7 and pid 7
    // columns, 7 gaps of 2: the role column gets the 23 left of 80, as before the extras existed.
    const n8 = text.split('\n').find((l) => l.startsWith('n8')) ?? '';
    assert.equal(n8, `n8          3  ${downReason.slice(0, 22)}…`);
  });
});
