import { Flags } from '@oclif/core';
import { LedgerCommand } from '../../src/cli/base-command.js';
import { withClient } from '../../src/cli/connect.js';
import { describeDisturbance, disturbSettings } from '../../src/cli/disturb-settings.js';
import { nodeArg } from '../../src/cli/node-flag.js';
import { parseNode } from '../../src/cli/parse.js';
import { disturbDelayMsMax } from '../../src/protocol/admin.js';

export default class NodeDisturb extends LedgerCommand<typeof NodeDisturb> {
  static override summary = 'Duplicate, delay and reorder what a node receives (for testing)';
  static override description = `Done in the node's transport layer, on the client requests and 2PC messages it receives: --duplicate PERCENT of them are delivered twice (the same bytes and reply subject, so a client request arrives twice with the same client id and sequence number, and is answered twice), and each delivery waits a random 0 to --delay-ms milliseconds, so later messages overtake earlier ones. Paxos messages among the cluster's members pass untouched. A correct cluster gives the same answers, only later; \`ledger cluster status\` shows the disturbance and what it did so far.

For testing only: it slows every request. Undo with \`ledger node disturb N --off\` (messages already held still arrive, within their delay). A flush calms it too.`;
  static override examples = [
    '<%= config.bin %> node disturb 4 --duplicate 50 --delay-ms 50',
    '<%= config.bin %> node disturb n4 --delay-ms 200 --json',
    '<%= config.bin %> node disturb 4 --off',
  ];
  static override args = nodeArg;
  static override flags = {
    duplicate: Flags.integer({
      description: 'share of the messages delivered twice, in percent (0-100) [default: 0]',
      min: 0,
      max: 100,
    }),
    'delay-ms': Flags.integer({
      description: `longest random delay of each delivery, in milliseconds (0-${disturbDelayMsMax}) [default: 0]`,
      min: 0,
      max: disturbDelayMsMax,
    }),
    off: Flags.boolean({ description: 'calm the node: deliver at once, once (alone)' }),
  };

  async run() {
    const node = parseNode(this.args.node);
    const settings = disturbSettings(this.flags);
    const status = await withClient(this.dataDir, (client) => client.disturb(node, settings));
    this.log(describeDisturbance(status));
    if (status.disturbed !== null) this.log(`undo with \`ledger node disturb ${node} --off\``);
    return status;
  }
}
