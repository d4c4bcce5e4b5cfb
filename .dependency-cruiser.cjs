// The import rules of the project, checked by dependency-cruiser (`npm run lint`, and the first
// stage of `npm test`). docs/architecture.md explains the layers; docs/testing.md how the check
// runs. Paths are relative to the repository root: run depcruise from there. Run it through
// scripts/lint.mjs. There is no list of known violations: every violation fails.
//
// Type-only imports (`import type`, or `type` inside the braces of every imported name) are
// compiled away, so they carry no I/O and no code: dependency-cruiser sees them because of
// `tsPreCompilationDeps: true` and marks them `type-only`. The rules below say where a type is
// allowed and a value is not. Cycles count type-only imports too: a cycle of meaning is still a
// cycle for a reader.

/** The pure cores: state machines the seeded simulator drives, so no I/O, no clock, no random
 *  (the clock and random globals are checked by tests/unit/purity.test.ts; imports here). */
const cores = '^src/(core|protocol|ledger|paxos|twopc)/';
/** The adapters: the outside world (NATS, SQLite, CBOR) behind the ports. */
const adapters = '^src/(transport|storage|codec)/';

/** The ports an adapter implements and the runtime is written over (src/ports). */
const ports = '^src/ports/';
/** The node runtime: the Ready loop the real node and the simulator share, so as pure as a core. */
const runtime = ['^src/node/runtime\\.ts$', ports];

/** Every way dependency-cruiser can classify an npm package. */
const npmTypes = ['npm', 'npm-dev', 'npm-optional', 'npm-peer', 'npm-bundled', 'npm-no-pkg', 'npm-unknown'];

