import { Flags } from '@oclif/core';
import cliProgress from 'cli-progress';
import { LedgerCommand } from '../../src/cli/base-command.js';
import { withClient } from '../../src/cli/connect.js';
import { table } from '../../src/cli/render.js';
import { secondsFlag } from '../../src/cli/seconds-flag.js';
import { localRestartPorts, rollingRestart, type RollingRestartResult } from '../../src/cluster/rolling-restart.js';
import { badInput } from '../../src/core/errors.js';

export default class ClusterRestart extends LedgerCommand<typeof ClusterRestart> {
  static override summary = 'Restart every node, one at a time, while the ledger serves (--rolling)';
  static override description = `With --rolling, each node is stopped cleanly (SIGTERM; SIGKILL after --grace) and started again from its SQLite file, one at a time. In each cluster the followers go first and the leader last: before the leader stops, the lead moves to its most caught-up follower (as \`ledger node lead\` does), and the roll waits until that follower leads. After each start it waits until the node answers and has applied the slot its leader had applied when it came back, so no cluster ever has two nodes out. Clients see a rise in latency, not errors.

A step that takes longer than --step-timeout stops the roll with an error that names the node; the nodes after it are left as they were. Every node must be up and serving at the start (see \`ledger cluster status\`).

Without --rolling the command refuses: for a restart with downtime, use \`ledger cluster stop\` and \`ledger cluster start --detach\`. It restarts the processes that \`ledger cluster start\` started on this machine; docs/operations.md says how to roll nodes run by a supervisor on several hosts.`;
  static override examples = [
    {
      description: 'Restart every node of ./.ledger while clients go on',
      command: '<%= config.bin %> cluster restart --rolling',
    },
    {
      description: 'Give each node a minute (a slow host); the steps as JSON',
      command: '<%= config.bin %> cluster restart --rolling --step-timeout 60 --json',
    },
    {
      description: 'Afterwards: new PIDs, and the lead transfers as NEW-VIEWs',
      command: '<%= config.bin %> cluster status; <%= config.bin %> view',
    },
  ];
  static override flags = {
    rolling: Flags.boolean({ description: 'one node at a time, followers first, each leader after a lead transfer' }),
    'step-timeout': secondsFlag({
      description: 'seconds one node may take (lead transfer, stop, start and catch-up)',
      default: 30,
    }),
    grace: secondsFlag({ description: 'seconds a node has to stop after SIGTERM before SIGKILL', default: 5 }),
  };

  async run(): Promise<RollingRestartResult> {
    if (!this.flags.rolling)
      throw badInput(
        'only a rolling restart is supported: pass --rolling',
        'for a restart with downtime, run `ledger cluster stop`, then `ledger cluster start --detach`',
      );
    const json = this.jsonEnabled();
    const terminal = !json && process.stdout.isTTY === true;
    let bar: cliProgress.SingleBar | undefined;
    const result = await withClient(this.dataDir, (client, config) =>
      rollingRestart(
        config.topology,
        localRestartPorts(this.dataDir, client, config.topology, this.flags.grace * 1000),
        {
          stepTimeoutMs: this.flags['step-timeout'] * 1000,
          onProgress: (p) => {
            if (json) return;
            // Into a pipe or a log: one line a step (stderr, as `ledger bench` reports progress).
            if (!terminal) return void this.logToStderr(`[${p.done}/${p.total}] ${p.text}`);
            bar ??= new cliProgress.SingleBar(
              { format: '  restarting [{bar}] {value}/{total} nodes  {text}', clearOnComplete: true, hideCursor: true },
              cliProgress.Presets.shades_classic,
            );
            if (!bar.isActive) bar.start(p.total, p.done, { text: p.text });
            bar.update(p.done, { text: p.text });
          },
        },
      ),
    ).finally(() => bar?.stop());
    const s = (ms: number) => (ms / 1000).toFixed(1);
    this.log(
      table(
        [
          'node',
          { head: 'cluster', right: true },
          'role',
          'lead to',
          'pid',
          ...['lead s', 'stop s', 'start s', 'catch-up s', 'total s'].map((head) => ({ head, right: true })),
        ],
        result.steps.map((step) => [
          `n${step.node}`,
          step.cluster,
          step.role,
          step.leadMovedTo === null ? '' : `n${step.leadMovedTo}`,
          `${step.pidBefore ?? '-'} → ${step.pidAfter}`,
          step.role === 'leader' ? s(step.ms.leadTransfer) : '',
          s(step.ms.stop),
          s(step.ms.start),
          s(step.ms.catchUp),
          s(step.ms.total),
        ]),
      ),
    );
    this.log(`restarted ${result.steps.length} nodes in ${s(result.totalMs)} s`);
    return result;
  }
}
