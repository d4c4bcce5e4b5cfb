/**
 * Callers waiting for a connection to come back (Transport.whenConnected), woken by a reconnect
 * or by the close, or given up on after their timeout. Shared by every Transport so the waiting
 * rule is written once.
 */
export class ConnectionWaiters {
  private readonly waiters = new Set<() => void>();

  /** Resolves with `isUsable()` at the first wake() or after `timeoutMs`, whichever is first;
   *  at once when `isUsable()` already holds or `isClosed()` (no reconnect will come). */
  wait(timeoutMs: number, isUsable: () => boolean, isClosed: () => boolean): Promise<boolean> {
    if (isClosed()) return Promise.resolve(false);
    if (isUsable()) return Promise.resolve(true);
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.waiters.delete(done);
        resolve(isUsable());
      };
      const timer = setTimeout(done, Math.max(0, timeoutMs));
      this.waiters.add(done);
    });
  }

  /** The connection came back or closed: every waiter looks again. */
  wake(): void {
    for (const waiter of [...this.waiters]) waiter();
  }
}
