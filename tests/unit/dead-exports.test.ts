import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

/**
 * Exports nothing used, removed in issue 11: they stay removed (a caller that needs one again
 * should write what it needs where it needs it, and delete this line).
 */
const root = fileURLToPath(new URL('../../../', import.meta.url));
const removed: Array<[file: string, name: string]> = [
  ['src/protocol/ids.ts', 'isPositiveSafeInteger'],
  ['src/core/assert.ts', 'unreachable'],
  ['src/testfile/types.ts', 'TestCommandOp'],
];

test('the dead exports removed in issue 11 are not exported again', () => {
  for (const [file, name] of removed) {
    const source = readFileSync(`${root}${file}`, 'utf8');
    assert.doesNotMatch(source, new RegExp(`export\\s+(function|type|const|interface|class)\\s+${name}\\b`), `${file} exports ${name}`);
  }
});
