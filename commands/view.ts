import { Flags } from '@oclif/core';
import { LedgerCommand } from '../src/cli/base-command.js';
import { withClient } from '../src/cli/connect.js';
import { batchText } from '../src/cli/render.js';
import { allNodes } from '../src/ledger/topology.js';
import type { NodeViews } from '../src/codec/admin-bodies.js';

export default class View extends LedgerCommand<typeof View> {
  static override summary = 'PrintView: every NEW-VIEW a node took part in as leader, with its parameters';
  static override description = `A NEW-VIEW is a leader change: the new leader's ballot, the highest commit index its
promises reported, and the slots it re-proposed (values from the promises, NO-OP for holes).
Each node records the views it led; without --node, all nodes are asked.`;
  static override examples = ['<%= config.bin %> view', '<%= config.bin %> view --node 4', '<%= config.bin %> view --json'];
  static override flags = { node: Flags.integer({ description: 'only this node', min: 1 }) };

  async run() {
    return withClient(this.dataDir, async (client, config) => {
      const nodes = this.flags.node === undefined ? allNodes(config.topology) : [this.flags.node];
      const views: NodeViews[] = [];
      const unreachable: Array<{ node: number; reason: string }> = [];
      for (const node of nodes) {
        try {
          views.push(await client.views(node));
        } catch (error) {
          unreachable.push({ node, reason: (error as Error).message });
        }
      }
      const all = views.flatMap((v) => v.views.map((view) => ({ node: v.node, ...view }))).sort((a, b) => a.recordedAtMs - b.recordedAtMs);
      for (const v of all) {
        const when = new Date(v.recordedAtMs).toISOString().slice(11, 23);
        this.log(`${when}  NEW-VIEW ballot (${v.ballot.round}, n${v.ballot.node}) leader n${v.leader}, promised commit index ${v.commitIndex}, re-proposed ${v.entries.length} slot(s)`);
        for (const e of v.entries.slice(0, 20)) this.log(`    slot ${e.slot}: ${batchText(e.value)}`);
        if (v.entries.length > 20) this.log(`    … ${v.entries.length - 20} more`);
      }
      if (all.length === 0) this.log('no NEW-VIEW recorded');
      for (const u of unreachable) this.log(`n${u.node}: ${u.reason}`);
      return { views: all, unreachable };
    });
  }
}
