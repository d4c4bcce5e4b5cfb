/**
 * Client requests waiting at the leader for their command to apply, by command key. A retry of
 * a command already in flight joins it, and both are answered by the one outcome.
 */
export class ClientWaiters {
  private readonly byKey = new Map<string, number[]>();

  has(key: string): boolean {
    return this.byKey.has(key);
  }

  /** `reqId` waits for the command keyed `key` (with any request already waiting for it). */
  add(key: string, reqId: number): void {
    const waiting = this.byKey.get(key);
    if (waiting === undefined) this.byKey.set(key, [reqId]);
    else waiting.push(reqId);
  }

  /** The requests waiting for `key`, forgotten here. */
  take(key: string): number[] {
    const waiting = this.byKey.get(key) ?? [];
    this.byKey.delete(key);
    return waiting;
  }

  /** Every waiting request, forgotten here (the leadership is lost). */
  takeAll(): number[] {
    const all = [...this.byKey.values()].flat();
    this.byKey.clear();
    return all;
  }
}
