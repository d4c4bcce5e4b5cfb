import type { LedgerClient } from '../client/ledger-client.js';
import type { Consistency } from '../protocol/commands.js';
import type { Answer } from './scheduler.js';
import type { BenchRequest } from './workload.js';

/** The reason of every request that could not be sent, so the report counts them in one line
 *  (`unavailable: not sent`), whatever the client said about the connection. */
export const notSentReason = 'not sent';

/** Backoff before a request after requests that could not be sent: 10 ms doubling to 1 s. */
const notSentBackoffMs = { first: 10, max: 1_000 };

/**
 * Sends one benchmark request through the ordinary client (routing, retries, sessions).
 *
 * While the connection is lost the client itself waits for it, so a request is `unavailable`
 * only after its whole deadline, or at once when the connection is closed for good. In that
 * last case every request would fail at once: a worker would spin. So after a request that was
 * not sent, the next ones wait first, exponentially longer with full jitter, up to 1 s: at most
 * about 100 tries a second per worker, fewer as the outage lasts. The wait is part of the
 * request's latency, as it would be for a user.
 */
export function executor(
  client: LedgerClient,
  consistency: Consistency,
  random: () => number = Math.random,
): (request: BenchRequest) => Promise<Answer> {
  let notSentInARow = 0;
  const answer = (a: Answer): Answer => {
    notSentInARow = a.outcome === 'unavailable' ? notSentInARow + 1 : 0;
    return a;
  };
  return async (request) => {
    if (notSentInARow > 0) {
      const capMs = Math.min(notSentBackoffMs.max, notSentBackoffMs.first * 2 ** Math.min(notSentInARow - 1, 16));
      await new Promise((resolve) => setTimeout(resolve, Math.max(notSentBackoffMs.first, random() * capMs)));
    }
    if (request.type === 'read') {
      const read = await client.balance(request.account, consistency);
      if (read.balance !== null) return answer({ outcome: 'committed' });
      return answer(
        read.sent
          ? { outcome: 'unknown', reason: read.reason ?? 'no answer' }
          : { outcome: 'unavailable', reason: notSentReason },
      );
    }
    const result = await client.transfer(request.from, request.to, request.amount);
    if (result.status === 'unavailable') return answer({ outcome: 'unavailable', reason: notSentReason });
    const attempts = result.attempts;
    // The reason of an insufficient-funds answer names an account and its balance: too many
    // distinct strings to count usefully, so only aborted and unknown keep theirs.
    if (result.status === 'aborted' || result.status === 'unknown')
      return answer({ outcome: result.status, reason: result.reason ?? 'no reason given', attempts });
    return answer({ outcome: result.status, attempts });
  };
}
