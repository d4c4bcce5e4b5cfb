import assert from 'node:assert/strict';
import { test } from 'node:test';
import { helpProblems } from '../../src/cli/help-lint.js';

test('the example from issue 15 (pre-wrapped at 100, wrapped again at 80) is caught', () => {
  const screen = [
    'DESCRIPTION',
    "  linearizable  (default) goes through the cluster's log like a write: reflects",
    '  every transfer',
    '  acknowledged before it was asked; waits while a cross-shard transfer holds it',
  ].join('\n');
  const problems = helpProblems(screen, 80);
  assert.equal(problems.length, 1);
  assert.match(problems[0]!.problem, /mid-sentence.*"acknowledged"/);
  assert.equal(problems[0]!.line, 3);
});

test('text wrapped at the edge, sentence ends and list items are not problems', () => {
  const screen = [
    'FLAGS',
    '  --data-dir=<value>  [env: LEDGER_DATA_DIR] where the cluster keeps its data,',
    '                      config and logs [default: ./.ledger]',
    '  A paragraph that oclif wrapped for us so that it fills the line up to the edge',
    '  and continues on the next one.',
    '  linearizable  reads through the log.',
    '  leader        reads at the leader.',
    'COMMANDS',
    '  top           Live per-node role, leader, throughput, latency and lag',
    '  transfer      Move AMOUNT units from account FROM to account TO',
    '  version',
    '  node heal     Undo `ledger node isolate`: reconnect the node to its peers',
    '  node isolate  Cut a node off from its peers (a network partition)',
    '  view          PrintView: every NEW-VIEW a node took part in as leader',
  ].join('\n');
  assert.deepEqual(helpProblems(screen, 80), []);
});

test('long lines, DESIGN citations and "see above" are problems', () => {
  const problems = helpProblems(
    `${'x'.repeat(81)}\nsee DESIGN §11\n  --cluster  auto, existing or own (see above)`,
    80,
  );
  assert.deepEqual(
    problems.map((p) => p.line),
    [1, 2, 3],
  );
});
