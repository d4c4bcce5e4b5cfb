import { NodeFaultCommand } from '../../src/cli/node-fault-command.js';

export default class NodeFail extends NodeFaultCommand {
  static override summary = 'Make a node act dead: it drops every message and stops its timers';
  static override description =
    'The node keeps its state (PrintBalance still shows it) and still answers admin requests. A cluster keeps committing while a majority of its nodes is up. Undo with `ledger node recover N`.';
  static override examples = ['<%= config.bin %> node fail 4', '<%= config.bin %> node fail n4 --json'];
  protected readonly op = 'fail' as const;
  protected readonly done = 'failed';
}
