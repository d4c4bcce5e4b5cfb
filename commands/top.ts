import { Flags } from '@oclif/core';
import { LedgerCommand } from '../src/cli/base-command.js';
import { MetricsFeed } from '../src/cli/metrics-feed.js';
import { secondsFlag } from '../src/cli/seconds-flag.js';
import { stdoutLayout } from '../src/cli/render.js';
import { renderTop } from '../src/cli/top-render.js';
import { withBallotJson } from '../src/cli/json-shapes.js';
import { requireRunningConfig } from '../src/cluster/local-cluster.js';

export default class Top extends LedgerCommand<typeof Top> {
  static override summary = 'Live per-node role, leader, throughput, latency and lag';
  static override description = `Listens to the snapshots every node publishes on ledger.events each second and shows one line per node: role, the leader it follows, ballot, commit index, lag (slots behind its leader's commit), answers/s and commits/s, server-side p50/p99 (request arrival to reply), queues (requests waiting at the node / commands the leader holds), mean commands per proposed slot, commits answered since start, and when it last reported.

A node without a snapshot for 3 s is shown silent; a node under \`ledger node fail\` keeps reporting and shows as failed.

On a terminal it redraws in place until Ctrl-C. It rides out a restart of nats-server: the head line then says "disconnected from NATS, reconnecting (attempt N)" until the connection is back. With --once or --json it waits until every node has reported (at most --wait seconds), prints one snapshot and exits 0.`;
  static override examples = [
    '<%= config.bin %> top',
    '<%= config.bin %> top --once',
    '<%= config.bin %> top --json',
    '<%= config.bin %> top --interval 0.5',
  ];
  static override flags = {
    once: Flags.boolean({ description: 'print one snapshot and exit (implied by --json)', default: false }),
    interval: secondsFlag({ description: 'seconds between redraws', default: 1 }),
    wait: secondsFlag({ description: 'with --once: seconds to wait for every node to report', default: 3 }),
    wide: Flags.boolean({
      description: 'every column, however wide (a terminal otherwise drops the least useful ones to fit)',
      default: false,
    }),
  };

  async run() {
    const config = requireRunningConfig(this.dataDir);
    const once = this.flags.once || this.jsonEnabled();
    const feed = await MetricsFeed.open(config, !once);
    try {
      if (once) {
        const complete = await feed.waitForEveryNode(this.flags.wait * 1000);
        const view = feed.view();
        this.log(renderTop(view, undefined, stdoutLayout({ wide: this.flags.wide })));
        return { ...view, nodes: view.nodes.map(withBallotJson), complete };
      }
      await this.live(feed);
      const view = feed.view();
      return { ...view, nodes: view.nodes.map(withBallotJson), complete: true };
    } finally {
      await feed.close();
    }
  }

  /** Redraws every interval until Ctrl-C; on a terminal in place, otherwise one frame after another. */
  private async live(feed: MetricsFeed): Promise<void> {
    const tty = process.stdout.isTTY === true;
    let stop = false;
    const stopped = new Promise<void>((resolve) => {
      this.onStopSignal(() => {
        stop = true;
        resolve();
      });
    });
    while (!stop) {
      const frame = `${renderTop(feed.view(), feed.connectionNote(), stdoutLayout({ wide: this.flags.wide }))}\n${tty ? 'Ctrl-C to quit' : ''}`;
      // Home and clear, then the frame: one write, so the screen never shows half a table.
      process.stdout.write(tty ? `\x1b[H\x1b[2J${frame}\n` : `${frame}\n`);
      await Promise.race([stopped, new Promise((resolve) => setTimeout(resolve, this.flags.interval * 1000))]);
    }
  }
}
