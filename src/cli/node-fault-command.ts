import { LedgerCommand } from './base-command.js';
import { withClient } from './connect.js';
import type { NodeStatus } from '../protocol/admin.js';
import { faultNoop } from './fault-noop.js';
import { nodeArg } from './node-flag.js';
import { parseNode } from './parse.js';

/** The shared body of `ledger node fail|recover|isolate|heal N`: one admin request. */
export abstract class NodeFaultCommand extends LedgerCommand<typeof NodeFaultCommand> {
  static override args = nodeArg;
  protected abstract readonly op: 'fail' | 'recover' | 'isolate' | 'heal';
  protected abstract readonly done: string;

  async run(): Promise<NodeStatus & { changed: boolean }> {
    const node = parseNode(this.args.node);
    const { status, noop } = await withClient(this.dataDir, async (client) => {
      // Already in that state: say so and change nothing. If the node does not answer, the
      // fault request below reports why.
      const before = await client.nodeStatus(node, 2_000).catch(() => undefined);
      const noop = before === undefined ? undefined : faultNoop(this.op, before);
      return noop !== undefined && before !== undefined
        ? { status: before, noop }
        : { status: await client.injectFault(node, this.op), noop };
    });
    this.log(noop ?? `n${node} ${this.done} (role ${status.role})`);
    return { ...status, changed: noop === undefined };
  }
}
