import { Args, Flags } from '@oclif/core';
import { LedgerCommand } from '../src/cli/base-command.js';
import { withClient } from '../src/cli/connect.js';
import { parsePositiveInteger } from '../src/cli/parse.js';

export default class Balance extends LedgerCommand<typeof Balance> {
  static override summary = "Read an account's balance (PrintBalance)";
  static override description = `The balance is a linearizable read: it goes through the cluster's log, so it reflects every
transfer acknowledged before it was asked. With --replicas it also shows each replica's own copy,
which may lag on a follower (PrintBalance: "n4 : 8, n5 : 8, n6 : 10").`;
  static override examples = ['<%= config.bin %> balance 1001', '<%= config.bin %> balance 1001 --replicas', '<%= config.bin %> balance 1001 --json'];
  static override args = { account: Args.string({ description: 'account number', required: true }) };
  static override flags = { replicas: Flags.boolean({ description: "also show every replica's own copy", default: false }) };

  async run() {
    const account = parsePositiveInteger(this.args.account, 'account');
    return withClient(this.dataDir, async (client) => {
      const read = await client.balance(account);
      if (read.balance === null) process.exitCode = 3;
      this.log(read.balance === null ? `account ${account}: unknown (${read.reason ?? 'no answer'})` : `account ${account}: ${read.balance}`);
      if (!this.flags.replicas) return read;
      const replicas = await client.replicaBalances(account);
      this.log(replicas.map((r) => `n${r.node} : ${r.balance ?? 'down'}`).join(', '));
      return { ...read, replicas };
    });
  }
}
