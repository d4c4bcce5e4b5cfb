import { LedgerCommand } from '../../src/cli/base-command.js';
import { nodeArg } from '../../src/cli/node-flag.js';
import { parseNode } from '../../src/cli/parse.js';
import { killNode } from '../../src/cluster/local-cluster.js';

export default class NodeKill extends LedgerCommand<typeof NodeKill> {
  static override summary = "SIGKILL a node's process (a crash)";
  static override description = `A real crash: the process dies at once, losing nothing it acknowledged (every promise and accepted entry was on disk before it was sent). Start it again with \`ledger node restart N\`.`;
  static override examples = ['<%= config.bin %> node kill 1', '<%= config.bin %> node kill n1 --json'];
  static override args = nodeArg;

  async run() {
    const node = parseNode(this.args.node);
    const result = await killNode(this.dataDir, node);
    this.log(result.pid === null ? `n${node} was not running` : `killed n${node} (pid ${result.pid})`);
    return result;
  }
}
