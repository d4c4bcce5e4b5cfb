import { historyCapacityDefault } from '../../src/ledger/state.js';
import { limits } from '../../src/core/limits.js';
import { Flags } from '@oclif/core';
import { LedgerCommand } from '../../src/cli/base-command.js';
import {
  startLocalCluster,
  stopLocalCluster,
  type ClusterState,
  type StartOptions,
} from '../../src/cluster/local-cluster.js';
import { defaultCheckpoint, defaultClientTimeouts, defaultTiming, defaultTwoPc } from '../../src/node/config.js';
import { badInput } from '../../src/core/errors.js';

/** "30-60" -> [30, 60]. */
function parseRange(text: string | undefined, fallback: [number, number]): [number, number] {
  if (text === undefined) return fallback;
  const m = /^(\d+)-(\d+)$/.exec(text.trim());
  if (m === null) throw badInput(`--election-ticks "${text}" is not valid: give MIN-MAX, e.g. 30-60`);
  return [Number(m[1]), Number(m[2])];
}
import { defaultTopology, validateTopology } from '../../src/ledger/topology.js';

export default class ClusterStart extends LedgerCommand<typeof ClusterStart> {
  static override summary = 'Start nats-server and every node of a local cluster';
  static override description = `Spawns nats-server (on --port, or a free port) and one process per node, with their SQLite files, logs and configuration under the data dir. Returns once every cluster has elected a leader.

Without --detach it stays in the foreground and Ctrl-C stops everything cleanly; with --detach it returns and \`ledger cluster stop\` stops the cluster later. Restarting on an existing data dir keeps the balances: nodes recover from their SQLite files.`;
  static override examples = [
    '<%= config.bin %> cluster start --detach',
    '<%= config.bin %> cluster start --data-dir /tmp/ledger --port 4333 --detach',
    '<%= config.bin %> cluster start --clusters 5 --nodes-per-cluster 5 --accounts 9000',
    '<%= config.bin %> cluster start --tls --detach',
    '<%= config.bin %> cluster start --client-user teller-1 --client-user teller-2 --detach',
  ];
  static override flags = {
    port: Flags.integer({ description: 'port for nats-server on 127.0.0.1 [default: a free one]', min: 1, max: 65535 }),
    detach: Flags.boolean({ description: 'return once the cluster is ready, leaving it running', default: false }),
    clusters: Flags.integer({ description: 'number of clusters (shards)', default: defaultTopology.clusters, min: 1 }),
    'nodes-per-cluster': Flags.integer({
      description: 'replicas per cluster (odd: 3, 5 or 7)',
      default: defaultTopology.nodesPerCluster,
      min: 1,
    }),
    accounts: Flags.integer({
      description: 'number of accounts, split evenly across clusters',
      default: defaultTopology.accounts,
      min: 1,
    }),
    'initial-balance': Flags.integer({
      description: 'balance every account starts with',
      default: defaultTopology.initialBalance,
      min: 0,
    }),
    'checkpoint-interval': Flags.integer({
      description: `compact the log every this many applied slots [default: ${defaultCheckpoint.intervalSlots}]`,
      min: 1,
    }),
    'log-tail': Flags.integer({
      description: `applied slots kept below a checkpoint for slow followers [default: ${defaultCheckpoint.logTailSlots}]`,
      min: 0,
    }),
    history: Flags.integer({
      description: `committed transfers each cluster keeps for \`ledger reshard\` to plan from; 0 keeps none [default: ${historyCapacityDefault}]`,
      min: 0,
      max: limits.historyCapacityMax,
    }),
    'tick-ms': Flags.integer({
      description: `length of one protocol tick in ms [default: ${defaultTiming.tickMs}]`,
      min: 1,
    }),
    'heartbeat-ticks': Flags.integer({
      description: `leader heartbeat interval in ticks [default: ${defaultTiming.heartbeatTicks}]`,
      min: 1,
    }),
    'election-ticks': Flags.string({
      description: `election timeout range in ticks, MIN-MAX [default: ${defaultTiming.electionTicksMin}-${defaultTiming.electionTicksMax}]`,
    }),
    'lock-wait-ticks': Flags.integer({
      description: `how long a transfer waits at the leader for an account held by another before its client is told to retry (busy, locked; a participant's PREPARE is refused) [default: ${defaultTwoPc.lockWaitTicks}]`,
      min: 1,
    }),
    'vote-timeout-ticks': Flags.integer({
      description: `how long a 2PC coordinator waits for the participant's vote before it aborts [default: ${defaultTwoPc.voteTimeoutTicks}]`,
      min: 1,
    }),
    'client-timeout-ms': Flags.integer({
      description: `how long the CLI waits for one node before trying another [default: ${defaultClientTimeouts.attemptTimeoutMs}]`,
      min: 1,
    }),
    durability: Flags.string({
      description:
        'full: fsync every commit (default); normal: faster, may lose the last commits on power loss (benchmarks only)',
      options: ['full', 'normal'],
    }),
    'metrics-port-base': Flags.integer({
      description:
        'node N serves Prometheus metrics on 127.0.0.1:(P + N) at GET /metrics; 0: none [default: 0, or what the data dir had]',
      min: 0,
      max: 65535,
    }),
    auth: Flags.boolean({
      description:
        'log every process in to nats-server with its own user and permissions (docs/security.md); --no-auth: anyone who reaches the broker may publish anything (benchmarks only)',
      default: true,
      allowNo: true,
    }),
    tls: Flags.boolean({
      description:
        'TLS between every process and nats-server, with a local CA and certificates made in <data-dir>/nats/tls',
      default: false,
    }),
    'client-user': Flags.string({
      description:
        'a named client login besides the shared one (repeat for several): <data-dir>/nats/credentials/client-NAME.json; it reads only its own answers, no other client can (a restart keeps the names)',
      multiple: true,
    }),
    'ready-timeout': Flags.integer({
      description: 'seconds to wait for every cluster to elect a leader',
      default: 30,
      min: 1,
    }),
  };

