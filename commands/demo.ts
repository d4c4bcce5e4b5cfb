import { Flags } from '@oclif/core';
import { join } from 'node:path';
import { LedgerCommand } from '../src/cli/base-command.js';
import { afterSetMenu } from '../src/cli/run-menu.js';
import { performanceLines, RunView } from '../src/cli/run-view.js';
import { demoNotes, runDemo, type DemoReport } from '../src/demo/demo.js';

export default class Demo extends LedgerCommand<typeof Demo> {
  static override summary = 'Run the bundled demo test sets on a local 3x3 cluster (what `npm start` runs)';
  static override description = `Starts nats-server and 9 nodes in <data-dir>/demo (wiped first: it belongs to the demo) and runs the bundled test file infra/demo-tests.csv, as \`ledger run\` would:
- set 1: intra-shard and cross-shard (Two-Phase Commit) transfers, an insufficient-funds refusal
- set 2: a leader failure and its NEW-VIEW, a cluster that loses its majority (its transfer ends unknown, a cross-shard one into it aborts), and a recovery

Then it prints PrintBalance of the accounts involved on every replica, PrintView, and a short Performance burst, and stops the cluster (unless --keep). On a terminal the menu follows each set (PrintBalance, PrintDB, PrintView, Performance).`;
  static override examples = [
    '<%= config.bin %> demo',
    '<%= config.bin %> demo --keep',
    '<%= config.bin %> demo --json',
  ];
  static override flags = {
    keep: Flags.boolean({ description: 'leave the demo cluster running afterwards', default: false }),
    interactive: Flags.boolean({
      description: 'show the menu after each set (only on a terminal, never with --json)',
      default: true,
      allowNo: true,
    }),
  };

  async run(): Promise<DemoReport> {
    const quiet = this.jsonEnabled();
    const terminal = !quiet && process.stdout.isTTY === true;
    const menu = terminal && process.stdin.isTTY === true && this.flags.interactive;
    const out = (line: string) => quiet || this.log(line);
    const view = new RunView(out, terminal, demoNotes);
    return runDemo(join(this.dataDir, 'demo'), {
      keep: this.flags.keep,
      hooks: {
        ...view.hooks(),
        afterSet: async (plan, report, session, last) => {
          view.close();
          for (const line of performanceLines(report.performance)) out(line);
          return menu ? afterSetMenu(plan, report, session, out, last) : 'next';
        },
      },
    });
  }
}
