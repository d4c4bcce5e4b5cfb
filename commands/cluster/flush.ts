import { Flags } from '@oclif/core';
import { LedgerCommand } from '../../src/cli/base-command.js';
import { withClient } from '../../src/cli/connect.js';
import { parseNodeList } from '../../src/cli/parse.js';
import { table } from '../../src/cli/render.js';
import { clustersWithoutMajority, firstLiveLeaders, flushCluster } from '../../src/cluster/flush.js';
import { allNodes } from '../../src/ledger/topology.js';

export default class ClusterFlush extends LedgerCommand<typeof ClusterFlush> {
  static override summary = 'Reset every node to the initial state (balances, logs, locks, sessions, views)';
  static override description = `Every account goes back to its initial balance and every node forgets its log, its client sessions, its Two-Phase Commit records and its NEW-VIEW history. The first live node of each cluster leads straight away (no election: one Phase 1 round in ballot (1, itself), which is not a view change, so PrintView starts empty; the command returns once each leader with a live majority leads). Nodes left out of --live start failed, as after \`ledger node fail\`; bring them back with \`ledger node recover N\`. A cluster left without a live majority is named in a warning: it cannot commit.

Each flush starts a new generation: a message sent before it is dropped by every node after it (and a request or operation that names its generation, as the test-file runner's do). Every node process must be running (a failed node is fine).`;
  static override examples = [
    '<%= config.bin %> cluster flush',
    '<%= config.bin %> cluster flush --live n1,n2,n4,n5,n7,n8',
  ];
  static override flags = {
    live: Flags.string({ description: 'nodes that stay up, e.g. n1,n2,n4 (default: all); the others start failed' }),
  };

  async run() {
    const { nodes, lost } = await withClient(this.dataDir, async (client, config) => {
      const all = allNodes(config.topology);
      const live = new Set(this.flags.live === undefined ? all : parseNodeList(this.flags.live, all));
      const flushed = await flushCluster(client, config.topology, {
        live,
        leaders: firstLiveLeaders(config.topology, live),
      });
      return { nodes: flushed, lost: clustersWithoutMajority(config.topology, live) };
    });
    for (const c of lost) {
      this.logToStderr(
        `warning: cluster ${c.cluster} has no majority (${c.live} of ${c.members} live): it cannot commit until you recover nodes with \`ledger node recover N\``,
      );
    }
    this.log(
      table(
        ['node', 'cluster', 'role', 'leader', 'generation'],
        nodes.map((s) => [
          `n${s.node}`,
          s.cluster,
          s.failed ? `${s.role} (failed)` : s.role,
          s.leader === undefined ? '?' : `n${s.leader}`,
          s.generation,
        ]),
      ),
    );
    return { nodes, noMajority: lost };
  }
}
