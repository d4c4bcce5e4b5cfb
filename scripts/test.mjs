#!/usr/bin/env node
// `npm test`: checks the import rules (lint: scripts/lint.mjs, dependency-cruiser over the
// sources, a few seconds) and the formatting (format: prettier --check, .prettierrc.json), then runs the compiled test suites with the built-in node:test
// runner, stage by stage (unit, sim, integration, chaos), and ends with one line `N passed, N failed`
// (the lint and format stages count as one check each).
//
//   node scripts/test.mjs                      all stages
//   node scripts/test.mjs --stage unit         one stage (lint | format | unit | sim | integration | chaos)
//
// Files are listed here rather than passing a directory to `node --test`: we want exactly the
// `*.test.js` files (helpers such as dist/tests/sim/cli.js must not run as tests), and a
// pattern that matches nothing makes node:test report zero tests and exit 0. A run that finds
// no test file at all fails instead.
//
// Every stage runs even after an earlier one failed, so CI shows everything; the exit code is
// non-zero if any stage failed.
import { spawn } from 'node:child_process';
import os from 'node:os';
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const testsDir = join(root, 'dist', 'tests');

/** Stage order is run order: the fast lint first. Integration tests start real processes: one
 *  file at a time. A stage with a `script` runs it once (from the repository root) instead of
 *  test files, and passes when it exits with 0. */
const stages = [
  { name: 'lint', script: join(root, 'scripts', 'lint.mjs') },
  // Formatting is checked, not applied: `npm run format` writes it.
  {
    name: 'format',
    script: join(root, 'node_modules', 'prettier', 'bin', 'prettier.cjs'),
    scriptArgs: ['--check', '.'],
  },
  // Unit files are pure and independent: two at a time on the two cores.
  { name: 'unit', args: ['--test', '--test-concurrency=2', '--test-reporter=spec'] },
  // Two files at a time: the simulator's files are single-threaded and the machine has two cores.
  { name: 'sim', args: ['--test', '--test-concurrency=2', '--test-reporter=spec'] },
  {
    name: 'integration',
    args: ['--test', '--test-concurrency=1', '--test-reporter=spec', '--test-timeout=600000'],
  },
  // The short chaos run (tests/chaos/short.test.ts, docs/chaos.md): real processes under every
  // fault kind, judged by the history checkers. `npm run test:chaos` runs the long version.
  { name: 'chaos', args: ['--test', '--test-concurrency=1', '--test-reporter=spec', '--test-timeout=600000'] },
];

function usage(message) {
  if (message) process.stderr.write(`test: ${message}\n`);
  process.stderr.write(`usage: node scripts/test.mjs [--stage ${stages.map((s) => s.name).join('|')}]\n`);
  process.exit(2);
}

function parseArgs(argv) {
  let stage;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--stage') {
      stage = argv[++i];
      if (stage === undefined) usage('--stage needs a value');
    } else if (arg.startsWith('--stage=')) {
      stage = arg.slice('--stage='.length);
    } else if (arg === '-h' || arg === '--help') {
      usage();
    } else {
      usage(`unknown argument ${JSON.stringify(arg)}`);
    }
  }
  if (stage !== undefined && !stages.some((s) => s.name === stage)) {
    usage(`unknown stage ${JSON.stringify(stage)}`);
  }
  return { stage };
}

/** All files ending in `.test.js` under dir, recursively, sorted, relative to the repo root. */
function findTestFiles(dir) {
  if (!existsSync(dir)) return [];
  const found = [];
  const walk = (d) => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      const path = join(d, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.isFile() && entry.name.endsWith('.test.js')) found.push(relative(root, path));
    }
  };
  walk(dir);
  return found.sort();
}

