import { Args } from '@oclif/core';
import { LedgerCommand } from './base-command.js';
import { withClient } from './connect.js';
import { badInput } from '../core/errors.js';
import type { NodeStatus } from '../codec/admin-bodies.js';

/** Accepts "4" or "n4". */
export function parseNode(text: string): number {
  const m = /^n?(\d+)$/i.exec(text.trim());
  if (m === null || Number(m[1]) < 1) throw badInput(`node "${text}" is not valid: give a node id such as 4 or n4`);
  return Number(m[1]);
}

export const nodeArg = { node: Args.string({ description: 'node id, e.g. 4 or n4', required: true }) };

/** The shared body of `ledger node fail|recover|isolate|heal N`: one admin request. */
export abstract class NodeFaultCommand extends LedgerCommand<typeof NodeFaultCommand> {
  static override args = nodeArg;
  protected abstract readonly op: 'fail' | 'recover' | 'isolate' | 'heal';
  protected abstract readonly done: string;

  async run(): Promise<NodeStatus> {
    const node = parseNode(this.args.node);
    const status = await withClient(this.dataDir, (client) => client.injectFault(node, this.op));
    this.log(`n${node} ${this.done} (role ${status.role})`);
    return status;
  }
}
