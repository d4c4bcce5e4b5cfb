import { performance } from 'node:perf_hooks';
import type { Completion, Outcome } from './outcome.js';
import type { BenchRequest } from './workload.js';

export interface Answer {
  outcome: Outcome;
  reason?: string;
  /** Attempts the client sent for it (timeouts and redirects add some), when it says. */
  attempts?: number;
}

export interface PhaseOptions {
  /** Arrivals per second (open loop), or null: a closed loop of `concurrency` workers. */
  rateTps: number | null;
  concurrency: number;
  /** The phase ends after this many requests, or after this long (one of the two). */
  transactions: number | null;
  durationMs: number | null;
  next: () => BenchRequest;
  execute: (request: BenchRequest) => Promise<Answer>;
  onCompletion: (completion: Completion) => void;
  /** Checked before each send: true stops sending (Ctrl-C); requests in flight still finish. */
  stopped?: () => boolean;
  now?: () => number;
}

export interface PhaseResult {
  issued: number;
  startMs: number;
  /** When the last answer came (or the start, if nothing was sent). */
  endMs: number;
}

/**
 * Sends a phase's requests and times each one.
 *
 * Open loop (a rate): request i is due at start + i/rate whatever happened to the ones before
 * it, and its latency is measured from that intended start. When `concurrency` requests are
 * already in flight the due ones queue, and that wait is part of their latency: a stalled
 * system shows up as the long tail it causes for the users arriving meanwhile, instead of being
 * hidden because the load generator politely stopped sending (coordinated omission). Service
 * time (send to answer) is recorded beside it.
 *
 * Closed loop (no rate): `concurrency` requests in flight, each sent when one is answered; the
 * intended start is the actual send, so latency equals service time.
 */
export async function runPhase(o: PhaseOptions): Promise<PhaseResult> {
  const now = o.now ?? (() => performance.now());
  const startMs = now();
  let endMs = startMs;
  const stopAtMs = o.durationMs === null ? Infinity : startMs + o.durationMs;
  const intervalMs = o.rateTps === null ? 0 : 1000 / o.rateTps;
  let issued = 0;
  let inFlight = 0;
  let wake: (() => void) | undefined;
  let drained: (() => void) | undefined;

  /** `dueMs` null: a closed loop, where the intended start is the send itself. */
  const launch = (request: BenchRequest, dueMs: number | null) => {
    const sentMs = now();
    const intendedMs = dueMs ?? sentMs;
    inFlight++;
    const finish = (answer: Answer) => {
      const answeredAtMs = now();
      endMs = Math.max(endMs, answeredAtMs);
      const completion: Completion = {
        type: request.type,
        outcome: answer.outcome,
        latencyUs: (answeredAtMs - intendedMs) * 1000,
        serviceUs: (answeredAtMs - sentMs) * 1000,
        answeredAtMs,
      };
      if (answer.reason !== undefined) completion.reason = answer.reason;
      if (answer.attempts !== undefined) completion.attempts = answer.attempts;
      o.onCompletion(completion);
      inFlight--;
      wake?.();
      if (inFlight === 0) drained?.();
    };
    o.execute(request).then(finish, (error: unknown) =>
      finish({ outcome: 'unknown', reason: error instanceof Error ? error.message : String(error) }),
    );
  };

  for (;;) {
    if (o.stopped?.()) break;
    if (o.transactions !== null && issued >= o.transactions) break;
    const t = now();
    const intendedMs = o.rateTps === null ? t : startMs + issued * intervalMs;
    if (intendedMs >= stopAtMs || (o.rateTps === null && t >= stopAtMs)) break;
    if (inFlight >= o.concurrency) {
      await new Promise<void>((resolve) => (wake = resolve));
      wake = undefined;
      continue;
    }
    if (intendedMs > t) {
      // Not due yet. A timer fires late by up to a few ms; the requests that became due
      // meanwhile are sent at once and their lateness is counted in their latency.
      await new Promise<void>((resolve) => setTimeout(resolve, intendedMs - t));
      continue;
    }
    launch(o.next(), o.rateTps === null ? null : intendedMs);
    issued++;
    // Let answers and timers in between a burst of sends run.
    if (issued % 64 === 0) await new Promise<void>((resolve) => setImmediate(resolve));
  }
  if (inFlight > 0) await new Promise<void>((resolve) => (drained = resolve));
  return { issued, startMs, endMs };
}
