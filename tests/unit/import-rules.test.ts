import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

/**
 * The import rules (.dependency-cruiser.cjs, run by scripts/lint.mjs in `npm test`'s lint stage)
 * hold on the real tree, and each one fails when its rule is broken: a checker that cannot fail
 * proves nothing. The broken cases are small trees written to a temp dir with the layout of the
 * project (src/paxos, src/storage...), checked with the project's own config and script.
 */
const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const lintScript = join(repoRoot, 'scripts', 'lint.mjs');
const depcruiseBin = join(repoRoot, 'node_modules', 'dependency-cruiser', 'bin', 'dependency-cruise.mjs');

interface Violation {
  rule: string;
  from: string;
}
interface LintRun {
  code: number | null;
  output: string;
  violations: Violation[];
}

/** Runs node with `args` in `cwd` (asynchronously, so the cases can overlap). */
function run(args: string[], cwd: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, args, { cwd, encoding: 'utf8', timeout: 300_000 }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : null;
      resolve({ code, output: `${stdout}${stderr}` });
    });
  });
}

/** Runs the lint stage in `cwd`; the err-long reporter writes `  error RULE: FROM → ...`. */
async function lint(cwd: string): Promise<LintRun> {
  const { code, output } = await run([lintScript], cwd);
  const violations = [...output.matchAll(/^\s*error ([a-z-]+): (\S+)/gm)].map((m) => ({
    rule: m[1] as string,
    from: m[2] as string,
  }));
  return { code, output, violations };
}

/**
 * A clean tree that uses every allowance of the rules: a core with a type-only node: import, the
 * ledger over paxos, a port naming a core type, an adapter taking the protocol's types and
 * values and the port it implements, the runtime plugging the adapter in, bench on top of src.
 */
const cleanTree: Record<string, string> = {
  'src/protocol/ids.ts': 'export type NodeId = number;\nexport const nodeIdMax = 100;\n',
  'src/paxos/ballot.ts':
    "import type { Stats } from 'node:fs';\nimport { nodeIdMax, type NodeId } from '../protocol/ids.js';\n" +
    'export interface Ballot { round: number; node: NodeId; seen?: Stats }\nexport const firstBallot: Ballot = { round: 0, node: nodeIdMax };\n',
  'src/protocol/commands.ts': "export const consistencies = ['linearizable', 'any'] as const;\n",
  'src/protocol/writes.ts': 'export interface Writes { round: number }\n',
  'src/ledger/state.ts':
    "import type { Ballot } from '../paxos/ballot.js';\nimport { firstBallot } from '../paxos/ballot.js';\nimport type { Writes } from '../protocol/writes.js';\n" +
    'export interface State { ballot: Ballot }\nexport function initialState(): State { return { ballot: firstBallot }; }\n' +
    'export function writesOf(state: State): Writes { return { round: state.ballot.round }; }\n',
  'src/ports/store.ts':
    "import type { State } from '../ledger/state.js';\nimport type { Writes } from '../protocol/writes.js';\n" +
    'export interface Store { save(writes: Writes): void; loaded?: State }\n',
  'src/storage/sqlite-store.ts':
    "import Database from 'better-sqlite3';\nimport { consistencies } from '../protocol/commands.js';\n" +
    "import type { Writes } from '../protocol/writes.js';\nimport { nodeIdMax } from '../protocol/ids.js';\nimport type { Store } from '../ports/store.js';\n" +
    'export class SqliteStore implements Store {\n  constructor(readonly db: Database.Database) {}\n  save(writes: Writes): void { void writes; void consistencies; void nodeIdMax; }\n}\n',
  'src/node/runtime.ts':
    "import type { Store } from '../ports/store.js';\nimport { initialState, writesOf } from '../ledger/state.js';\n" +
    'export function run(store: Store): void { store.save(writesOf(initialState())); }\n',
  'src/node/main.ts':
    "import { SqliteStore } from '../storage/sqlite-store.js';\nimport { run } from './runtime.js';\nexport const runtime = { SqliteStore, run };\n",
  'bench/run.ts': "import { runtime } from '../src/node/main.js';\nexport const bench = runtime;\n",
};

const tsconfig = JSON.stringify({
  compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', strict: true },
  include: ['src', 'bench', 'tests'],
});

const roots: string[] = [];
after(() => {
  for (const root of roots) rmSync(root, { recursive: true, force: true });
});

