import { NodeFaultCommand } from '../../src/cli/node-fault-command.js';

export default class NodeHeal extends NodeFaultCommand {
  static override summary = 'Undo `ledger node isolate`: reconnect the node to its peers';
  static override description =
    'The node hears the current leader again and catches up. Thanks to pre-vote it cannot depose a healthy leader on its return.';
  static override examples = ['<%= config.bin %> node heal 4', '<%= config.bin %> node heal n4 --json'];
  protected readonly op = 'heal' as const;
  protected readonly done = 'healed';
}
