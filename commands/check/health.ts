import { Flags } from '@oclif/core';
import { LedgerCommand } from '../../src/cli/base-command.js';
import { MetricsFeed } from '../../src/cli/metrics-feed.js';
import { secondsFlag } from '../../src/cli/seconds-flag.js';
import { renderHealth } from '../../src/cli/top-render.js';
import { requireRunningConfig } from '../../src/cluster/local-cluster.js';
import { defaultThresholds, evaluateHealth, type HealthReport } from '../../src/observability/health.js';
import type { ClusterView } from '../../src/observability/cluster-view.js';

export default class CheckHealth extends LedgerCommand<typeof CheckHealth> {
  static override summary = 'Check leaders, quorums, lag and latency (exit 0 ok, 1 warning, 2 critical)';
  static override description = `Collects one round of the metrics every node publishes each second (waiting at most --wait seconds for every node) and checks them.

Critical: a cluster without a live leader, or with fewer than a majority of its members live (reporting, not failed, not isolated): it cannot commit.

Warning: a node silent (no snapshot for 3 s: down, killed or cut off from NATS), failed or isolated; two live nodes of one cluster both saying they lead; a replica more than --lag-max slots behind its leader's commit; a node whose server-side p99 over the last second exceeds --p99-max-ms.

Defaults: a healthy follower trails by at most the 16-slot pipeline and a few heartbeats, so ${defaultThresholds.lagSlotsMax} slots means it is really behind; ${defaultThresholds.latencyMsP99Max} ms is the client's attempt timeout, after which clients start retrying elsewhere.

Exit codes, for alerting: 0 ok, 1 warning, 2 critical. (A usage error also exits 2, with a message on stderr and no report.)`;
  static override examples = [
    '<%= config.bin %> check health',
    '<%= config.bin %> check health --json',
    '<%= config.bin %> check health --lag-max 500 --p99-max-ms 50',
  ];
  static override flags = {
    'lag-max': Flags.integer({
      description: 'warn when a replica is more than this many slots behind its leader',
      default: defaultThresholds.lagSlotsMax,
      min: 0,
    }),
    'p99-max-ms': Flags.integer({
      description: "warn when a node's p99 over the last second exceeds this many ms",
      default: defaultThresholds.latencyMsP99Max,
      min: 1,
    }),
    wait: secondsFlag({ description: 'seconds to wait for every node to report', default: 3 }),
  };

  async run(): Promise<HealthReport & { view: ClusterView }> {
    const config = requireRunningConfig(this.dataDir);
    const feed = await MetricsFeed.open(config);
    let view: ClusterView;
    try {
      await feed.waitForEveryNode(this.flags.wait * 1000);
      view = feed.view();
    } finally {
      await feed.close();
    }
    const report = evaluateHealth(view, {
      lagSlotsMax: this.flags['lag-max'],
      latencyMsP99Max: this.flags['p99-max-ms'],
    });
    this.log(renderHealth(report));
    this.setExitCode(report.exitCode);
    return { ...report, view };
  }
}
