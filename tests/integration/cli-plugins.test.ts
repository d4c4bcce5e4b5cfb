import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';
import { cli } from './harness.js';

const packageVersion = (
  JSON.parse(readFileSync(fileURLToPath(new URL('../../../package.json', import.meta.url)), 'utf8')) as {
    version: string;
  }
).version;

/** What users of etcdctl, cockroach and nats expect from a CLI (no cluster needed). */
describe('did you mean, version, completion', () => {
  test('a mistyped command: one error, a "did you mean" hint, exit 2', async () => {
    const result = await cli(['trasnfer', '1', '2', '3']);
    assert.equal(result.code, 2);
    assert.equal(result.stdout, '');
    assert.equal(
      result.stderr,
      'error: "trasnfer" is not a ledger command\nhint: did you mean `ledger transfer`? (`ledger --help` lists the commands)\n',
    );
  });

  test('a mistyped subcommand, with --json: one JSON error document, exit 2', async () => {
    const result = await cli(['cluster', 'statsu', '--json']);
    assert.equal(result.code, 2);
    assert.deepEqual(result.json, {
      error: {
        code: 'usage',
        message: '"cluster statsu" is not a ledger command',
        hint: 'did you mean `ledger cluster status`? (`ledger --help` lists the commands)',
      },
    });
  });

  test('ledger version', async () => {
    const result = await cli(['version']);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, new RegExp(`^ledger/${packageVersion.replaceAll('.', '\\.')} .*node-v\\d+`));
  });

  test('ledger autocomplete bash prints the setup for bash completion', async () => {
    const result = await cli(['autocomplete', 'bash'], { NO_COLOR: '1' });
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /ledger autocomplete script bash/);
  });
});
