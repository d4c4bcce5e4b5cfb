import type { NodeId } from '../../src/protocol/ids.js';
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

/**
 * The broker's max_payload: NATS refuses to publish a larger message, so it never leaves the
 * sender. `sizeOf` gives the size of the message as the node would publish it.
 */
export interface PayloadLimit<M> {
  bytesMax: number;
  sizeOf: (message: M) => number;
}

/** Messages the payload limit dropped: how many, and the largest one for the failure report. */
export interface OversizeDrops {
  count: number;
  largestBytes: number;
  largest: string;
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
  readonly oversize: OversizeDrops = { count: 0, largestBytes: 0, largest: '' };

  constructor(
    private readonly random: SeededRandom,
    public faults: NetworkFaults,
    private readonly payloadLimit?: PayloadLimit<M>,
    private readonly describe: (message: M) => string = () => 'a message',
  ) {}

  send(nowTick: number, from: NodeId, to: NodeId, message: M): void {
    if (this.payloadLimit !== undefined && this.tooLarge(from, to, message, this.payloadLimit)) return;
    if (this.cut.has(`${from}>${to}`)) return;
    if (this.random.chance(this.faults.lossRate)) return;
    const copies = this.random.chance(this.faults.duplicateRate) ? 2 : 1;
    for (let i = 0; i < copies; i++) {
      const late = this.random.chance(this.faults.lateRate);
      const delay = late
        ? this.random.int(this.faults.delayTicksMax, this.faults.lateTicksMax)
        : this.random.int(this.faults.delayTicksMin, this.faults.delayTicksMax);
      this.inFlight.push({ deliverAtTick: nowTick + delay, order: this.random.next(), from, to, message });
    }
  }

  private tooLarge(from: NodeId, to: NodeId, message: M, limit: PayloadLimit<M>): boolean {
    const bytes = limit.sizeOf(message);
    if (bytes <= limit.bytesMax) return false;
    this.oversize.count++;
    if (bytes > this.oversize.largestBytes) {
      this.oversize.largestBytes = bytes;
      this.oversize.largest = `n${from}>n${to} ${this.describe(message)}`;
    }
    return true;
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
