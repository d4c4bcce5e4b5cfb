import type { Scheduler } from '../../src/ports/runtime.js';

/**
 * Virtual time for one simulated node's runtime (the runtime's Scheduler port). A drain runs at
 * once, as a turn of the real node's event loop ends after each input. The persist of a ready
 * whose accepts already left is held back until the simulator settles the node, so that
 * messages and ticks can arrive meanwhile: the runtime must hold them until that persist is
 * done. (In the real node it is a microtask and nothing can arrive in between; the runtime does
 * not rely on that, and this is where the simulator checks it does not.)
 */
export class SimScheduler implements Scheduler {
  private deferred: Array<() => void> = [];

  constructor(private readonly clockMs: () => number) {}

  nowMs(): number {
    return this.clockMs();
  }

  soon(run: () => void): void {
    run();
  }

  afterSend(run: () => void): void {
    this.deferred.push(run);
  }

  /** A persist is held back: inputs now are held by the runtime. */
  get holding(): boolean {
    return this.deferred.length > 0;
  }

  /** Runs what was held back, and what that holds back in turn. */
  settle(): void {
    while (this.deferred.length > 0) {
      const runs = this.deferred;
      this.deferred = [];
      for (const run of runs) run();
    }
  }

  /** A crash: what was held back never runs. */
  drop(): void {
    this.deferred = [];
  }
}
