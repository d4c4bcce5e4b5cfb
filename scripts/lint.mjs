#!/usr/bin/env node
// `npm run lint` (and the first stage of `npm test`): checks the import rules of
// .dependency-cruiser.cjs with dependency-cruiser over the TypeScript sources.
//
//   node scripts/lint.mjs                 src commands bench tests, from the current directory
//   node scripts/lint.mjs PATH...         only these (relative to the current directory)
//
// The current directory is the root of the tree checked: the rules' paths (`^src/paxos/`) and
// tsconfig.json are read relative to it, so tests/unit/import-rules.test.ts can run the same
// check on a small tree of its own. The rules always come from this repository's config.
//
// Every violation fails: there is no list of known violations to excuse some (a stray
// .dependency-cruiser-known-violations.json is not read), so a new rule lands with the code
// that obeys it.
//
// Exit code: 0 clean, 1 on a violation (or if the check could not run).
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cruise, format } from 'dependency-cruiser';
import extractDepcruiseOptions from 'dependency-cruiser/config-utl/extract-depcruise-options';
import extractTSConfig from 'dependency-cruiser/config-utl/extract-ts-config';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const configFile = join(repoRoot, '.dependency-cruiser.cjs');
const defaultPaths = ['src', 'commands', 'bench', 'tests'];

async function main(argv) {
  const paths = argv.length > 0 ? argv : defaultPaths.filter((p) => existsSync(p));
  if (paths.length === 0)
    throw new Error(`nothing to check here: none of ${defaultPaths.join(', ')} exists in ${process.cwd()}`);
  const options = await extractDepcruiseOptions(configFile);
  const tsConfig = extractTSConfig(options.ruleSet.options?.tsConfig?.fileName ?? 'tsconfig.json');
  const cruised = await cruise(paths, { ...options, outputType: 'json' }, {}, { tsConfig });
  const result = typeof cruised.output === 'string' ? JSON.parse(cruised.output) : cruised.output;
  const report = await format(result, { outputType: 'err-long' });
  process.stdout.write(report.output);
  return report.exitCode === 0 ? 0 : 1;
}

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (error) {
  process.stderr.write(`lint: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
}
