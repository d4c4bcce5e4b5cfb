import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { cli } from './harness.js';

/**
 * Usage errors under --json (no cluster needed: the parser refuses before anything connects).
 * oclif's own error document for these was thousands of lines of parser state, with exit 1.
 */
describe('a usage error under --json is one small JSON error document, exit 2', () => {
  const cases: Array<{ args: string[]; says: RegExp }> = [
    { args: ['transfer', '1', '2', '--json'], says: /missing 1 required arg: amount/i },
    { args: ['balance', '1', '--consistency', 'bogus', '--json'], says: /--consistency=bogus.*one of/i },
    { args: ['transfer', '1', '2', '3', '--bogus', '--json'], says: /nonexistent flag: --bogus/i },
    { args: ['transfer', '1', '2', '3', '4', '--json'], says: /unexpected argument: 4/i },
  ];
  for (const { args, says } of cases) {
    test(`ledger ${args.join(' ')}`, async () => {
      const result = await cli(args);
      assert.equal(result.code, 2, result.stdout + result.stderr);
      assert.ok(
        result.stdout.split('\n').length < 12,
        `a small document, got ${result.stdout.split('\n').length} lines`,
      );
      const { error } = result.json as { error: { code: string; message: string; hint: string } };
      assert.deepEqual(Object.keys(error).sort(), ['code', 'hint', 'message']);
      assert.equal(error.code, 'usage');
      assert.match(error.message, says);
      assert.match(error.hint, /--help/);
    });
  }

  test('without --json the same mistake still exits 2 with oclif usage text on stderr', async () => {
    const result = await cli(['transfer', '1', '2']);
    assert.equal(result.code, 2);
    assert.equal(result.stdout, '');
    assert.match(result.stderr, /missing 1 required arg/i);
  });
});
