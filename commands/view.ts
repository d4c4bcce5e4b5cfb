import { LedgerCommand } from '../src/cli/base-command.js';
import { withClient } from '../src/cli/connect.js';
import { printView } from '../src/cli/inspect.js';
import { allNodes } from '../src/ledger/topology.js';
import { requireKnownNode } from '../src/cli/parse.js';
import { nodeFlag } from '../src/cli/node-flag.js';

export default class View extends LedgerCommand<typeof View> {
  static override summary = 'PrintView: every NEW-VIEW a node took part in as leader, with its parameters';
  static override description = `A NEW-VIEW is a leader change: the new leader's ballot, the highest commit index its promises reported, and the slots it re-proposed (values from the promises, NO-OP for holes). Each node records the views it led; without --node, all nodes are asked.`;
  static override examples = [
    '<%= config.bin %> view',
    '<%= config.bin %> view --node 4',
    '<%= config.bin %> view --json',
  ];
  static override flags = { node: nodeFlag({ description: 'only this node (4 or n4)' }) };

  async run() {
    return withClient(this.dataDir, async (client, config) => {
      const report = await printView(
        client,
        this.flags.node === undefined
          ? allNodes(config.topology)
          : [requireKnownNode(this.flags.node, allNodes(config.topology))],
      );
      for (const line of report.lines) this.log(line);
      return { views: report.views, unreachable: report.unreachable };
    });
  }
}
