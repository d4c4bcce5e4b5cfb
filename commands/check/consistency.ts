import { Flags } from '@oclif/core';
import { exitCodes, LedgerCommand } from '../../src/cli/base-command.js';
import { withClient } from '../../src/cli/connect.js';
import { table } from '../../src/cli/render.js';
import { checkConsistency, type ConsistencyReport } from '../../src/client/consistency.js';

export default class CheckConsistency extends LedgerCommand<typeof CheckConsistency> {
  static override summary = 'Check that replicas agree and that no money was made or lost';
  static override description = `For each cluster, the live replicas (answering, not failed) are compared by state hash at the highest slot they have all applied (each keeps the hashes of its last 4096 slots, so this works while transfers run), and the money of all shards together must equal what was created at start, counted at a moment when no cross-shard transaction is in flight. A replica that is far behind, or money between two shards, gets --wait seconds to settle. Exit code 0 when consistent, 1 otherwise.`;
  static override examples = ['<%= config.bin %> check consistency', '<%= config.bin %> check consistency --json'];
  static override flags = {
    wait: Flags.integer({ description: 'seconds to wait for lagging replicas', default: 10, min: 0 }),
  };

  async run(): Promise<ConsistencyReport> {
    const report = await withClient(this.dataDir, (client, config) =>
      checkConsistency(client, config.topology, this.flags.wait * 1000),
    );
    const rows = report.clusters.flatMap((c) =>
      c.replicas.map((r) => [
        c.cluster,
        `n${r.node}`,
        r.live ? 'live' : `out: ${r.reason ?? ''}`,
        r.appliedIndex ?? '',
        c.comparedAtSlot ?? '',
        r.hash?.toString(16) ?? '',
        r.total ?? '',
      ]),
    );
    this.log(table(['cluster', 'node', 'replica', 'applied', 'compared at', 'state hash', 'money'], rows));
    for (const c of report.clusters) for (const p of c.problems) this.log(`cluster ${c.cluster}: ${p}`);
    this.log(
      `money: ${report.money.actual} of ${report.money.expected} created at start${report.money.inFlight > 0 ? ` (${report.money.inFlight} cross-shard transactions still in flight)` : ''}`,
    );
    this.log(report.ok ? 'consistent' : 'INCONSISTENT');
    if (!report.ok) this.setExitCode(exitCodes.failed);
    return report;
  }
}
