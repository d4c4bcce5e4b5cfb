import { Flags } from '@oclif/core';
import { LedgerCommand } from '../../src/cli/base-command.js';
import { withClient } from '../../src/cli/connect.js';
import { parseNode } from '../../src/cli/parse.js';
import { nodeArg } from '../../src/cli/node-flag.js';
import { clusterRunning, requireRunningConfig, restartNode, stopNode } from '../../src/cluster/local-cluster.js';
import {
  checkNodeBackup,
  checkPeersForRestore,
  fileStamp,
  placeNodeFile,
  waitCaughtUp,
  type PlacedFile,
} from '../../src/cluster/node-restore.js';

interface NodeRestoreResult extends PlacedFile {
  from: string;
  fromNode: number;
  cluster: number;
  /** The PID of the node started on the restored file; null when the system was not running. */
  pid: number | null;
  /** The node stopped first (its PID), if it ran. */
  stopped: number | null;
  caughtUp: { appliedIndex: number; target: number } | null;
}

export default class NodeRestore extends LedgerCommand<typeof NodeRestore> {
  static override summary = "Replace a node's file with a backup and start it; it catches up from its peers";
  static override description = `Checks first, changing nothing on a refusal: the file must be a backup (\`ledger node backup\` or \`cluster backup\`) of the node's own cluster, in this data dir's topology and flush generation, and in a running system the node's live peers must be a majority of its cluster (a restored replica has forgotten what it accepted after the backup; only a majority that remembers keeps that safe). Then it stops the node (SIGTERM), keeps its old file as nN.sqlite.before-restore-<time> (with its -wal), puts the backup in place and starts the node, which catches up from its peers by log or by snapshot; the command waits for that up to --wait seconds. In a stopped system it only puts the file in place.`;
  static override examples = [
    '<%= config.bin %> node restore 4 --from /backups/n4.sqlite',
    '<%= config.bin %> node restore n4 --from n5.sqlite --wait 60 --json',
  ];
  static override args = nodeArg;
  static override flags = {
    from: Flags.string({ description: 'the backup file', required: true }),
    wait: Flags.integer({ description: 'seconds to wait for the node to catch up', default: 30, min: 0 }),
  };

  async run(): Promise<NodeRestoreResult> {
    const node = parseNode(this.args.node);
    const dataDir = this.dataDir;
    const config = requireRunningConfig(dataDir);
    const { cluster, contents, file } = checkNodeBackup(this.flags.from, config.topology, node);
    const fromNode = contents.identity?.node ?? node;
    const stamp = fileStamp(Date.now());
    if (!clusterRunning(dataDir)) {
      const placed = placeNodeFile(dataDir, node, file, stamp);
      this.log(`restored n${node} from ${file} (the system is stopped: start it with \`ledger cluster start\`)`);
      if (placed.previous !== null) this.log(`the old file is kept as ${placed.previous}`);
      return { ...placed, from: file, fromNode, cluster, pid: null, stopped: null, caughtUp: null };
    }
    return withClient(dataDir, async (client) => {
      await checkPeersForRestore(client, config.topology, node, contents.generation);
      const stopped = await stopNode(dataDir, node);
      if (stopped !== null) this.log(`stopped n${node} (pid ${stopped})`);
      const placed = placeNodeFile(dataDir, node, file, stamp);
      if (placed.previous !== null) this.log(`the old file is kept as ${placed.previous}`);
      const { pid } = await restartNode(dataDir, node);
      this.log(`started n${node} (pid ${pid}) on the backup of n${fromNode}; waiting for it to catch up`);
      const caughtUp = await waitCaughtUp(client, config.topology, cluster, node, this.flags.wait * 1000);
      this.log(
        `n${node} caught up: applied slot ${caughtUp.appliedIndex} (its peers had committed ${caughtUp.target})`,
      );
      return { ...placed, from: file, fromNode, cluster, pid, stopped, caughtUp };
    });
  }
}
