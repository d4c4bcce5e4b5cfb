import assert from 'node:assert/strict';
import { test } from 'node:test';
import { closestCommand, editDistance, unknownCommandWords } from '../../src/cli/closest-command.js';

const commands = [
  'balance',
  'transfer',
  'version',
  'cluster',
  'cluster status',
  'cluster start',
  'node',
  'node fail',
  'node recover',
];

test('edit distance', () => {
  assert.equal(editDistance('statsu', 'status'), 2);
  assert.equal(editDistance('', 'abc'), 3);
  assert.equal(editDistance('transfer', 'transfer'), 0);
});

test('a typo gets the command it most likely meant; a word like no command gets none', () => {
  assert.equal(closestCommand('trasnfer', commands), 'transfer');
  assert.equal(closestCommand('versoin', commands), 'version');
  assert.equal(closestCommand('cluster statsu', commands), 'cluster status');
  assert.equal(closestCommand('statsu', commands), 'cluster status');
  assert.equal(closestCommand('node fial', commands), 'node fail');
  assert.equal(closestCommand('xyzzyplugh', commands), undefined);
});

test('the unknown command is named without its arguments', () => {
  assert.equal(unknownCommandWords(['trasnfer', '1', '2', '3'], commands), 'trasnfer');
  assert.equal(unknownCommandWords(['cluster', 'statsu'], commands), 'cluster statsu');
  assert.equal(unknownCommandWords(['node', 'fial', '3'], commands), 'node fial');
});
