import { NodeFaultCommand } from '../../src/cli/node-fault-command.js';

export default class NodeIsolate extends NodeFaultCommand {
  static override summary = 'Cut a node off from its peers (a network partition)';
  static override description =
    "Done in the node's transport layer: it drops every protocol message to and from the other nodes of its cluster, but still answers clients and admin requests. An isolated leader steps down after an election timeout; the others elect a new one. Undo with `ledger node heal N`.";
  static override examples = ['<%= config.bin %> node isolate 4', '<%= config.bin %> node isolate n4 --json'];
  protected readonly op = 'isolate' as const;
  protected readonly done = 'isolated';
}
