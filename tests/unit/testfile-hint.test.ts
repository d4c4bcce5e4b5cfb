import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LedgerError } from '../../src/core/errors.js';
import { parseTestFile } from '../../src/testfile/parse.js';

test('a malformed test file points to what the user has (`ledger run --help`, the README), not DESIGN', () => {
  let caught: unknown;
  try {
    parseTestFile('Set Number,Transactions,Live Nodes\n1,"(1, 2, x)","[n1, n2, n3]"\n', 'bad.csv');
  } catch (error) {
    caught = error;
  }
  assert.ok(caught instanceof LedgerError, `expected a LedgerError, got ${String(caught)}`);
  assert.equal(caught.code, 'bad-input');
  assert.doesNotMatch(caught.hint ?? '', /DESIGN/);
  assert.match(caught.hint ?? '', /ledger run --help/);
  assert.match(caught.hint ?? '', /README \("Test files"\)/);
});
