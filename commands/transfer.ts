import { Args } from '@oclif/core';
import { exitCodes, LedgerCommand } from '../src/cli/base-command.js';
import { withClient } from '../src/cli/connect.js';
import { parsePositiveInteger, unitCount } from '../src/cli/parse.js';
import { ms } from '../src/cli/render.js';
import type { TransferResult } from '../src/client/ledger-client.js';

export default class Transfer extends LedgerCommand<typeof Transfer> {
  static override summary = 'Move AMOUNT units from account FROM to account TO';
  static override description = `Sends the transfer to the leader of the sender's cluster (any node forwards it there) and waits for its outcome:
- committed: the money moved, on a majority of the cluster's replicas
- insufficient-funds: FROM holds less than AMOUNT; nothing changed
- aborted: refused, with a reason; nothing changed
- unknown: sent, no answer in time; it may still commit (a timeout is never a failure)
- unavailable: not sent: no connection to NATS, so nothing can commit

Exit code: 0 committed, 1 insufficient-funds, aborted or unavailable, 2 bad input, 3 unknown.`;
  static override examples = [
    '<%= config.bin %> transfer 1001 1002 3',
    '<%= config.bin %> transfer 1001 1002 3 --json',
  ];
  static override args = {
    from: Args.string({ description: 'sender account', required: true }),
    to: Args.string({ description: 'receiver account', required: true }),
    amount: Args.string({ description: 'units to move (a positive whole number)', required: true }),
  };

  async run(): Promise<TransferResult> {
    const from = parsePositiveInteger(this.args.from, 'sender account');
    const to = parsePositiveInteger(this.args.to, 'receiver account');
    const amount = parsePositiveInteger(this.args.amount, 'amount');
    const result = await withClient(this.dataDir, (client) => client.transfer(from, to, amount));
    const served = result.servedBy === undefined ? '' : ` (served by n${result.servedBy})`;
    this.log(
      `${result.status}: ${from} -> ${to}, ${unitCount(amount)} in ${ms(result.latencyMs)}${served}${result.reason ? `: ${result.reason}` : ''}`,
    );
    this.setExitCode(
      result.status === 'committed'
        ? exitCodes.ok
        : result.status === 'unknown'
          ? exitCodes.unknownOutcome
          : exitCodes.failed,
    );
    return result;
  }
}
