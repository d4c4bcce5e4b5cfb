import { NodeFaultCommand } from '../../src/cli/node-fault-command.js';

export default class NodeRecover extends NodeFaultCommand {
  static override summary = 'Undo `ledger node fail`: the node rejoins and catches up';
  static override description =
    'It resumes its timers and messages, hears the current leader and fetches the slots it missed (or a snapshot, if they were compacted).';
  static override examples = ['<%= config.bin %> node recover 4', '<%= config.bin %> node recover n4 --json'];
  protected readonly op = 'recover' as const;
  protected readonly done = 'recovered';
}
