import { Flags } from '@oclif/core';
import { join } from 'node:path';
import { LedgerCommand } from '../src/cli/base-command.js';
import { runDemo, type DemoReport } from '../src/demo/demo.js';

export default class Demo extends LedgerCommand<typeof Demo> {
  static override summary = 'Start a local 3x3 cluster, run the bundled demo and show the results (what `npm start` runs)';
  static override description = `Starts nats-server and 9 nodes in <data-dir>/demo (wiped first: it belongs to the demo), runs
intra-shard transfers, an insufficient-funds transfer and cross-shard ones (Two-Phase Commit), prints PrintBalance of
the accounts involved on every replica, the leaders, and a short Performance burst, then stops
the cluster (unless --keep).`;
  static override examples = ['<%= config.bin %> demo', '<%= config.bin %> demo --keep', '<%= config.bin %> demo --json'];
  static override flags = { keep: Flags.boolean({ description: 'leave the demo cluster running afterwards', default: false }) };

  async run(): Promise<DemoReport> {
    const quiet = this.jsonEnabled();
    return runDemo(join(this.dataDir, 'demo'), { keep: this.flags.keep, say: (line) => quiet || this.log(line) });
  }
}
