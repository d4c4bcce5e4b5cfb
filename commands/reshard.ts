import { Flags } from '@oclif/core';
import cliProgress from 'cli-progress';
import { LedgerCommand } from '../src/cli/base-command.js';
import { withClient } from '../src/cli/connect.js';
import { table } from '../src/cli/render.js';
import { reshardBalanceToleranceDefault } from '../src/reshard/plan.js';
import { formatMove } from '../src/reshard/render.js';
import { reshard, type ReshardResult } from '../src/reshard/reshard.js';

export default class Reshard extends LedgerCommand<typeof Reshard> {
  static override summary = 'Move accounts so that fewer transfers cross shards (PrintReshard)';
  static override description = `Reads every cluster's history (the last transfers each committed, --history of \`cluster start\`), builds the graph of accounts that transacted (an edge weighted by how often), and partitions it with METIS (gpmetis) into one part per cluster, labelled so that as few accounts as possible move. Accounts that appear in no history stay where they are, and every cluster ends within --tolerance of an even share.

The moves print as triplets, (account, cSOURCE, cDESTINATION), with the cross-shard share of the history before and after. Without --dry-run they are then carried out while transfers go on: each move is chosen in the source's log and then in the destination's, with a new epoch of the shard map; clients that ask the old cluster are sent to the new one. A run that is stopped half-way leaves its plan in the data dir, and the next \`ledger reshard\` completes it (--replan plans afresh). docs/resharding.md tells the whole path.`;
  static override examples = [
    '<%= config.bin %> reshard --dry-run',
    '<%= config.bin %> reshard',
    '<%= config.bin %> reshard --seed 7 --tolerance 0.1 --json',
  ];
  static override flags = {
    'dry-run': Flags.boolean({ description: 'plan and print the moves, change nothing' }),
    seed: Flags.integer({
      description: "METIS's seed: the same history and seed give the same plan",
      default: 1,
      min: 0,
    }),
    tolerance: Flags.string({
      description: `how far from an even share of accounts a cluster may end, as a fraction [default: ${reshardBalanceToleranceDefault}]`,
    }),
    replan: Flags.boolean({ description: 'plan afresh instead of completing an unfinished plan' }),
  };

  async run(): Promise<ReshardResult> {
    const f = this.flags;
    const tolerance = f.tolerance === undefined ? reshardBalanceToleranceDefault : Number(f.tolerance);
    if (!(Number.isFinite(tolerance) && tolerance >= 0 && tolerance < 1))
      this.error(`--tolerance must be a fraction from 0 to below 1, got ${f.tolerance}`, { exit: 2 });
    const quiet = this.jsonEnabled() || !process.stdout.isTTY;
    let bar: cliProgress.SingleBar | undefined;
    const result = await withClient(this.dataDir, (client, config) =>
      reshard(client, config.topology, {
        seed: f.seed,
        balanceTolerance: tolerance,
        dryRun: f['dry-run'],
        dataDir: this.dataDir,
        replan: f.replan,
        onProgress: (done, total) => {
          if (quiet) return;
          bar ??= new cliProgress.SingleBar(
            { format: '  moving [{bar}] {value}/{total} accounts', clearOnComplete: true, hideCursor: true },
            cliProgress.Presets.shades_classic,
          );
          if (done === 1 || !bar.isActive) bar.start(total, done);
          bar.update(done);
          if (done === total) bar.stop();
        },
      }),
    );
    bar?.stop();
    const { plan } = result;
    if (result.resumed) this.log(`completing the unfinished plan left by a run that stopped (seed ${plan.seed})`);
    for (const m of plan.moves) this.log(formatMove(m));
    if (plan.moves.length === 0) this.log('no account moves');
    const pct = (x: number) => `${(x * 100).toFixed(1)} %`;
    this.log(
      `cross-shard share of ${plan.historyTransfers} transfers: ${pct(plan.crossShareBefore)} → ${pct(plan.crossShareAfter)}`,
    );
    this.log(
      table(
        ['cluster', 'accounts before', 'accounts after'],
        plan.clusters.map((c) => [`c${c.cluster}`, c.accountsBefore, c.accountsAfter]),
      ),
    );
    if (!plan.withinTolerance)
      this.logToStderr(`warning: not every cluster is within ±${pct(plan.balanceTolerance)} of an even share`);
    if (result.applied !== undefined) {
      const a = result.applied;
      const longest = Math.max(0, ...a.moves.map((m) => m.durationMs));
      this.log(
        `moved ${a.moves.reduce((n, m) => n + m.accounts.length, 0)} accounts in ${a.moves.length} moves in ${a.durationMs} ms (longest move ${longest} ms); shard map epoch ${a.mapEpoch}` +
          (a.alreadyThere > 0 ? `; ${a.alreadyThere} were already there` : ''),
      );
    } else if (f['dry-run']) this.log('dry run: nothing moved');
    return result;
  }
}
