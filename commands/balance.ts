import { Args, Flags } from '@oclif/core';
import { LedgerCommand } from '../src/cli/base-command.js';
import { withClient } from '../src/cli/connect.js';
import { printBalance } from '../src/cli/inspect.js';
import { parsePositiveInteger } from '../src/cli/parse.js';
import { consistencies, type Consistency } from '../src/ledger/commands.js';

export default class Balance extends LedgerCommand<typeof Balance> {
  static override summary = "Read an account's balance (PrintBalance)";
  static override description = `--consistency says how fresh the answer must be:
  linearizable  (default) goes through the cluster's log like a write: reflects every transfer
                acknowledged before it was asked; waits while a cross-shard transfer holds it
  leader        the leader's state, no log round: faster; just after a leader change it can
                miss the newest acknowledged transfers
  any           the first replica asked answers from its own state: fastest, may be stale
None returns a tentative value: an account held by an undecided cross-shard transfer is shown
as it was before it. With --replicas it also shows each replica's own copy, which may lag on a
follower (PrintBalance: "n4 : 8, n5 : 8, n6 : 10").`;
  static override examples = ['<%= config.bin %> balance 1001', '<%= config.bin %> balance 1001 --replicas', '<%= config.bin %> balance 1001 --consistency any', '<%= config.bin %> balance 1001 --json'];
  static override args = { account: Args.string({ description: 'account number', required: true }) };
  static override flags = {
    replicas: Flags.boolean({ description: "also show every replica's own copy", default: false }),
    consistency: Flags.string({ description: 'linearizable, leader or any (see above)', options: [...consistencies], default: 'linearizable' }),
  };

  async run() {
    const account = parsePositiveInteger(this.args.account, 'account');
    return withClient(this.dataDir, async (client) => {
      const read = await client.balance(account, this.flags.consistency as Consistency);
      // Exit 3 when the read went out unanswered, 1 when it could not be sent (as `transfer`).
      if (read.balance === null) process.exitCode = read.sent ? 3 : 1;
      this.log(read.balance === null ? `account ${account}: ${read.sent ? 'unknown' : 'unavailable'} (${read.reason ?? 'no answer'})` : `account ${account}: ${read.balance}`);
      if (!this.flags.replicas) return read;
      const { replicas, line } = await printBalance(client, account);
      this.log(line);
      return { ...read, replicas };
    });
  }
}
