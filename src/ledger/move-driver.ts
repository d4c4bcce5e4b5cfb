import type { Command } from '../protocol/commands.js';
import type { ClusterId } from '../protocol/ids.js';
import type { MapEntry } from '../protocol/shard-map.js';
import type { MoveMessage, OutboundMove } from '../protocol/moves.js';
import { limits } from '../core/limits.js';
import type { LedgerState } from './state.js';

/** What the move driver needs of the shard it runs in (ShardServer). */
export interface MoveDriverHost {
  readonly cluster: ClusterId;
  /** Clusters are 1..clusters (undefined: the shard does not know; no map is told around). */
  readonly clusters: number | undefined;
  readonly state: LedgerState;
  readonly now: number;
  /** Queues a command for the log, like a 2PC step (false: the queues are full, ask later). */
  propose(command: Command): boolean;
  send(toCluster: ClusterId, message: MoveMessage): void;
}

/**
 * The leader's side of moving accounts (docs/resharding.md). The source resends each move it
 * holds a record of to its destination every `resendTicks` until acknowledged, and tells the
 * other clusters where the accounts went; the destination proposes `move-in` and acknowledges
 * once it is applied; the source then proposes `move-done`. Every record it acts on is
 * replicated, so a new leader picks up where the old one stopped: the reshard driver (the CLI)
 * only starts moves, and a move it started completes without it. Volatile and pure: ticks in,
 * messages and proposals out.
 */
export class MoveDriver {
  private readonly sentAt = new Map<number, number>();
  /** Proposals in flight, by step key: each is proposed once until applied or the leader changes. */
  private readonly proposed = new Set<string>();
  /** Messages dropped as not meant for this cluster (forged or misrouted). */
  refused = 0;

  constructor(
    private readonly host: MoveDriverHost,
    private readonly resendTicks: number,
  ) {}

  /** The leader's tick: resend what is due. */
  onTick(): void {
    for (const move of this.host.state.outboundList()) {
      const sent = this.sentAt.get(move.epoch);
      if (sent === undefined || this.host.now - sent >= this.resendTicks) this.sendMove(move);
    }
  }

  /** A step this leader proposed was applied (or a step of the log, whoever proposed it). */
  onApplied(command: Command): void {
    const { op } = command;
    if (op.kind === 'move-out') {
      const move = this.host.state.outbound(op.epoch);
      if (move !== undefined) this.sendMove(move);
    } else if (op.kind === 'move-in') {
      this.proposed.delete(`move-in/${op.move.epoch}`);
      // Applied now or before (a repeat): either way the destination has it.
      if (this.holds(op.move))
        this.host.send(op.move.from, { type: 'move-ack', from: this.host.cluster, epoch: op.move.epoch });
    } else if (op.kind === 'move-done') {
      this.proposed.delete(`move-done/${op.epoch}`);
      this.sentAt.delete(op.epoch);
    } else if (op.kind === 'map-merge') {
      this.proposed.delete(`map/${command.clientId}/${command.seq}`);
    }
  }

  /** A message from another cluster's leader; only the serving leader acts on it. */
  receive(message: MoveMessage, fromCluster: ClusterId): void {
    switch (message.type) {
      case 'move': {
        const { move } = message;
        if (move.to !== this.host.cluster || move.from !== fromCluster) {
          this.refused++;
          return;
        }
        if (this.holds(move)) {
          this.host.send(move.from, { type: 'move-ack', from: this.host.cluster, epoch: move.epoch });
          return;
        }
        this.proposeOnce(`move-in/${move.epoch}`, {
          clientId: `move-in:${move.from}`,
          seq: move.epoch,
          op: { kind: 'move-in', move },
        });
        return;
      }
      case 'move-ack':
        if (message.from !== fromCluster) {
          this.refused++;
          return;
        }
        if (this.host.state.outbound(message.epoch)?.to === fromCluster)
          this.proposeOnce(`move-done/${message.epoch}`, {
            clientId: `move-done:${this.host.cluster}`,
            seq: message.epoch,
            op: { kind: 'move-done', epoch: message.epoch },
          });
        return;
      case 'map': {
        const { state } = this.host;
        const news = message.entries.filter(
          (e) =>
            e.cluster !== this.host.cluster &&
            state.balanceOf(e.account) === undefined &&
            state.map.epochOf(e.account) < e.epoch,
        );
        if (news.length === 0) return;
        const seq = Math.max(...news.map((e) => e.epoch));
        const clientId = `map:${fromCluster}`;
        this.proposeOnce(`map/${clientId}/${seq}`, { clientId, seq, op: { kind: 'map-merge', entries: news } });
        return;
      }
    }
  }

  /** The leadership is lost: what was proposed may still be chosen; the next leader resends. */
  reset(): void {
    this.proposed.clear();
    this.sentAt.clear();
  }

  /** Whether this cluster took the move already (its map holds the accounts at that epoch). */
  private holds(move: OutboundMove): boolean {
    return move.balances.every(([a]) => this.host.state.map.epochOf(a) >= move.epoch);
  }

  private proposeOnce(key: string, command: Command): void {
    if (this.proposed.has(key)) return;
    if (this.host.propose(command)) this.proposed.add(key);
  }

  private sendMove(move: OutboundMove): void {
    this.sentAt.set(move.epoch, this.host.now);
    this.host.send(move.to, { type: 'move', move });
    const { clusters } = this.host;
    if (clusters === undefined) return;
    const entries: MapEntry[] = move.balances.map(([account]) => ({ account, cluster: move.to, epoch: move.epoch }));
    for (let c = 1; c <= clusters; c++) {
      if (c === move.from || c === move.to) continue;
      for (let i = 0; i < entries.length; i += limits.mapEntriesPerMergeMax)
        this.host.send(c, {
          type: 'map',
          from: this.host.cluster,
          entries: entries.slice(i, i + limits.mapEntriesPerMergeMax),
        });
    }
  }
}
