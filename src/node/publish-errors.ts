import type { Logger } from 'pino';
import type { PublishErrorReason, PublishFailure } from '../transport/transport.js';

/** At most one log line per reason in this long: a storm of failures (every accept of a busy
 *  leader, say) must not flood the log, yet the first one shows at once. */
export const publishErrorLogIntervalMs = 10_000;

/**
 * Surfaces failed publishes: counted by reason (the node's metrics and status read the counts)
 * and logged, rate-limited per reason, with how many were left out of the log since the last
 * line. A publish is fire and forget, so this is the only place a failure can be seen.
 */
export class PublishErrors {
  private readonly counts = new Map<PublishErrorReason, number>();
  private readonly lastLoggedMs = new Map<PublishErrorReason, number>();
  private readonly unlogged = new Map<PublishErrorReason, number>();

  constructor(
    private readonly log: Pick<Logger, 'error'>,
    private readonly now: () => number,
    private readonly onCount: (reason: PublishErrorReason) => void = () => undefined,
  ) {}

  record(failure: PublishFailure): void {
    const { reason } = failure;
    this.counts.set(reason, (this.counts.get(reason) ?? 0) + 1);
    this.onCount(reason);
    const now = this.now();
    const last = this.lastLoggedMs.get(reason);
    if (last !== undefined && now - last < publishErrorLogIntervalMs) {
      this.unlogged.set(reason, (this.unlogged.get(reason) ?? 0) + 1);
      return;
    }
    this.lastLoggedMs.set(reason, now);
    const suppressed = this.unlogged.get(reason) ?? 0;
    this.unlogged.set(reason, 0);
    const err = failure.error instanceof Error ? failure.error.message : String(failure.error);
    this.log.error(
      {
        subject: failure.subject,
        bytes: failure.bytes,
        reason,
        err,
        suppressedSinceLastLog: suppressed,
        total: this.counts.get(reason),
      },
      'a publish failed: the message was dropped',
    );
  }

  get total(): number {
    let sum = 0;
    for (const n of this.counts.values()) sum += n;
    return sum;
  }

  byReason(): Record<string, number> {
    return Object.fromEntries(this.counts);
  }
}
