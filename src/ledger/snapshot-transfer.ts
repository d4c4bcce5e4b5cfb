import type { AccountId, NodeId, Slot } from '../protocol/ids.js';
import { limits } from '../core/limits.js';
import type { SnapshotChunk } from '../protocol/client.js';
import { mergePieces, snapshotPieces } from './snapshot-pieces.js';
import type { LedgerState, StateImage } from './state.js';

/**
 * Sending snapshots to members that fell behind the log's floor. A snapshot is big, so each
 * member gets at most one per interval; its pieces keep each message within its byte budget.
 */
export class SnapshotSender {
  /** When we last sent each member a snapshot. */
  private readonly sentAtTick = new Map<NodeId, number>();

  constructor(
    private readonly self: NodeId,
    private readonly intervalTicks: number,
    private readonly messageBytesMax: number,
  ) {}

  /** Whether `to` may get a snapshot at tick `now` (it got none lately). */
  private due(to: NodeId, now: number): boolean {
    const last = this.sentAtTick.get(to);
    return last === undefined || now - last >= this.intervalTicks;
  }

  /** The pieces of this replica's state for `to`, or none when it got one lately. Changes
   *  nothing: sent() records that they went. */
  piecesFor(to: NodeId, now: number, state: LedgerState): Array<{ to: NodeId; message: SnapshotChunk }> {
    if (!this.due(to, now)) return [];
    const appliedIndex = state.appliedIndex;
    const pieces = snapshotPieces(state.image(), this.messageBytesMax - limits.messageOverheadBytes);
    return pieces.map((piece, chunk) => ({ to, message: { type: 'snapshot', from: this.self, appliedIndex, chunk, chunks: pieces.length, ...piece } }));
  }

  /** The pieces piecesFor gave for `to` at tick `now` were sent (when it gave any). */
  sent(to: NodeId, now: number): void {
    if (this.due(to, now)) this.sentAtTick.set(to, now);
  }
}

/** A snapshot received whole: the state at `appliedIndex`. */
export interface ReceivedSnapshot {
  appliedIndex: Slot;
  image: StateImage & { balances: ReadonlyArray<[AccountId, number]> };
}

/** Receiving a snapshot piece by piece (only the newest one is kept). */
export class SnapshotReceiver {
  private incoming: { from: NodeId; appliedIndex: Slot; chunks: Map<number, SnapshotChunk>; total: number } | undefined;

  /** Takes a piece (already checked to come from another member); returns the snapshot once
   *  every piece of it is here. */
  receive(m: SnapshotChunk, appliedIndex: Slot): ReceivedSnapshot | undefined {
    if (m.appliedIndex <= appliedIndex || m.chunk < 0 || m.chunk >= m.chunks) return undefined;
    const current = this.incoming;
    if (current === undefined || m.appliedIndex > current.appliedIndex || (m.appliedIndex === current.appliedIndex && m.from !== current.from)) {
      this.incoming = { from: m.from, appliedIndex: m.appliedIndex, chunks: new Map(), total: m.chunks };
    } else if (m.appliedIndex < current.appliedIndex) {
      return undefined;
    }
    const incoming = this.incoming as NonNullable<typeof this.incoming>;
    if (m.chunks !== incoming.total) return undefined;
    incoming.chunks.set(m.chunk, m);
    if (incoming.chunks.size < incoming.total) return undefined;
    this.incoming = undefined;
    return { appliedIndex: incoming.appliedIndex, image: mergePieces([...incoming.chunks.values()]) };
  }
}

/** A snapshot holds every account of this shard once, each with a possible balance (a forged
 *  or broken one is refused before it replaces the state). */
export function wholeShard(state: LedgerState, balances: ReadonlyArray<[AccountId, number]>, moneyMax: number): boolean {
  let accounts = 0;
  for (const _ of state.accounts()) accounts++;
  return balances.length === accounts && new Set(balances.map(([a]) => a)).size === accounts && balances.every(([a, b]) => state.hasAccount(a) && b <= moneyMax);
}
