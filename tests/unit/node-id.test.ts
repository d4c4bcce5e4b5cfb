import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Parser } from '@oclif/core';
import Db from '../../commands/db.js';
import View from '../../commands/view.js';
import NodeStart from '../../commands/node/start.js';
import NodeKill from '../../commands/node/kill.js';
import { parseNodeId } from '../../src/core/node-id-text.js';
import { LedgerError } from '../../src/core/errors.js';
import { parseNode, parseNodeList } from '../../src/cli/parse.js';
import { parseTestFileNode } from '../../src/testfile/parse.js';

/** One node-id parser: `4` and `n4` are the same node wherever the CLI takes a node. */

test('parseNodeId reads 4, n4, N4 and s4 as node 4, and nothing else', () => {
  for (const text of ['4', 'n4', 'N4', ' n4 ', 's4']) assert.equal(parseNodeId(text), 4, text);
  for (const text of ['', 'n', 'x4', 'n-4', 'n0', '0', '4.5', 'n4x', '99999999999999999999'])
    assert.equal(parseNodeId(text), undefined, text);
});

test('a test file reads node ids with the same parser, the letter required (n4, S4, n 4; not 4)', () => {
  for (const text of ['n4', 'N4', 's4', 'S4', 'n 4', 'S  4', 'n04']) assert.equal(parseTestFileNode(text), 4, text);
  for (const text of ['4', '', 'n', 'x4', 'nn4', 'n-4', 'n4x', 'n 4 5'])
    assert.equal(parseTestFileNode(text), undefined, text);
  // Whatever the CLI's parser accepts or refuses with a letter, the test files do too: one parser.
  for (const text of [
    'n0',
    'n99999999999999999999',
    'n9007199254740991',
    'n9007199254740992',
    's12',
    'n4.5',
    'n+4',
    'n1e3',
  ]) {
    assert.equal(parseTestFileNode(text), parseNodeId(text), text);
  }
});

test('the CLI refuses a bad node id as bad input, naming it', () => {
  assert.equal(parseNode('n7'), 7);
  assert.throws(
    () => parseNode('seven'),
    (e: unknown) => e instanceof LedgerError && e.code === 'bad-input' && /"seven"/.test(e.message),
  );
  assert.deepEqual(parseNodeList('n1, 2, s3', [1, 2, 3]), [1, 2, 3]);
});

test('`ledger db --node n4`, `ledger view --node n4` and `ledger node start --id n4` take n4 as node 4', async () => {
  for (const command of [Db, View]) {
    for (const text of ['n4', '4']) {
      const { flags } = await Parser.parse(['--node', text], { flags: command.flags, strict: false });
      assert.equal(flags.node, 4, `${command.name} --node ${text}`);
    }
  }
  const { flags } = await Parser.parse(['--id', 'n4'], { flags: NodeStart.flags });
  assert.equal(flags.id, 4);
  await assert.rejects(Parser.parse(['--node', 'four'], { flags: Db.flags }), /"four" is not valid/);
});

test('`ledger node kill n4` and `ledger node kill 4` name the same node', async () => {
  for (const text of ['n4', '4']) {
    const { args } = await Parser.parse([text], { args: NodeKill.args });
    assert.equal(parseNode(args.node as string), 4);
  }
});
