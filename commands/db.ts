import { Flags } from '@oclif/core';
import { LedgerCommand } from '../src/cli/base-command.js';
import { withClient } from '../src/cli/connect.js';
import { table } from '../src/cli/render.js';
import { allNodes } from '../src/ledger/topology.js';

export default class Db extends LedgerCommand<typeof Db> {
  static override summary = 'PrintDB: the accounts whose balance changed, with their balance on every node';
  static override description = `Asks every node (or --node N) for the accounts whose balance differs from the initial one, and
shows them side by side: one row per account, one column per node. A lagging or failed replica
shows its own (older) value; a node that does not answer is listed as unreachable.`;
  static override examples = ['<%= config.bin %> db', '<%= config.bin %> db --node 4', '<%= config.bin %> db --json'];
  static override flags = { node: Flags.integer({ description: 'only this node', min: 1 }) };

  async run() {
    return withClient(this.dataDir, async (client, config) => {
      const nodes = this.flags.node === undefined ? allNodes(config.topology) : [this.flags.node];
      const answers = await Promise.all(nodes.map(async (node) => {
        try {
          return { node, accounts: (await client.modifiedAccounts(node)).accounts };
        } catch (error) {
          return { node, error: (error as Error).message };
        }
      }));
      const byAccount = new Map<number, Record<string, number>>();
      for (const a of answers) {
        for (const { account, balance } of a.accounts ?? []) {
          const row = byAccount.get(account) ?? {};
          row[`n${a.node}`] = balance;
          byAccount.set(account, row);
        }
      }
      const accounts = [...byAccount.entries()].sort((x, y) => x[0] - y[0]).map(([account, balances]) => ({ account, balances }));
      const answered = answers.filter((a) => a.accounts !== undefined).map((a) => a.node);
      if (accounts.length === 0) this.log('no account differs from its initial balance');
      else this.log(table(['account', ...answered.map((n) => `n${n}`)], accounts.map((a) => [a.account, ...answered.map((n) => a.balances[`n${n}`] ?? '')])));
      const unreachable = answers.filter((a) => a.error !== undefined).map((a) => ({ node: a.node, reason: a.error as string }));
      for (const u of unreachable) this.log(`n${u.node}: unreachable (${u.reason})`);
      return { accounts, unreachable };
    });
  }
}
