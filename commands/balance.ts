import { Args, Flags } from '@oclif/core';
import { exitCodes, LedgerCommand } from '../src/cli/base-command.js';
import { withClient } from '../src/cli/connect.js';
import { printBalance } from '../src/cli/inspect.js';
import { parsePositiveInteger } from '../src/cli/parse.js';
import { consistencies, type Consistency } from '../src/protocol/commands.js';

export default class Balance extends LedgerCommand<typeof Balance> {
  static override summary = "Read an account's balance (PrintBalance)";
  static override description = `--consistency says how fresh the answer must be:
- linearizable (default): goes through the cluster's log like a write: reflects every transfer acknowledged before it was asked; waits while a cross-shard transfer holds it
- leader: the state of the node that leads, no log round: faster. A leader cut off from its majority keeps answering until it steps down, up to 2 minimum election timeouts and a heartbeat (about 650 ms at defaults) after it last heard from a majority; such an answer misses what a newer leader committed meanwhile (an operator's "ledger node lead" opens the same window). An account held by an undecided cross-shard transfer is read through the log, as linearizable
- any: the first replica asked answers from its own state: fastest, may be stale by any amount (a lagging or cut-off follower)

Every level returns the balance after some prefix of the chosen log, never a tentative value: an account held by an undecided cross-shard transfer is shown as it was before it (or, for linearizable and leader, once it is decided). With --replicas it also shows each replica's own copy, which may lag on a follower, with undecided amounts apart (PrintBalance: "n4 : 8, n5 : 8 (+2 pending), n6 : 10").`;
  static override examples = [
    '<%= config.bin %> balance 1001',
    '<%= config.bin %> balance 1001 --replicas',
    '<%= config.bin %> balance 1001 --consistency any',
    '<%= config.bin %> balance 1001 --json',
  ];
  static override args = { account: Args.string({ description: 'account number', required: true }) };
  static override flags = {
    replicas: Flags.boolean({ description: "also show every replica's own copy", default: false }),
    consistency: Flags.string({
      description: 'how fresh the answer must be: linearizable, leader or any (see DESCRIPTION)',
      options: [...consistencies],
      default: 'linearizable',
    }),
  };

  async run() {
    const account = parsePositiveInteger(this.args.account, 'account');
    return withClient(this.dataDir, async (client) => {
      const read = await client.balance(account, this.flags.consistency as Consistency);
      // Exit 3 when the read went out unanswered, 1 when it could not be sent (as `transfer`).
      if (read.balance === null) this.setExitCode(read.sent ? exitCodes.unknownOutcome : exitCodes.failed);
      this.log(
        read.balance === null
          ? `account ${account}: ${read.sent ? 'unknown' : 'unavailable'} (${read.reason ?? 'no answer'})`
          : `account ${account}: ${read.balance}`,
      );
      if (!this.flags.replicas) return read;
      const { replicas, line } = await printBalance(client, account);
      this.log(line);
      return { ...read, replicas };
    });
  }
}
