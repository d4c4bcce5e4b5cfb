import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

/**
 * The protocol cores must stay pure (docs/architecture.md, "Pure cores") so the simulator can
 * drive them. What they may import is a rule of .dependency-cruiser.cjs (`npm run lint`: no
 * package, no node: module, no outer layer); what no import rule can see is the use of a
 * global, so this test scans the sources for the clock, Math.random, timers and process.
 */
const srcDir = fileURLToPath(new URL('../../../src/', import.meta.url));
const pureDirs = ['core', 'protocol', 'ledger', 'paxos', 'twopc'].filter((d) => existsSync(join(srcDir, d)));
const forbidden: Array<[RegExp, string]> = [
  [/\bDate\b/, 'the wall clock (Date)'],
  [/\bperformance\.now\b/, 'a clock (performance.now)'],
  [/Math\.random/, 'Math.random'],
  [/\bset(Timeout|Interval|Immediate)\b/, 'a timer'],
  [/\bprocess\./, 'process'],
];

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

test('the cores use no clock, no Math.random, no timers and no process', () => {
  const files = pureDirs.flatMap((d) => sources(join(srcDir, d)));
  assert.ok(files.length >= 10, `found the pure sources (${files.length})`);
  const violations: string[] = [];
  for (const file of files) {
    const code = readFileSync(file, 'utf8').replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, '');
    for (const [pattern, what] of forbidden) if (pattern.test(code)) violations.push(`${file}: ${what}`);
  }
  assert.deepEqual(violations, []);
});

test('the purity scan does catch each forbidden global', () => {
  for (const code of [
    'const t = Date.now();',
    'const t = performance.now();',
    'const r = Math.random();',
    'setTimeout(f, 1);',
    'const e = process.env.X;',
  ]) {
    assert.ok(
      forbidden.some(([p]) => p.test(code)),
      code,
    );
  }
});