// The spec reporter ends with `ℹ tests N`, `ℹ pass N`, `ℹ fail N`, `ℹ cancelled N`, ... (the
// TAP reporter with `# pass N` etc.). A test's own stdout is echoed before that summary and may
// contain look-alike lines, so the last occurrence of each counter wins. Colour codes are
// stripped in case a reporter emits them.
const counterLine = /^(?:ℹ|#)\s+(pass|fail|cancelled)\s+(\d+)\s*$/;
const ansi = /\x1b\[[0-9;]*[A-Za-z]/g;

function runStage(stage, files) {
  return new Promise((resolvePromise) => {
    const counters = { pass: undefined, fail: undefined, cancelled: undefined };
    const child = spawn(process.execPath, [...stage.args, ...files], {
      cwd: root,
      // No stdin: a test must never wait for a terminal (and the CLI must not see one).
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    current = child;
    const scan = (text) => {
      for (const raw of text.split('\n')) {
        const m = counterLine.exec(raw.replace(ansi, '').replace(/\r$/, ''));
        if (m) counters[m[1]] = Number(m[2]);
      }
    };
    let pending = '';
    child.stdout.on('data', (chunk) => {
      write(process.stdout, chunk);
      pending += chunk.toString('utf8');
      const cut = pending.lastIndexOf('\n');
      if (cut >= 0) {
        scan(pending.slice(0, cut));
        pending = pending.slice(cut + 1);
      }
    });
    child.stderr.on('data', (chunk) => write(process.stderr, chunk));
    child.on('error', (error) => {
      process.stderr.write(`test: could not start node for stage ${stage.name}: ${error.message}\n`);
    });
    child.on('close', (code, signal) => {
      scan(pending);
      current = undefined;
      resolvePromise({ code, signal, counters });
    });
  });
}

let lastByteWasNewline = true;
function write(stream, chunk) {
  if (chunk.length === 0) return;
  stream.write(chunk);
  if (stream === process.stdout) lastByteWasNewline = chunk[chunk.length - 1] === 0x0a;
}
function line(text) {
  write(process.stdout, Buffer.from(`${lastByteWasNewline ? '' : '\n'}${text}\n`));
}

/** @type {import('node:child_process').ChildProcess | undefined} */
let current;
let interrupted;
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(sig, () => {
    interrupted = sig;
    // Ctrl-C already reaches the child through the process group; a signal sent to this pid
    // alone must be passed on so no test process is orphaned.
    current?.kill(sig);
  });
}

const { stage: only } = parseArgs(process.argv.slice(2));
const selected = stages.filter((s) => only === undefined || s.name === only);
const plan = selected.map((stage) => ({ stage, files: stage.script ? [] : findTestFiles(join(testsDir, stage.name)) }));

if (plan.every((p) => !p.stage.script && p.files.length === 0)) {
  const where = selected.map((s) => relative(root, join(testsDir, s.name))).join(', ');
  process.stderr.write(
    `test: no test files (*.test.js) found under ${where}: build first with \`bash infra/setup.sh\` ` +
      `(npm test does this), or check that tests/ holds *.test.ts files\n`,
  );
  process.exit(1);
}

let passed = 0;
let failed = 0;
let anyStageFailed = false;
for (const { stage, files } of plan) {
  if (interrupted) break;
  if (stage.script) {
    line(`test: stage ${stage.name}: ${relative(root, stage.script)}`);
    const startedMs = Date.now();
    const { code, signal } = await runStage({ ...stage, args: [stage.script, ...(stage.scriptArgs ?? [])] }, []);
    const took = `${((Date.now() - startedMs) / 1000).toFixed(1)} s`;
    if (code === 0) {
      passed += 1;
      line(`test: stage ${stage.name}: passed in ${took}`);
    } else {
      anyStageFailed = true;
      failed += 1;
      line(`test: stage ${stage.name}: failed (${signal ?? `exit code ${code}`}) in ${took}`);
    }
    continue;
  }
  if (files.length === 0) {
    line(`test: stage ${stage.name}: no test files, skipped`);
    continue;
  }
  line(`test: stage ${stage.name}: ${files.length} file${files.length === 1 ? '' : 's'}`);
  const { code, signal, counters } = await runStage(stage, files);
  const stageFailed = (counters.fail ?? 0) + (counters.cancelled ?? 0);
  passed += counters.pass ?? 0;
  failed += stageFailed;
  if (code !== 0) {
    anyStageFailed = true;
    if (stageFailed === 0) {
      // The runner died or was killed before reporting a failing test: count the stage itself
      // as one failure so the summary never says `0 failed` for a failed run.
      failed += 1;
      line(`test: stage ${stage.name} exited with ${signal ?? `code ${code}`} without reporting a failed test`);
    }
  } else if (counters.pass === undefined) {
    anyStageFailed = true;
    failed += 1;
    line(`test: stage ${stage.name}: could not read the runner's summary`);
  }
}

if (interrupted) line(`test: interrupted by ${interrupted}`);
line(`${passed} passed, ${failed} failed`);
process.exitCode = interrupted ? 128 + os.constants.signals[interrupted] : anyStageFailed || failed > 0 ? 1 : 0;
