import type { TxType } from './workload.js';

/**
 * What became of one request. A read that returned a value counts as `committed`; one that got
 * no value (no answer in time, or refused) as `unknown`: a read changes nothing, so there is
 * nothing to abort. `unavailable` is a request that was not sent (no connection to NATS: no
 * attempt left the process), so, unlike `unknown`, it cannot commit later.
 */
export type Outcome = 'committed' | 'aborted' | 'insufficient-funds' | 'unknown' | 'unavailable';
export const outcomes: readonly Outcome[] = ['committed', 'aborted', 'insufficient-funds', 'unknown', 'unavailable'];

/** Successful: committed transfers and answered reads (what throughput counts). */
export function isSuccess(outcome: Outcome): boolean {
  return outcome === 'committed';
}

/** Errors in the progress line: aborted, unknown and unavailable. Insufficient funds is the
 *  ledger saying no, correctly; it is counted, but not as an error of the system. */
export function isError(outcome: Outcome): boolean {
  return outcome === 'aborted' || outcome === 'unknown' || outcome === 'unavailable';
}

export interface Completion {
  type: TxType;
  outcome: Outcome;
  /** From the request's intended start (its slot in the arrival schedule) to its answer. */
  latencyUs: number;
  /** From the moment it was actually sent to its answer. */
  serviceUs: number;
  /** performance.now() at the answer. */
  answeredAtMs: number;
  /** Why it was aborted, unknown or unavailable, when the client said. */
  reason?: string;
  /** Attempts sent for it (a transfer: the first, and one per timeout or redirect). */
  attempts?: number;
}
