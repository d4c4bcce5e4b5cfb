import { Flags } from '@oclif/core';
import { LedgerCommand } from '../../src/cli/base-command.js';
import { backupProgressPrinter } from '../../src/cli/backup-progress.js';
import { nodeArg } from '../../src/cli/node-flag.js';
import { parseNode } from '../../src/cli/parse.js';
import { requireRunningConfig } from '../../src/cluster/local-cluster.js';
import { backupNode, type NodeBackupResult } from '../../src/cluster/node-backup.js';

export default class NodeBackup extends LedgerCommand<typeof NodeBackup> {
  static override summary = "Copy a node's SQLite file consistently while it serves (SQLite's online backup)";
  static override description = `Reads the node's file through its own read-only SQLite connection and copies it with SQLite's online backup API, all from one snapshot: the node goes on committing (WAL mode: a reader never blocks it). The copy is written under a temporary name, stamped with the node, cluster and topology it belongs to, synced, and renamed to --out only when complete. Run it on the host that holds the data dir. Restore it with \`ledger node restore\`; for a backup of the whole system that passes the audit, use \`ledger cluster backup\`.`;
  static override examples = [
    '<%= config.bin %> node backup 4 --out /backups/n4.sqlite',
    '<%= config.bin %> node backup n4 --out n4.sqlite --force --json',
  ];
  static override args = nodeArg;
  static override flags = {
    out: Flags.string({ description: 'the backup file to write', required: true }),
    force: Flags.boolean({ description: 'replace --out if it exists', default: false }),
  };

  async run(): Promise<NodeBackupResult> {
    const node = parseNode(this.args.node);
    const config = requireRunningConfig(this.dataDir);
    const quiet = this.jsonEnabled();
    const result = await backupNode(this.dataDir, config.topology, node, this.flags.out, {
      force: this.flags.force,
      ...(quiet ? {} : { onProgress: backupProgressPrinter((line) => this.logToStderr(line)) }),
    });
    this.log(
      `backed up n${node} (cluster ${result.cluster}) to ${result.file}: ${result.bytes} bytes, log to slot ${result.lastSlot}, in ${result.ms} ms`,
    );
    this.log(`sha256 ${result.sha256}`);
    return result;
  }
}
