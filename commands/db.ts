import { LedgerCommand } from '../src/cli/base-command.js';
import { withClient } from '../src/cli/connect.js';
import { printDb } from '../src/cli/inspect.js';
import { allNodes } from '../src/ledger/topology.js';
import { requireKnownNode } from '../src/cli/parse.js';
import { nodeFlag } from '../src/cli/node-flag.js';

export default class Db extends LedgerCommand<typeof Db> {
  static override summary = 'PrintDB: the accounts whose balance changed, with their balance on every node';
  static override description = `Asks every node (or --node N) for the accounts whose balance differs from the initial one, and shows them side by side: one row per account, one column per node. A lagging or failed replica shows its own (older) value; a node that does not answer is listed as unreachable.`;
  static override examples = ['<%= config.bin %> db', '<%= config.bin %> db --node 4', '<%= config.bin %> db --json'];
  static override flags = { node: nodeFlag({ description: 'only this node (4 or n4)' }) };

  async run() {
    return withClient(this.dataDir, async (client, config) => {
      const report = await printDb(
        client,
        this.flags.node === undefined
          ? allNodes(config.topology)
          : [requireKnownNode(this.flags.node, allNodes(config.topology))],
      );
      for (const line of report.lines) this.log(line);
      return { accounts: report.accounts, unreachable: report.unreachable };
    });
  }
}
