import type { NodeId } from '../../src/core/ids.js';
import type { SeededRandom } from '../../src/core/random.js';

/** How hostile the simulated network is. Probabilities are per message. */
export interface NetworkFaults {
  lossRate: number;
  duplicateRate: number;
  delayTicksMin: number;
  delayTicksMax: number;
  /** Share of messages held back far longer than the normal delay (stale deliveries). */
  lateRate: number;
  lateTicksMax: number;
}

interface InFlight<M> {
  deliverAtTick: number;
  /** Tie-breaker drawn from the seed, so equal delivery times arrive in a random order. */
  order: number;
  from: NodeId;
  to: NodeId;
  message: M;
}

/**
 * A simulated network between nodes: loses, duplicates, delays and reorders messages, and
 * drops whatever crosses a partition. Everything it decides comes from the seeded random.
 */
export class SimNetwork<M> {
  private inFlight: InFlight<M>[] = [];
  /** Directed links that are cut: "from>to". */
  private readonly cut = new Set<string>();

  constructor(
    private readonly random: SeededRandom,
    public faults: NetworkFaults,
  ) {}

  send(nowTick: number, from: NodeId, to: NodeId, message: M): void {
    if (this.cut.has(`${from}>${to}`)) return;
    if (this.random.chance(this.faults.lossRate)) return;
    const copies = this.random.chance(this.faults.duplicateRate) ? 2 : 1;
    for (let i = 0; i < copies; i++) {
      const late = this.random.chance(this.faults.lateRate);
      const delay = late ? this.random.int(this.faults.delayTicksMax, this.faults.lateTicksMax) : this.random.int(this.faults.delayTicksMin, this.faults.delayTicksMax);
      this.inFlight.push({ deliverAtTick: nowTick + delay, order: this.random.next(), from, to, message });
    }
  }

  /** Messages due by `nowTick`, in a random order; a cut link drops them on arrival too. */
  takeDue(nowTick: number): Array<{ from: NodeId; to: NodeId; message: M }> {
    const due: InFlight<M>[] = [];
    const rest: InFlight<M>[] = [];
    for (const m of this.inFlight) (m.deliverAtTick <= nowTick ? due : rest).push(m);
    this.inFlight = rest;
    due.sort((a, b) => a.order - b.order);
    return due.filter((m) => !this.cut.has(`${m.from}>${m.to}`));
  }

  /** Cuts every link between `group` and the other nodes, both ways (or one way). */
  partition(group: NodeId[], others: NodeId[], direction: 'both' | 'outbound' = 'both'): void {
    for (const a of group) {
      for (const b of others) {
        this.cut.add(`${a}>${b}`);
        if (direction === 'both') this.cut.add(`${b}>${a}`);
      }
    }
  }

  heal(): void {
    this.cut.clear();
  }

  get pending(): number {
    return this.inFlight.length;
  }
}
