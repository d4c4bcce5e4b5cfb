import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

/** The protocol cores must stay pure (docs/architecture.md, "Pure cores") so the simulator can drive them. */
const srcDir = fileURLToPath(new URL('../../../src/', import.meta.url));
const pureDirs = ['core', 'ledger', 'paxos', 'protocol', 'twopc'];
const forbidden: Array<[RegExp, string]> = [
  [/from\s+['"]node:/, 'a node:* import'],
  [/from\s+['"](?!\.)/, 'a package import'],
  [/\bDate\b/, 'the wall clock (Date)'],
  [/\bperformance\.now\b/, 'a clock (performance.now)'],
  [/Math\.random/, 'Math.random'],
  [/\bset(Timeout|Interval|Immediate)\b/, 'a timer'],
  [/\bprocess\./, 'process'],
  [/from\s+['"]\.\.\/(storage|transport|node|codec|client|cli|cluster|observability|demo)\//, 'an import of an I/O layer'],
];

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []));
}

test('core, ledger, paxos, protocol and twopc import nothing with I/O, no clock, no Math.random, no timers', () => {
  const files = pureDirs.flatMap((d) => sources(join(srcDir, d)));
  assert.ok(files.length >= 10, `found the pure sources (${files.length})`);
  const violations: string[] = [];
  for (const file of files) {
    const code = readFileSync(file, 'utf8').replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, '');
    for (const [pattern, what] of forbidden) if (pattern.test(code)) violations.push(`${file}: ${what}`);
  }
  assert.deepEqual(violations, []);
});

test('the purity scan does catch a forbidden import', () => {
  const code = "import { readFileSync } from 'node:fs';\nconst t = Date.now();";
  assert.ok(forbidden.some(([p]) => p.test(code)));
});
