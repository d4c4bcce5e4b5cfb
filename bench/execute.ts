import type { LedgerClient } from '../src/client/ledger-client.js';
import type { Consistency } from '../src/ledger/commands.js';
import type { Answer } from './scheduler.js';
import type { BenchRequest } from './workload.js';

/** Sends one benchmark request through the ordinary client (routing, retries, sessions). */
export function executor(client: LedgerClient, consistency: Consistency): (request: BenchRequest) => Promise<Answer> {
  return async (request) => {
    if (request.type === 'read') {
      const read = await client.balance(request.account, consistency);
      return read.balance === null ? { outcome: 'unknown', reason: read.reason ?? 'no answer' } : { outcome: 'committed' };
    }
    const result = await client.transfer(request.from, request.to, request.amount);
    // The reason of an insufficient-funds answer names an account and its balance: too many
    // distinct strings to count usefully, so only aborted and unknown keep theirs.
    if (result.status === 'aborted' || result.status === 'unknown') return { outcome: result.status, reason: result.reason ?? 'no reason given' };
    return { outcome: result.status };
  };
}
