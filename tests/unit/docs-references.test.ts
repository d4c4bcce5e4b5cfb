import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

/**
 * The project's design lives in docs/, inside the repository: code, help texts and errors
 * point there, never at a document the reader does not have (the starting picture DESIGN.md
 * outside the repository), and every docs/ file they name exists.
 */
const root = fileURLToPath(new URL('../../../', import.meta.url));
const scanned = ['src', 'commands', 'bench', 'tests', 'scripts', 'infra', 'docs'];
/** The help linter looks for DESIGN citations, so it and its tests spell them. */
const allowedToCite = new Set([
  'src/cli/help-lint.ts',
  'tests/unit/help-lint.test.ts',
  'tests/unit/testfile-hint.test.ts',
  'tests/unit/docs-references.test.ts',
]);

function files(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory()
      ? e.name === 'results'
        ? []
        : files(join(dir, e.name))
      : /\.(ts|mjs|sh|md|csv|template)$/.test(e.name)
        ? [join(dir, e.name)]
        : [],
  );
}

const all = [...scanned.flatMap((d) => files(join(root, d))), join(root, 'README.md')].map((f) => relative(root, f));

test('nothing cites a design document outside the repository', () => {
  assert.ok(all.length > 100, `scanned the sources (${all.length})`);
  const offenders = all.filter(
    (f) => !allowedToCite.has(f) && /DESIGN\s*§|DESIGN\.md/.test(readFileSync(join(root, f), 'utf8')),
  );
  assert.deepEqual(offenders, []);
});

test('nothing points the reader at a file outside the repository (../shared)', () => {
  // The peer files' locator is the one place that must know where the workspace keeps them.
  const locator = 'tests/helpers/peer-files.ts';
  const offenders = all.filter((f) => f !== locator && /\.\.\/shared\//.test(readFileSync(join(root, f), 'utf8')));
  assert.deepEqual(offenders, []);
  assert.ok(all.includes('commands/run.ts') && all.includes(locator), 'the help texts and the locator are scanned');
});

test('every docs/ file the code and the README name exists', () => {
  const named = new Set<string>();
  for (const f of all)
    for (const m of readFileSync(join(root, f), 'utf8').matchAll(/docs\/([a-z0-9-]+\.md)/g)) named.add(m[1] as string);
  assert.ok(named.size >= 4, `found references to docs/ (${[...named].join(', ')})`);
  const missing = [...named].filter((name) => !existsSync(join(root, 'docs', name)));
  assert.deepEqual(missing, []);
});
