import { LedgerCommand } from '../../src/cli/base-command.js';
import { withClient } from '../../src/cli/connect.js';
import { nodeArg } from '../../src/cli/node-flag.js';
import { parseNode } from '../../src/cli/parse.js';
import { moveLead } from '../../src/cluster/lead.js';
import { secondsFlag } from '../../src/cli/seconds-flag.js';

export default class NodeLead extends LedgerCommand<typeof NodeLead> {
  static override summary = 'Make a node the leader of its cluster (leadership transfer)';
  static override description = `The node stands for election at once, without the pre-vote, and its prepare asks the other members to set aside their stable-leader rule for it. Ballots and quorums work as ever: a transfer can delay commits for a moment, never choose two values. Waits until a majority of the cluster follows the node (a NEW-VIEW, shown by \`ledger view\`). Fails at once when the node is failed or not running, and after --timeout seconds when its cluster has no majority up.`;
  static override examples = ['<%= config.bin %> node lead 5', '<%= config.bin %> node lead n5 --json'];
  static override args = nodeArg;
  static override flags = {
    timeout: secondsFlag({ description: 'give up after this many seconds (fractions allowed)', default: 10 }),
  };

  async run() {
    const node = parseNode(this.args.node);
    const nodes = await withClient(this.dataDir, (client, config) =>
      moveLead(client, config.topology, node, this.flags.timeout * 1000),
    );
    this.log(`n${node} leads its cluster: ${nodes.map((s) => `n${s.node} ${s.role}`).join(', ')}`);
    return { node, nodes };
  }
}