module.exports = {
  forbidden: [
    {
      name: 'core-no-package',
      severity: 'error',
      comment:
        'A pure core (src/core, src/protocol, src/ledger, src/paxos, src/twopc) imports no package at all, type-only ' +
        'included: the I/O libraries (NATS, better-sqlite3, kysely, pino, prom-client, cbor-x, oclif) are what the ' +
        'adapters and the runtime are for, and a pure helper package would make the core depend on code the ' +
        'simulator does not check.',
      from: { path: cores },
      to: { dependencyTypes: npmTypes },
    },
    {
      name: 'core-no-node-builtin',
      severity: 'error',
      comment:
        'A pure core imports no node: module (fs, net, timers, perf_hooks, crypto...): the simulator must drive it ' +
        'with virtual time, a seeded random and no disk. A type-only import is allowed: it is compiled away.',
      from: { path: cores },
      to: { dependencyTypes: ['core'], dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'core-not-to-outer-layer',
      severity: 'error',
      comment:
        'A pure core imports only other cores: not the adapters, the runtime (src/node), the client, the CLI, the ' +
        'cluster supervisor, observability, the demo, the load generator or the test-file runner, not even their types.',
      from: { path: cores },
      to: { path: '^src/', pathNot: cores },
    },
    // The cores, one way: src/core at the bottom, then src/protocol, then src/paxos and src/twopc
    // side by side, then src/ledger, which composes them. no-folder-cycle only forbids a loop;
    // these forbid a wrong-way import on its own, before anything imports back.
    {
      name: 'core-to-nothing',
      severity: 'error',
      comment:
        'src/core (assert, errors, limits, roles...) is the vocabulary of every layer, so it sits at the bottom: ' +
        'it imports nothing else of src/, not even a type.',
      from: { path: '^src/core/' },
      to: { path: '^src/', pathNot: '^src/core/' },
    },
    {
      name: 'protocol-only-to-core',
      severity: 'error',
      comment:
        'src/protocol (the wire and disk types) sits on src/core and under every other core: it imports, in src/, ' +
        'only src/core, so a message type never drags in a state machine.',
      from: { path: '^src/protocol/' },
      to: { path: '^src/', pathNot: '^src/(core|protocol)/' },
    },
    {
      name: 'paxos-not-to-ledger-or-twopc',
      severity: 'error',
      comment:
        'Multi-Paxos (src/paxos) replicates values of any type: it knows nothing of what the ledger or 2PC put in ' +
        'the log, and imports neither src/ledger nor src/twopc, not even a type.',
      from: { path: '^src/paxos/' },
      to: { path: '^src/(ledger|twopc)/' },
    },
    {
      name: 'twopc-not-to-ledger-or-paxos',
      severity: 'error',
      comment:
        'Two-Phase Commit (src/twopc) is one pure unit: it reaches balances through the AccountBook the ledger ' +
        'state implements and the log through the host its driver is given, so it imports neither src/ledger nor ' +
        'src/paxos, not even a type. src/ledger composes both.',
      from: { path: '^src/twopc/' },
      to: { path: '^src/(ledger|paxos)/' },
    },
    {
      name: 'adapter-not-to-core-internals',
      severity: 'error',
      comment:
        'An adapter (src/transport, src/storage, src/codec) encodes, stores or carries what the cores define, but ' +
        'imports none of their internals, not even a type: from the cores it takes only src/core (ids, errors, ' +
        'limits, assert: the vocabulary of every layer) and src/protocol (the wire and disk vocabulary), plus the ' +
        'ports it implements (src/ports/). A type an adapter needs from a core belongs in src/protocol or a port.',
      from: { path: adapters },
      to: { path: '^src/(ledger|paxos|twopc)/' },
    },
    {
      name: 'adapter-not-to-runtime',
      severity: 'error',
      comment:
        'An adapter imports, inside src/, nothing above it: the runtime (src/node), the client, the CLI, the ' +
        'cluster supervisor, observability, the demo and the load generator sit above the adapters and plug them ' +
        'in, never the other way round. (Which cores it may import: adapter-not-to-core-internals.)',
      from: { path: adapters },
      to: {
        path: '^src/',
        pathNot: ['^src/(core|protocol|ledger|paxos|twopc|transport|storage|codec)/', ports],
      },
    },
    {
      name: 'runtime-pure',
      severity: 'error',
      comment:
        'The node runtime (src/node/runtime.ts) and its ports (src/ports) are run by the simulator as they are, so ' +
        'import, inside src/, only the cores and the ports, not even a type: the real node plugs NATS, SQLite and ' +
        'timers in from outside (src/node/ledger-node.ts).',
      from: { path: runtime },
      to: { path: '^src/', pathNot: [cores, ports] },
    },
    {
      name: 'runtime-no-node-builtin',
      severity: 'error',
      comment: 'See runtime-pure: no node: module either, except type-only, as for the cores.',
      from: { path: runtime },
      to: { dependencyTypes: ['core'], dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'runtime-no-package',
      severity: 'error',
      comment: 'See runtime-pure: no package at all, type-only included, as for the cores.',
      from: { path: runtime },
      to: { dependencyTypes: npmTypes },
    },
    {
      name: 'no-folder-cycle',
      severity: 'error',
      comment:
        'No cycle between folders: dependencies between the parts of the system run one way, so each part can be ' +
        'read (and tested) on top of the ones below it.',
      scope: 'folder',
      from: {},
      to: { circular: true },
    },
    {
      name: 'no-file-cycle',
      severity: 'error',
      comment: 'No circular import between files either: module initialisation order must not matter.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'src-not-to-bench-commands-tests',
      severity: 'error',
      comment:
        'src/ is the product: the commands (commands/), the benchmark (bench/) and the tests (tests/) are built on ' +
        'it, never the other way round. What two of them share belongs in src/ (the load generator in src/load).',
      from: { path: '^src/' },
      to: { path: '^(bench|commands|tests)/' },
    },
    {
      name: 'bench-not-to-commands-tests',
      severity: 'error',
      comment:
        'bench/ is the library behind `ledger bench`: the command imports it, not the other way round; tests are not product code.',
      from: { path: '^bench/' },
      to: { path: '^(commands|tests)/' },
    },
    {
      name: 'commands-not-to-tests',
      severity: 'error',
      comment: 'The CLI ships; the tests do not.',
      from: { path: '^commands/' },
      to: { path: '^tests/' },
    },
    {
      name: 'chaos-checkers-independent',
      severity: 'error',
      comment:
        "The chaos suite's checkers (tests/chaos/checkers) judge the system from outside: they import only each " +
        'other, the history format (tests/chaos/history.ts) and node: modules, nothing of src/ (not even a type), ' +
        'no package and no other test code, so they share neither code nor assumptions with what they check.',
      from: { path: '^tests/chaos/checkers/' },
      to: { pathNot: ['^tests/chaos/checkers/', '^tests/chaos/history\\.ts$'], dependencyTypesNot: ['core'] },
    },
    {
      name: 'no-unresolvable',
      severity: 'error',
      comment:
        'Every import resolves to a file or an installed package. Besides catching a broken import, this keeps ' +
        'the other rules honest: an import the tool cannot resolve has no path and no type, and no rule would see it.',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    tsConfig: { fileName: 'tsconfig.json' },
    // Keep type-only imports in the graph, marked `type-only` (see the top of this file).
    tsPreCompilationDeps: true,
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^dist/' },
    // Resolve packages the way Node does for this ESM project: some (@oclif/core) have no `main`,
    // only an `exports` map.
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'node', 'default', 'types'],
      mainFields: ['module', 'main', 'types'],
    },
  },
};