  async run(): Promise<ClusterState & { dataDir: string }> {
    const f = this.flags;
    const topology = validateTopology({
      clusters: f.clusters,
      nodesPerCluster: f['nodes-per-cluster'],
      accounts: f.accounts,
      initialBalance: f['initial-balance'],
    });
    const dataDir = this.dataDir;
    const quiet = this.jsonEnabled();
    const overrides: StartOptions['overrides'] = {};
    if (f['checkpoint-interval'] !== undefined || f['log-tail'] !== undefined) {
      overrides.checkpoint = {
        intervalSlots: f['checkpoint-interval'] ?? defaultCheckpoint.intervalSlots,
        logTailSlots: f['log-tail'] ?? defaultCheckpoint.logTailSlots,
      };
    }
    if (f.durability !== undefined) overrides.durability = f.durability as 'full' | 'normal';
    if (f['tick-ms'] !== undefined || f['heartbeat-ticks'] !== undefined || f['election-ticks'] !== undefined) {
      const [min, max] = parseRange(f['election-ticks'], [
        defaultTiming.electionTicksMin,
        defaultTiming.electionTicksMax,
      ]);
      overrides.timing = {
        ...defaultTiming,
        tickMs: f['tick-ms'] ?? defaultTiming.tickMs,
        heartbeatTicks: f['heartbeat-ticks'] ?? defaultTiming.heartbeatTicks,
        electionTicksMin: min,
        electionTicksMax: max,
      };
    }
    if (f['lock-wait-ticks'] !== undefined || f['vote-timeout-ticks'] !== undefined) {
      overrides.twoPc = {
        ...defaultTwoPc,
        lockWaitTicks: f['lock-wait-ticks'] ?? defaultTwoPc.lockWaitTicks,
        voteTimeoutTicks: f['vote-timeout-ticks'] ?? defaultTwoPc.voteTimeoutTicks,
      };
    }
    if (f['metrics-port-base'] !== undefined) overrides.metricsPortBase = f['metrics-port-base'];
    if (f.history !== undefined) overrides.historyCapacity = f.history;
    if (f['client-timeout-ms'] !== undefined)
      overrides.client = { ...defaultClientTimeouts, attemptTimeoutMs: f['client-timeout-ms'] };
    const state = await startLocalCluster(
      {
        dataDir,
        port: f.port,
        topology,
        overrides,
        detached: f.detach,
        readyTimeoutMs: f['ready-timeout'] * 1000,
        auth: f.auth,
        tls: f.tls,
        ...(f['client-user'] === undefined ? {} : { clientUsers: f['client-user'] }),
      },
      (line) => quiet || this.log(line),
    );
    if (!quiet) this.log(`cluster ready: ${state.nodes.length} nodes, NATS at ${state.natsUrl}, data in ${dataDir}`);
    if (f.detach) {
      if (!quiet)
        this.log('stop it with: ledger cluster stop' + (this.flags['data-dir'] ? ` --data-dir ${dataDir}` : ''));
      return { ...state, dataDir };
    }
    if (!quiet) this.log('running in the foreground: press Ctrl-C to stop');
    await new Promise<void>((resolve) => this.onStopSignal(() => resolve()));
    if (!quiet) this.log('stopping…');
    await stopLocalCluster(dataDir);
    return { ...state, dataDir };
  }
}
