import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { onStopSignal, signalExitCodes } from '../../src/process/exit.js';

/**
 * One way to end a process: src/process/exit.ts, which commands reach through LedgerCommand
 * (setExitCode, onStopSignal, exitForSignal, exitNow). Library code returns or throws; nothing
 * else exits, sets the exit code or listens for a stop signal on its own.
 */
const root = fileURLToPath(new URL('../../../', import.meta.url));
const owner = 'src/process/exit.ts';

function files(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? files(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

test('only src/process/exit.ts ends the process, sets its exit code or takes SIGINT/SIGTERM', () => {
  const sources = ['src', 'commands', 'bench'].flatMap((d) => files(join(root, d))).map((f) => relative(root, f));
  assert.ok(sources.length > 100, `scanned the sources (${sources.length})`);
  const offenders = sources.filter(
    (f) =>
      f !== owner &&
      /process\.exit\s*\(|process\.exitCode\s*=|process\.(once|on)\(\s*'SIG(INT|TERM)'/.test(
        readFileSync(join(root, f), 'utf8'),
      ),
  );
  assert.deepEqual(offenders, []);
});

test('onStopSignal calls its handler once, on the first of SIGINT or SIGTERM, then listens no more', () => {
  const before = { SIGINT: process.listenerCount('SIGINT'), SIGTERM: process.listenerCount('SIGTERM') };
  const seen: string[] = [];
  onStopSignal((signal) => seen.push(signal));
  assert.equal(process.listenerCount('SIGTERM'), before.SIGTERM + 1);
  process.emit('SIGTERM');
  assert.deepEqual(seen, ['SIGTERM']);
  assert.deepEqual(
    { SIGINT: process.listenerCount('SIGINT'), SIGTERM: process.listenerCount('SIGTERM') },
    before,
    'both listeners gone',
  );
  const remove = onStopSignal((signal) => seen.push(signal));
  remove();
  assert.deepEqual(
    { SIGINT: process.listenerCount('SIGINT'), SIGTERM: process.listenerCount('SIGTERM') },
    before,
    'removed unfired',
  );
  assert.deepEqual(signalExitCodes, { SIGINT: 130, SIGTERM: 143 });
});
