import { Flags } from '@oclif/core';
import { LedgerCommand } from '../../src/cli/base-command.js';
import { restoreCluster, type ClusterRestoreResult } from '../../src/cluster/cluster-restore.js';

export default class ClusterRestore extends LedgerCommand<typeof ClusterRestore> {
  static override summary = 'Restore a whole stopped system from a `ledger cluster backup` set';
  static override description = `Checks the set first and changes nothing on a refusal: the manifest, each file's SHA-256, and that each file is a backup of its cluster in the manifest's topology, which must be the data dir's (a fresh data dir gets the backup's settings). The system must be stopped. Then every replica of each cluster gets its cluster's backup; each replaced file is kept as nN.sqlite.before-restore-<time>. Start the system with \`ledger cluster start\`: it resumes from the cut, where no cross-shard transfer was in flight, so the audit (\`ledger check consistency\`) passes.`;
  static override examples = [
    '<%= config.bin %> cluster restore --from /backups/2026-12-02 --data-dir /srv/ledger',
    '<%= config.bin %> cluster start --detach --data-dir /srv/ledger',
    '<%= config.bin %> cluster restore --from backup --json',
  ];
  static override flags = {
    from: Flags.string({ description: 'the directory `ledger cluster backup --out` wrote', required: true }),
  };

  async run(): Promise<ClusterRestoreResult> {
    const result = restoreCluster(this.dataDir, this.flags.from, Date.now());
    for (const c of result.clusters)
      this.log(
        `cluster ${c.cluster}: ${c.nodes.map((n) => `n${n.node}`).join(', ')} restored from the backup of n${c.fromNode}`,
      );
    this.log(`restored into ${result.dataDir}; start it with \`ledger cluster start\``);
    return result;
  }
}
