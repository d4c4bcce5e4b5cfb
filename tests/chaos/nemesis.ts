import { setTimeout as sleep } from 'node:timers/promises';
import { performance } from 'node:perf_hooks';
import { SeededRandom } from '../../src/core/random.js';
import type { FaultRecord } from './history.js';
import type { ChaosSystem } from './system.js';

/** Every fault the nemesis draws from (issue 12, item 2). */
export const faultKinds = [
  'kill-node',
  'kill-leader',
  'kill-all',
  'stop-node',
  'stop-leader',
  'isolate-node',
  'isolate-leader',
  'fail-recover',
  'broker-restart',
  'disturb',
] as const;
export type FaultKind = (typeof faultKinds)[number];

export interface NemesisOptions {
  seed: number;
  /** The kinds to draw from (all by default). */
  kinds: readonly FaultKind[];
  /** Take the kinds in a shuffled cycle, so a short run sees each at least once; otherwise draw
   *  each fault at random. */
  everyKind: boolean;
  /** Quiet time between two faults, ms. */
  calmMs: [number, number];
  /** How long a fault lasts before it is healed, ms ("several election timeouts"). */
  holdMs: [number, number];
}

/**
 * The nemesis: one fault at a time, each held for a while and then healed, with quiet time in
 * between, drawn from a seeded generator so a seed names the schedule. It acts from the outside:
 * signals to the nodes' PIDs, a kill and restart of the broker, and the admin subject's fault
 * ops (`ledger node isolate|fail`, and their heal). It records each fault with when it was
 * injected and when it was healed.
 */
export class Nemesis {
  readonly faults: FaultRecord[] = [];
  /** What went wrong while injecting or healing (a node that stopped answering, say). */
  readonly problems: string[] = [];
  private readonly random: SeededRandom;
  private cycle: FaultKind[] = [];
  private stopRequested = false;

  constructor(
    private readonly system: ChaosSystem,
    private readonly options: NemesisOptions,
    private readonly log: (line: string) => void = () => undefined,
  ) {
    this.random = new SeededRandom(options.seed);
  }

  /** Injects faults until `untilMs` (performance.now()) or stop(); every fault is healed on
   *  return. With `everyKind`, it goes on past `untilMs` until each kind was injected once (a
   *  loaded machine is slower; the caller extends the load to match). */
  async run(untilMs: number): Promise<void> {
    const injected = new Set<string>();
    const everyKindDone = () => !this.options.everyKind || this.options.kinds.every((k) => injected.has(k));
    while (!this.stopRequested) {
      await sleep(this.between(this.options.calmMs));
      const holdMs = this.between(this.options.holdMs);
      // A fault that could not be healed before the end is not started.
      if ((performance.now() + holdMs + 3_000 > untilMs && everyKindDone()) || this.stopRequested) break;
      const kind = this.nextKind();
      injected.add(kind);
      try {
        await this.inject(kind, holdMs);
      } catch (error) {
        // Recorded and the run goes on: the harness heals everything before it judges.
        this.problems.push(`${kind}: ${(error as Error).message}`);
        this.log(`nemesis: ${kind} failed: ${(error as Error).message}`);
      }
      const crashed = this.system.crashedNodes();
      if (crashed.length > 0) {
        this.problems.push(`after ${kind}: n${crashed.join(', n')} crashed (not killed by the nemesis)`);
        break;
      }
    }
  }

  stop(): void {
    this.stopRequested = true;
  }

  private nextKind(): FaultKind {
    if (!this.options.everyKind) return this.random.pick(this.options.kinds);
    if (this.cycle.length === 0) {
      this.cycle = [...this.options.kinds];
      for (let i = this.cycle.length - 1; i > 0; i--) {
        const j = this.random.int(0, i);
        [this.cycle[i], this.cycle[j]] = [this.cycle[j] as FaultKind, this.cycle[i] as FaultKind];
      }
    }
    return this.cycle.shift() as FaultKind;
  }

  private between([lo, hi]: [number, number]): number {
    return this.random.int(lo, hi);
  }

  private async inject(kind: FaultKind, holdMs: number): Promise<void> {
    const s = this.system;
    const randomNode = () => this.random.pick(s.nodes());
    /** A leader, or any node when no cluster has one at the moment. */
    const aLeader = async () => {
      const leaders = [...(await s.leaders()).values()];
      return leaders.length > 0 ? this.random.pick(leaders) : randomNode();
    };
    let nodes: number[] = [];
    let startMs = performance.now();
    let heal: () => Promise<void>;
    switch (kind) {
      case 'kill-node':
      case 'kill-leader': {
        const node = kind === 'kill-node' ? randomNode() : await aLeader();
        nodes = [node];
        startMs = performance.now();
        await s.kill(node);
        heal = () => s.restart(node);
        break;
      }
      case 'kill-all': {
        nodes = s.nodes();
        startMs = performance.now();
        await Promise.all(nodes.map((node) => s.kill(node)));
        heal = async () => {
          for (const node of nodes) await s.restart(node);
        };
        break;
      }
      case 'stop-node':
      case 'stop-leader': {
        const node = kind === 'stop-node' ? randomNode() : await aLeader();
        nodes = [node];
        startMs = performance.now();
        await s.pause(node);
        heal = () => s.resume(node);
        break;
      }
      case 'isolate-node':
      case 'isolate-leader': {
        const node = kind === 'isolate-node' ? randomNode() : await aLeader();
        nodes = [node];
        startMs = performance.now();
        await adminFault(s, node, 'isolate');
        heal = () => adminFault(s, node, 'heal');
        break;
      }
      case 'fail-recover': {
        const node = randomNode();
        nodes = [node];
        startMs = performance.now();
        await adminFault(s, node, 'fail');
        heal = () => adminFault(s, node, 'recover');
        break;
      }
      case 'disturb': {
        // The transport failpoint (`ledger node disturb`) on every node at once: client requests
        // and 2PC messages duplicated and delayed, so reordered.
        nodes = s.nodes();
        startMs = performance.now();
        const settings = { duplicatePercent: this.random.int(10, 50), delayMsMax: this.random.int(20, 200) };
        for (const node of nodes) await retried(() => s.admin.disturb(node, settings));
        heal = async () => {
          for (const node of nodes) await retried(() => s.admin.disturb(node, { duplicatePercent: 0, delayMsMax: 0 }));
        };
        break;
      }
      case 'broker-restart': {
        startMs = performance.now();
        // The fault is the broker's absence; it is back when restartBroker resolves.
        heal = () => s.restartBroker();
        holdMs = 0;
        break;
      }
    }
    this.log(`nemesis: ${kind}${nodes.length > 0 ? ` on n${nodes.join(',n')}` : ''} for ${holdMs} ms`);
    await sleep(holdMs);
    await heal();
    const freezesClock = kind === 'stop-node' || kind === 'stop-leader';
    this.faults.push({ kind, nodes, startMs, healedMs: performance.now(), ...(freezesClock ? { freezesClock } : {}) });
  }
}

/** An admin fault op, retried while the node does not answer (it may be busy catching up). */
function adminFault(s: ChaosSystem, node: number, op: 'isolate' | 'heal' | 'fail' | 'recover'): Promise<void> {
  return retried(() => s.admin.injectFault(node, op));
}

/** An admin request, retried for up to 10 s while the node does not answer. */
async function retried(request: () => Promise<unknown>): Promise<void> {
  const deadline = performance.now() + 10_000;
  for (;;) {
    try {
      await request();
      return;
    } catch (error) {
      if (performance.now() > deadline) throw error;
      await sleep(100);
    }
  }
}
