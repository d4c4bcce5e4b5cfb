import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';
import { Config } from '@oclif/core';
import { helpProblems } from '../../src/cli/help-lint.js';
import { cli, type CliResult } from './harness.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const columns = 80;

/** Every command (ours and the plugins') and every topic, as a user types it. */
async function helpTargets(): Promise<string[][]> {
  const config = await Config.load(root);
  const ids = new Set<string>([...config.commandIDs, ...config.topics.map((t) => t.name)]);
  return [[], ...[...ids].sort().map((id) => id.split(':'))];
}

describe(`--help for every command and topic fits ${columns} columns`, async () => {
  const targets = await helpTargets();
  test('finds the commands', () => {
    assert.ok(targets.length > 25, `only ${targets.length} help screens`);
  });
  // Rendered 4 at a time (each is a node process starting oclif): a few seconds, not 20.
  const screens = new Map<string, Promise<CliResult>>();
  const render = (words: string[]) => cli([...words, '--help'], { COLUMNS: String(columns), NO_COLOR: '1' });
  const lanes: Array<Promise<unknown>> = [Promise.resolve(), Promise.resolve(), Promise.resolve(), Promise.resolve()];
  targets.forEach((words, i) => {
    const screen = lanes[i % lanes.length]!.then(() => render(words));
    lanes[i % lanes.length] = screen;
    screens.set(words.join(' '), screen);
  });
  for (const words of targets) {
    test(`ledger ${[...words, '--help'].join(' ')}`, async () => {
      const result = await screens.get(words.join(' '))!;
      assert.equal(result.code, 0, result.stderr);
      assert.ok(result.stdout.trim().length > 0);
      const problems = helpProblems(result.stdout, columns);
      assert.deepEqual(problems, [], `\n${result.stdout}`);
    });
  }
});
