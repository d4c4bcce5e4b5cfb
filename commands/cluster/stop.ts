import { LedgerCommand } from '../../src/cli/base-command.js';
import { stopLocalCluster } from '../../src/cluster/local-cluster.js';

export default class ClusterStop extends LedgerCommand<typeof ClusterStop> {
  static override summary = 'Stop the processes that `ledger cluster start` started';
  static override description = `Stops exactly the nodes and the nats-server recorded in the data dir (each PID is checked against its command line first, so a reused PID is never touched). Data stays on disk.`;
  static override examples = [
    '<%= config.bin %> cluster stop',
    '<%= config.bin %> cluster stop --data-dir /tmp/ledger --json',
  ];

  async run(): Promise<{ dataDir: string; stopped: number[] }> {
    const dataDir = this.dataDir;
    const { stopped } = await stopLocalCluster(dataDir);
    this.log(
      stopped.length === 0
        ? `nothing was running in ${dataDir}`
        : `stopped ${stopped.length} processes (${stopped.join(', ')})`,
    );
    return { dataDir, stopped };
  }
}
