import type { TxType } from './workload.js';

/**
 * What became of one request. A read that returned a value counts as `committed`; one that got
 * no value (no answer in time, or refused) as `unknown`: a read changes nothing, so there is
 * nothing to abort.
 */
export type Outcome = 'committed' | 'aborted' | 'insufficient-funds' | 'unknown';
export const outcomes: readonly Outcome[] = ['committed', 'aborted', 'insufficient-funds', 'unknown'];

/** Successful: committed transfers and answered reads (what throughput counts). */
export function isSuccess(outcome: Outcome): boolean {
  return outcome === 'committed';
}

/** Errors in the progress line: aborted and unknown. Insufficient funds is the ledger saying
 *  no, correctly; it is counted, but not as an error of the system. */
export function isError(outcome: Outcome): boolean {
  return outcome === 'aborted' || outcome === 'unknown';
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
  /** Why it was aborted or is unknown, when the client said. */
  reason?: string;
}
