import type { Command } from '../protocol/commands.js';

/**
 * The admitted commands waiting for room in the pipeline, one FIFO per client origin (see
 * clientOrigin in admission.ts), taken in turns: the next slot takes one command from each origin
 * in a rotation that carries on from where the last slot stopped. Without the turns, a client
 * that keeps thousands of commands admitted (its share of the queue) puts every other client
 * behind all of them, so their latency grows with its backlog; with them, another client's
 * command waits for about one slot. Why the reordering is safe:
 * - within an origin the order is kept, and every command of one client id (its sequence
 *   numbers, and the 2PC steps of its transactions, which carry its id) shares that origin;
 * - commands of different origins here are all unanswered, so they are concurrent, and any
 *   order of them is a linearizable one; the writes among them hold their accounts' in-flight
 *   locks, so no two conflict (reads and lock-wait refusals take none, and change no balance).
 */
export class FairBatch {
  private readonly byOrigin = new Map<string, Command[]>();
  /** Origins with commands here, in turn order; `next` is the one whose turn comes first. */
  private rotation: string[] = [];
  private next = 0;
  private count = 0;

  get size(): number {
    return this.count;
  }

  push(origin: string, command: Command): void {
    const fifo = this.byOrigin.get(origin);
    if (fifo !== undefined) fifo.push(command);
    else {
      this.byOrigin.set(origin, [command]);
      this.rotation.push(origin);
    }
    this.count++;
  }

  /** Up to `max` commands in the order the turns would take them, without taking them. */
  peek(max: number): Command[] {
    const picked: Command[] = [];
    const depth = new Map<string, number>();
    for (let i = 0; picked.length < Math.min(max, this.count); i++) {
      const origin = this.rotation[(this.next + i) % this.rotation.length] as string;
      const at = depth.get(origin) ?? 0;
      const command = (this.byOrigin.get(origin) as Command[])[at];
      if (command === undefined) continue;
      picked.push(command);
      depth.set(origin, at + 1);
    }
    return picked;
  }

  /** Takes the first `n` commands of peek(n); the turn passes to the origin after the last one
   *  served, and origins left with nothing leave the rotation. */
  take(n: number): Command[] {
    const taken: Command[] = [];
    const length = this.rotation.length;
    let i = this.next;
    while (taken.length < n && this.count > 0) {
      const command = (this.byOrigin.get(this.rotation[i % length] as string) as Command[]).shift();
      if (command !== undefined) {
        taken.push(command);
        this.count--;
      }
      i++;
    }
    const inTurn = Array.from({ length }, (_, k) => this.rotation[(i + k) % length] as string);
    this.rotation = inTurn.filter((origin) => {
      if ((this.byOrigin.get(origin) as Command[]).length > 0) return true;
      this.byOrigin.delete(origin);
      return false;
    });
    this.next = 0;
    return taken;
  }

  clear(): void {
    this.byOrigin.clear();
    this.rotation = [];
    this.next = 0;
    this.count = 0;
  }
}
