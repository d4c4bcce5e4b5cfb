import { exitCodes, LedgerCommand } from '../../src/cli/base-command.js';
import { withClient } from '../../src/cli/connect.js';
import { withBallotJson } from '../../src/cli/json-shapes.js';
import { renderStatus } from '../../src/cli/status-render.js';

export default class ClusterStatus extends LedgerCommand<typeof ClusterStatus> {
  static override summary = 'One row per node: role, leader, ballot, log positions';
  static override description = `Asks every node for its status over NATS. A node that does not answer within a second is shown as "down". Exit code 1 when a cluster has no leader (a failed node leads nobody).`;
  static override examples = ['<%= config.bin %> cluster status', '<%= config.bin %> cluster status --json'];

  async run() {
    const nodes = await withClient(this.dataDir, (client) => client.status());
    this.log(renderStatus(nodes));
    const clusters = new Set(nodes.map((s) => s.cluster));
    // A failed node may still call itself leader (it stopped its timers): it leads nobody.
    const led = new Set(nodes.filter((s) => s.role === 'leader' && !s.failed).map((s) => s.cluster));
    if (led.size < clusters.size) this.setExitCode(exitCodes.failed);
    return { nodes: nodes.map(withBallotJson) };
  }
}
