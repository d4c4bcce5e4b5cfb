import { LedgerCommand } from '../../src/cli/base-command.js';
import { nodeArg } from '../../src/cli/node-flag.js';
import { parseNode } from '../../src/cli/parse.js';
import { restartNode } from '../../src/cluster/local-cluster.js';

export default class NodeRestart extends LedgerCommand<typeof NodeRestart> {
  static override summary = 'Start a node again from its SQLite file (SIGKILL first if it still runs)';
  static override description = `The node reloads its promised ballot, log and state from disk, applies nothing twice, and catches up with its cluster (from the log, or by snapshot if the others compacted past it).`;
  static override examples = ['<%= config.bin %> node restart 1', '<%= config.bin %> node restart n1 --json'];
  static override args = nodeArg;

  async run() {
    const node = parseNode(this.args.node);
    const result = await restartNode(this.dataDir, node);
    this.log(`${result.killed === null ? 'started' : 'killed and restarted'} n${node} (pid ${result.pid})`);
    return result;
  }
}