/** The clean tree plus `extra` files, in a temp dir with the project's packages next to it. */
function tree(extra: Record<string, string> = {}): string {
  const root = mkdtempSync(join(tmpdir(), 'ledger-import-rules-'));
  roots.push(root);
  for (const [path, text] of Object.entries({ ...cleanTree, ...extra, 'tsconfig.json': tsconfig })) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  // So that `better-sqlite3` or `pino` resolve to the installed packages, as in the project.
  symlinkSync(join(repoRoot, 'node_modules'), join(root, 'node_modules'), 'dir');
  return root;
}

/** Asserts the check failed, with exactly these (rule, from) violations. */
function assertViolations(result: LintRun, expected: Violation[]): void {
  assert.equal(result.code, 1, result.output);
  const key = (v: Violation) => `${v.rule} ${v.from}`;
  assert.deepEqual([...new Set(result.violations.map(key))].sort(), expected.map(key).sort(), result.output);
}

// Each case spawns the check (a second or two of dependency-cruiser): run them side by side.
describe('import rules', { concurrency: 4 }, () => {
  test('the real tree passes the import rules', async () => {
    const result = await lint(repoRoot);
    assert.equal(result.code, 0, result.output);
    assert.match(result.output, /no dependency violations found \((\d{3,}) modules/);
  });

  test('the clean fixture passes: type-only node: imports in a core, protocol types and values and ports in an adapter are allowed', async () => {
    const result = await lint(tree());
    assert.equal(result.code, 0, result.output);
    assert.deepEqual(result.violations, []);
  });

  test('a cycle between two folders fails no-folder-cycle, type-only imports included', async () => {
    // client/a -> observability/b and observability/c -> client/d: no file cycle, a folder cycle.
    // (Between the cores every wrong-way import also breaks a one-way rule: see the paxos case.)
    const result = await lint(
      tree({
        'src/client/a.ts': "import type { B } from '../observability/b.js';\nexport type A = B;\n",
        'src/observability/b.ts': 'export type B = number;\n',
        'src/observability/c.ts': "import type { D } from '../client/d.js';\nexport type C = D;\n",
        'src/client/d.ts': 'export type D = string;\n',
      }),
    );
    assertViolations(result, [
      { rule: 'no-folder-cycle', from: 'src/client' },
      { rule: 'no-folder-cycle', from: 'src/observability' },
    ]);
  });

  test('a cycle between two files of one folder fails no-file-cycle', async () => {
    const result = await lint(
      tree({
        'src/client/a.ts': "import { b } from './b.js';\nexport const a = () => b;\n",
        'src/client/b.ts': "import { a } from './a.js';\nexport const b = () => a;\n",
      }),
    );
    assertViolations(result, [
      { rule: 'no-file-cycle', from: 'src/client/a.ts' },
      { rule: 'no-file-cycle', from: 'src/client/b.ts' },
    ]);
  });

  test('src/core importing any other folder of src fails core-to-nothing', async () => {
    // Nothing in the clean tree imports src/core: no cycle, only the wrong direction.
    const result = await lint(
      tree({ 'src/core/ids-user.ts': "import type { NodeId } from '../protocol/ids.js';\nexport type Id = NodeId;\n" }),
    );
    assertViolations(result, [{ rule: 'core-to-nothing', from: 'src/core/ids-user.ts' }]);
  });

  test('src/protocol importing a core other than src/core fails protocol-only-to-core', async () => {
    const result = await lint(
      tree({
        'src/twopc/lock.ts': 'export interface Lock { account: number }\n',
        'src/protocol/locks.ts': "import type { Lock } from '../twopc/lock.js';\nexport type Locks = Lock[];\n",
      }),
    );
    assertViolations(result, [{ rule: 'protocol-only-to-core', from: 'src/protocol/locks.ts' }]);
  });

  test('src/paxos importing src/twopc or src/ledger fails paxos-not-to-ledger-or-twopc', async () => {
    // paxos -> twopc is no cycle (twopc imports nothing here); paxos -> ledger is one as well.
    const result = await lint(
      tree({
        'src/twopc/lock.ts': 'export interface Lock { account: number }\n',
        'src/paxos/locked.ts': "import type { Lock } from '../twopc/lock.js';\nexport type Locked = Lock;\n",
        'src/paxos/stateful.ts': "import type { State } from '../ledger/state.js';\nexport type Stateful = State;\n",
      }),
    );
    assertViolations(result, [
      { rule: 'paxos-not-to-ledger-or-twopc', from: 'src/paxos/locked.ts' },
      { rule: 'paxos-not-to-ledger-or-twopc', from: 'src/paxos/stateful.ts' },
      { rule: 'no-folder-cycle', from: 'src/paxos' },
      { rule: 'no-folder-cycle', from: 'src/ledger' },
    ]);
  });

  test('src/twopc importing src/ledger or src/paxos fails twopc-not-to-ledger-or-paxos', async () => {
    // Neither imports src/twopc in the clean tree: no cycle, only the wrong direction.
    const result = await lint(
      tree({
        'src/twopc/book.ts': "import type { State } from '../ledger/state.js';\nexport type Book = State;\n",
        'src/twopc/ballots.ts':
          "import { firstBallot } from '../paxos/ballot.js';\nexport const first = firstBallot;\n",
      }),
    );
    assertViolations(result, [
      { rule: 'twopc-not-to-ledger-or-paxos', from: 'src/twopc/book.ts' },
      { rule: 'twopc-not-to-ledger-or-paxos', from: 'src/twopc/ballots.ts' },
    ]);
  });

  test('an I/O library in a core fails core-no-package, whatever the core', async () => {
    const result = await lint(
      tree({
        'src/paxos/log.ts': "import pino from 'pino';\nexport const log = pino();\n",
        'src/ledger/db.ts':
          "import Database from 'better-sqlite3';\nexport const open = (f: string) => new Database(f);\n",
        'src/twopc/wire.ts': "import { encode } from 'cbor-x';\nexport const wire = encode;\n",
        'src/core/bus.ts':
          "import type { NatsConnection } from '@nats-io/transport-node';\nexport type Bus = NatsConnection;\n",
      }),
    );
    assertViolations(result, [
      { rule: 'core-no-package', from: 'src/paxos/log.ts' },
      { rule: 'core-no-package', from: 'src/ledger/db.ts' },
      { rule: 'core-no-package', from: 'src/twopc/wire.ts' },
      { rule: 'core-no-package', from: 'src/core/bus.ts' },
    ]);
  });

  test('a node: module imported for its value in a core fails core-no-node-builtin', async () => {
    const result = await lint(
      tree({
        'src/twopc/clock.ts':
          "import { performance } from 'node:perf_hooks';\nexport const now = () => performance.now();\n",
        'src/protocol/disk.ts': "import { readFileSync } from 'node:fs';\nexport const read = readFileSync;\n",
      }),
    );
    assertViolations(result, [
      { rule: 'core-no-node-builtin', from: 'src/twopc/clock.ts' },
      { rule: 'core-no-node-builtin', from: 'src/protocol/disk.ts' },
    ]);
  });

  test('a core that reaches an outer layer fails core-not-to-outer-layer, even for a type', async () => {
    const result = await lint(
      tree({
        'src/ledger/store-user.ts':
          "import type { SqliteStore } from '../storage/sqlite-store.js';\nexport type S = SqliteStore;\n",
      }),
    );
    const rules = new Set(result.violations.filter((v) => v.from === 'src/ledger/store-user.ts').map((v) => v.rule));
    assert.equal(result.code, 1, result.output);
    assert.ok(rules.has('core-not-to-outer-layer'), result.output);
  });

  test("an adapter that imports a core's internals, code or only a type, fails adapter-not-to-core-internals", async () => {
    const result = await lint(
      tree({
        'src/codec/state-codec.ts':
          "import { initialState } from '../ledger/state.js';\nexport const empty = initialState;\n",
        'src/transport/ballots.ts':
          "import { firstBallot } from '../paxos/ballot.js';\nexport const first = firstBallot;\n",
        'src/storage/state-user.ts': "import type { State } from '../ledger/state.js';\nexport type Saved = State;\n",
      }),
    );
    assertViolations(result, [
      { rule: 'adapter-not-to-core-internals', from: 'src/codec/state-codec.ts' },
      { rule: 'adapter-not-to-core-internals', from: 'src/transport/ballots.ts' },
      { rule: 'adapter-not-to-core-internals', from: 'src/storage/state-user.ts' },
    ]);
  });

  test('an adapter that reaches the runtime fails adapter-not-to-runtime', async () => {
    // The runtime imports storage, so this is a folder cycle too.
    const result = await lint(
      tree({
        'src/storage/runtime-user.ts':
          "import type { runtime } from '../node/main.js';\nexport type R = typeof runtime;\n",
      }),
    );
    assertViolations(result, [
      { rule: 'adapter-not-to-runtime', from: 'src/storage/runtime-user.ts' },
      { rule: 'no-folder-cycle', from: 'src/storage' },
      { rule: 'no-folder-cycle', from: 'src/node' },
    ]);
  });

  test('the runtime or a port that reaches an adapter, a package or a node: value fails the runtime rules', async () => {
    const result = await lint(
      tree({
        'src/node/runtime.ts':
          "import { SqliteStore } from '../storage/sqlite-store.js';\nimport { setTimeout } from 'node:timers';\n" +
          'export const run = { SqliteStore, setTimeout };\n',
        'src/ports/log.ts': "import type { Logger } from 'pino';\nexport interface Log { logger: Logger }\n",
      }),
    );
    assertViolations(result, [
      { rule: 'runtime-pure', from: 'src/node/runtime.ts' },
      { rule: 'runtime-no-node-builtin', from: 'src/node/runtime.ts' },
      { rule: 'runtime-no-package', from: 'src/ports/log.ts' },
    ]);
  });

  test('src importing bench, commands or tests fails src-not-to-bench-commands-tests', async () => {
    const result = await lint(
      tree({
        'src/demo/burst.ts': "import { helper } from '../../tests/helper.js';\nexport const burst = helper;\n",
        'tests/helper.ts': 'export const helper = 1;\n',
        'src/load/quick.ts': "import { quick } from '../../commands/quick.js';\nexport const q = quick;\n",
        'commands/quick.ts': 'export const quick = 1;\n',
      }),
    );
    assertViolations(result, [
      { rule: 'src-not-to-bench-commands-tests', from: 'src/demo/burst.ts' },
      { rule: 'src-not-to-bench-commands-tests', from: 'src/load/quick.ts' },
    ]);
  });

  test('a chaos checker that imports src, a package or other test code fails chaos-checkers-independent', async () => {
    // Allowed: another checker, the history format and a node: module (the first file).
    const result = await lint(
      tree({
        'tests/chaos/history.ts': 'export interface RunRecord { seed: number }\n',
        'tests/chaos/run.ts': 'export const runs = 1;\n',
        'tests/chaos/checkers/audits.ts':
          "import { strict } from 'node:assert';\nimport type { RunRecord } from '../history.js';\n" +
          'export const check = (r: RunRecord) => strict.ok(r.seed >= 0);\n',
        'tests/chaos/checkers/index.ts': "import { check } from './audits.js';\nexport const all = [check];\n",
        'tests/chaos/checkers/model.ts':
          "import type { State } from '../../../src/ledger/state.js';\nexport type Model = State;\n",
        'tests/chaos/checkers/wire.ts': "import { encode } from 'cbor-x';\nexport const wire = encode;\n",
        'tests/chaos/checkers/runs.ts': "import { runs } from '../run.js';\nexport const count = runs;\n",
      }),
    );
    assertViolations(result, [
      { rule: 'chaos-checkers-independent', from: 'tests/chaos/checkers/model.ts' },
      { rule: 'chaos-checkers-independent', from: 'tests/chaos/checkers/wire.ts' },
      { rule: 'chaos-checkers-independent', from: 'tests/chaos/checkers/runs.ts' },
    ]);
  });

  test('an import that does not resolve fails no-unresolvable (no rule could see it otherwise)', async () => {
    const result = await lint(
      tree({ 'src/paxos/typo.ts': "import { x } from '../core/idz.js';\nexport const y = x;\n" }),
    );
    assertViolations(result, [{ rule: 'no-unresolvable', from: 'src/paxos/typo.ts' }]);
  });

  test('a known-violations baseline file left in the tree excuses nothing', async () => {
    const root = tree({
      'src/client/a.ts': "import { b } from './b.js';\nexport const a = () => b;\n",
      'src/client/b.ts': "import { a } from './a.js';\nexport const b = () => a;\n",
    });
    // A baseline listing exactly these violations, as `depcruise --output-type baseline` writes it.
    const baseline = await run(
      [
        depcruiseBin,
        '--config',
        join(repoRoot, '.dependency-cruiser.cjs'),
        '--output-type',
        'baseline',
        'src',
        'bench',
      ],
      root,
    );
    assert.equal(baseline.code, 0, baseline.output);
    assert.match(baseline.output, /no-file-cycle/);
    writeFileSync(join(root, '.dependency-cruiser-known-violations.json'), baseline.output);
    assertViolations(await lint(root), [
      { rule: 'no-file-cycle', from: 'src/client/a.ts' },
      { rule: 'no-file-cycle', from: 'src/client/b.ts' },
    ]);
  });
});
