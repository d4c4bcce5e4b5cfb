import type { AccountId, NodeId, Slot } from '../protocol/ids.js';
import { limits } from '../core/limits.js';
import type { Replica } from '../paxos/replica.js';
import type { SnapshotChunk } from '../protocol/client.js';
import type { Batch } from '../protocol/commands.js';
import type { Checkpoints } from './checkpoints.js';
import { mergePieces, snapshotPieces } from './snapshot-pieces.js';
import type { LedgerState, StateImage } from './state.js';
import type { StateHashHistory } from './state-hashes.js';

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
    return pieces.map((piece, chunk) => ({
      to,
      message: { type: 'snapshot', from: this.self, appliedIndex, chunk, chunks: pieces.length, ...piece },
    }));
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

/** What installing a snapshot replaces or restarts: the parts of one replica (ShardServer). */
export interface SnapshotTarget {
  readonly self: NodeId;
  readonly replica: Pick<Replica<Batch>, 'isMember' | 'installSnapshot'>;
  readonly state: LedgerState;
  readonly hashes: StateHashHistory;
  readonly checkpoints: Checkpoints;
  /** The most a balance can be (all the money there is), to refuse a forged or broken one. */
  readonly moneyMax: number;
}

/** Receiving a snapshot piece by piece (only the newest one is kept), and installing it. */
export class SnapshotReceiver {
  private incoming: { from: NodeId; appliedIndex: Slot; chunks: Map<number, SnapshotChunk>; total: number } | undefined;
  /** Snapshots refused as out of range, by reason (the shard's refusal counts). */
  readonly refused = new Map<string, number>();

  /**
   * A snapshot piece from the network: once every piece of a snapshot from another member is
   * here and it holds the whole shard, it replaces the state, and the replica's log, the hash
   * history and the checkpoint interval restart from its slot. True when it was installed.
   */
  step(m: SnapshotChunk, target: SnapshotTarget): boolean {
    if (!target.replica.isMember(m.from) || m.from === target.self) return false;
    const snapshot = this.receive(m, target.state.appliedIndex);
    if (snapshot === undefined) return false;
    if (!wholeShard(target.state, snapshot.image, target.moneyMax)) {
      this.refused.set('snapshot-out-of-range', (this.refused.get('snapshot-out-of-range') ?? 0) + 1);
      return false;
    }
    target.state.install(snapshot.appliedIndex, snapshot.image);
    target.replica.installSnapshot(snapshot.appliedIndex);
    // The hashes before it no longer describe a slot this replica applied.
    target.hashes.clear();
    target.hashes.record(target.state.appliedIndex, target.state.stateHash);
    target.checkpoints.restartAt(snapshot.appliedIndex);
    return true;
  }

  /** Takes a piece (already checked to come from another member); returns the snapshot once
   *  every piece of it is here. */
  receive(m: SnapshotChunk, appliedIndex: Slot): ReceivedSnapshot | undefined {
    if (m.appliedIndex <= appliedIndex || m.chunk < 0 || m.chunk >= m.chunks) return undefined;
    const current = this.incoming;
    if (
      current === undefined ||
      m.appliedIndex > current.appliedIndex ||
      (m.appliedIndex === current.appliedIndex && m.from !== current.from)
    ) {
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
 *  or broken one is refused before it replaces the state). The shard's accounts are ours, less
 *  those the snapshot's own map gave another cluster after the epoch we know (moved away in
 *  slots we have not applied), plus those it gives this cluster (moved in): a replica that fell
 *  behind a move must still take the snapshot (refusing it left it behind for good). */
function wholeShard(state: LedgerState, image: ReceivedSnapshot['image'], moneyMax: number): boolean {
  const { balances } = image;
  const entries = new Map((image.mapEntries ?? []).map((e) => [e.account, e]));
  const held = new Set(balances.map(([a]) => a));
  if (held.size !== balances.length) return false;
  for (const [a] of state.accounts()) {
    const e = entries.get(a);
    const movedAway = e !== undefined && e.cluster !== state.cluster && e.epoch > state.map.epochOf(a);
    if (held.has(a) === movedAway) return false;
  }
  return balances.every(
    ([a, b]) =>
      b <= moneyMax &&
      (state.hasAccount(a) || (state.cluster !== undefined && entries.get(a)?.cluster === state.cluster)),
  );
}
