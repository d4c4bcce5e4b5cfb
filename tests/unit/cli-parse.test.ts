import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LedgerError } from '../../src/core/errors.js';
import { parsePositiveInteger, unitCount } from '../../src/cli/parse.js';

function refusal(text: string): LedgerError {
  try {
    parsePositiveInteger(text, 'amount');
  } catch (error) {
    assert.ok(error instanceof LedgerError);
    assert.equal(error.code, 'bad-input');
    return error;
  }
  assert.fail(`"${text}" was accepted`);
}

test('1e30 (and other huge amounts) is too large, not "not a whole number"', () => {
  for (const text of ['1e30', '1E30', '99999999999999999999']) {
    const error = refusal(text);
    assert.match(error.message, /is too large/, text);
    assert.doesNotMatch(error.message, /whole number/, text);
    assert.match(error.hint ?? '', /at most 9007199254740991/);
  }
});

test('fractions, negatives and words keep their own reasons', () => {
  assert.match(refusal('1.5').message, /whole number/);
  assert.match(refusal('-3').message, /positive/);
  assert.match(refusal('ten').message, /must be a number/);
  assert.match(refusal('1e3').message, /write it in digits/);
  assert.equal(parsePositiveInteger('42', 'amount'), 42);
});

test('1 unit, 2 units', () => {
  assert.equal(unitCount(1), '1 unit');
  assert.equal(unitCount(2), '2 units');
  assert.equal(unitCount(10), '10 units');
});
