import { SeededRandom } from '../../src/core/random.js';
import type { Command, Operation } from '../../src/protocol/commands.js';
import type { Response } from '../../src/protocol/client.js';
import type { NodeId } from '../../src/protocol/ids.js';
import type { LedgerState } from '../../src/ledger/state.js';

/** What the reshard driver sees of the simulation. */
export interface ReshardView {
  tick: number;
  faultsOn: boolean;
  clusterCount: number;
  membersOf(cluster: number): NodeId[];
  /** The state of the cluster's live replica that applied the most, if any is up. */
  mostAdvanced(cluster: number): LedgerState | undefined;
  /** Sends a client request from the driver's endpoint to a node. */
  send(to: NodeId, command: Command): void;
  log(line: string): void;
}

const answerTimeoutTicks = 40;

/**
 * A seeded stand-in for `ledger reshard` (src/reshard/apply.ts) in the simulator: at random
 * times it picks 1..4 accounts that one cluster holds (as its most advanced replica says) and
 * asks that cluster, as a client would (routing, forwarding, leaders, retries), to move them to
 * another one at 1 + the highest map epoch it has seen; now and then it tells a third cluster
 * the map entries it knows (`map-merge`). Now and then it is "killed" while a move is
 * unanswered and starts over from what the maps say, as a re-run of the CLI would: the
 * abandoned move-out may still be chosen later.
 */
export class ReshardDriver {
  readonly endpoint = 3000;
  private readonly clientId = 'reshard-driver';
  private readonly random: SeededRandom;
  readonly enabled: boolean;
  private seq = 0;
  private nextMoveAtTick: number;
  private current:
    | { command: Command; cluster: number; sentAtTick: number; startedAtTick: number; hint: NodeId | undefined }
    | undefined;
  /** The highest epoch it sent in this run of the driver (forgotten when it is killed). */
  private epochSent = 0;
  movesSent = 0;
  movesAnswered = 0;
  restarts = 0;
  mapMergesSent = 0;

  constructor(seed: number, clusterCount: number, heavy: boolean) {
    // Its own stream: seeds without moves run exactly as before.
    this.random = new SeededRandom((seed ^ 0x7e5a4d) >>> 0);
    this.enabled = clusterCount > 1 && !heavy && this.random.chance(0.3);
    this.nextMoveAtTick = this.random.int(20, 200);
  }

  /** Nothing unanswered. */
  get idle(): boolean {
    return this.current === undefined;
  }

  drive(view: ReshardView): void {
    if (!this.enabled) return;
    const r = this.random;
    if (this.current !== undefined && view.faultsOn && view.tick - this.current.startedAtTick > 10 && r.chance(0.01)) {
      // Killed half-way and run again: what it sent may still be chosen.
      view.log(`t${view.tick} reshard driver restarts, abandoning ${JSON.stringify(this.current.command)}`);
      // A re-run with a new plan often starts where the last one was: the same source.
      const source = r.chance(0.5) ? this.current.cluster : undefined;
      this.current = undefined;
      this.epochSent = 0;
      this.restarts++;
      this.nextMoveAtTick = view.tick + r.int(0, 30);
      if (source !== undefined) this.startMove(view, source);
    }
    if (this.current === undefined && view.faultsOn && view.tick >= this.nextMoveAtTick) this.startMove(view);
    if (view.faultsOn && r.chance(0.005)) this.sendMapMerge(view);
    const cur = this.current;
    if (cur !== undefined && view.tick - cur.sentAtTick >= answerTimeoutTicks) {
      const to = cur.hint ?? r.pick(view.membersOf(cur.cluster));
      cur.hint = undefined;
      cur.sentAtTick = view.tick;
      view.send(to, cur.command);
    }
  }

  onResponse(view: ReshardView, command: Command, response: Response): void {
    const cur = this.current;
    if (cur === undefined || command.seq !== cur.command.seq || command.clientId !== this.clientId) return;
    if (response.kind === 'outcome') {
      const outcome = response.outcome;
      view.log(`t${view.tick} reshard driver: ${JSON.stringify(command.op)} -> ${JSON.stringify(outcome)}`);
      if (outcome.status === 'aborted' && outcome.reason === 'locked') {
        // A prepared transfer holds an account: the same move, later.
        cur.sentAtTick = view.tick - answerTimeoutTicks + 10;
        return;
      }
      if (outcome.status === 'committed') this.movesAnswered++;
      this.current = undefined;
      this.nextMoveAtTick = view.tick + this.random.int(10, 150);
      return;
    }
    cur.hint = response.kind === 'redirect' ? response.leaderHint : undefined;
    cur.sentAtTick = view.tick - answerTimeoutTicks + 3;
  }

  private highestEpochSeen(view: ReshardView): number {
    let epoch = this.epochSent;
    for (let c = 1; c <= view.clusterCount; c++) epoch = Math.max(epoch, view.mostAdvanced(c)?.map.epoch ?? 0);
    return epoch;
  }

  private startMove(view: ReshardView, source?: number): void {
    const r = this.random;
    const from = source ?? r.int(1, view.clusterCount);
    const state = view.mostAdvanced(from);
    if (state === undefined) return;
    const held = [...state.accounts()].map(([a]) => a);
    if (held.length === 0) return;
    const count = Math.min(held.length, r.int(1, 4));
    const accounts: number[] = [];
    while (accounts.length < count) {
      const a = r.pick(held);
      if (!accounts.includes(a)) accounts.push(a);
    }
    let to = r.int(1, view.clusterCount - 1);
    if (to >= from) to++;
    const epoch = this.highestEpochSeen(view) + 1;
    this.epochSent = Math.max(this.epochSent, epoch);
    const command: Command = {
      clientId: this.clientId,
      seq: ++this.seq,
      op: { kind: 'move-out', accounts, to, epoch },
    };
    this.current = { command, cluster: from, sentAtTick: -Infinity, startedAtTick: view.tick, hint: undefined };
    this.movesSent++;
    view.log(`t${view.tick} reshard driver: move ${JSON.stringify(accounts)} c${from} -> c${to} at epoch ${epoch}`);
  }

  /** Tells a cluster the map entries another one holds (fire and forget, as after a move). */
  private sendMapMerge(view: ReshardView): void {
    const r = this.random;
    const source = view.mostAdvanced(r.int(1, view.clusterCount));
    if (source === undefined) return;
    const entries = source.map.image().entries.slice(0, 8);
    if (entries.length === 0) return;
    const target = r.int(1, view.clusterCount);
    const op: Operation = { kind: 'map-merge', entries };
    this.mapMergesSent++;
    // Its own sequence: an answer to it is not the move's.
    view.send(r.pick(view.membersOf(target)), { clientId: `${this.clientId}-map`, seq: this.mapMergesSent, op });
  }
}
