import { Flags } from '@oclif/core';
import { LedgerCommand } from '../../src/cli/base-command.js';
import { withClient } from '../../src/cli/connect.js';
import { backupCluster } from '../../src/cluster/cluster-backup.js';
import type { ClusterBackupManifest } from '../../src/cluster/backup-manifest.js';

export default class ClusterBackup extends LedgerCommand<typeof ClusterBackup> {
  static override summary = 'Back up every cluster at one cut, so that the whole system can be restored';
  static override description = `Takes one consistent backup per cluster (of its leader, with SQLite's online backup API) at a cut where no cross-shard transfer is in flight: new cross-shard transfers are held at every leader for the length of the backup (they wait, then run; intra-shard transfers go on), those in flight finish, each leader's file is copied, and the cut is confirmed (same leaders, nothing in flight) or taken again. The hold is a lease each node lifts by itself, so a backup that dies never leaves it on. DIR gets cluster-C.sqlite per cluster and manifest.json (per cluster: node, slots, flush generation, map epoch, time, size and SHA-256). Restore the set with \`ledger cluster restore\`. See docs/durability.md, "Backup and restore".`;
  static override examples = [
    '<%= config.bin %> cluster backup --out /backups/2026-12-02',
    '<%= config.bin %> cluster backup --out backup --force --json',
  ];
  static override flags = {
    out: Flags.string({ description: 'the directory to write (new or empty)', required: true }),
    force: Flags.boolean({ description: 'write into a directory that is not empty', default: false }),
    timeout: Flags.integer({ description: 'seconds to find a cut before giving up', default: 60, min: 1 }),
  };

  async run(): Promise<ClusterBackupManifest & { dir: string }> {
    const manifest = await withClient(this.dataDir, (client, config) =>
      backupCluster(client, config, this.flags.out, {
        force: this.flags.force,
        timeoutMs: this.flags.timeout * 1000,
        onProgress: (line) => this.log(line),
      }),
    );
    this.log(
      `backed up ${manifest.clusters.length} clusters to ${manifest.dir} (cross-shard transfers held ${manifest.cut.heldMs} ms)`,
    );
    return manifest;
  }
}
