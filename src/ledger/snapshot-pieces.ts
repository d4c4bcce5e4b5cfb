import { encodedBytesMax } from '../core/encoded-size.js';
import { packByBytes } from '../core/pack.js';
import type { SnapshotPiece } from '../protocol/client.js';

/**
 * Cuts a state image into snapshot pieces of at most `bytesMax` each (an upper bound of their
 * encoding, see encodedBytesMax): counts alone do not bound a piece, since a session carries a
 * client id and an outcome reason, and a 2PC record a reason, of up to a few hundred bytes.
 * Each piece holds one kind of item, as the receiver merges them all before installing.
 */
export function snapshotPieces(image: SnapshotPiece, bytesMax: number): SnapshotPiece[] {
  const empty = (): SnapshotPiece => ({ balances: [], sessions: [], coordinatorRecords: [], participantRecords: [] });
  const pieces: SnapshotPiece[] = [
    ...packByBytes(image.balances, encodedBytesMax, bytesMax).map((balances) => ({ ...empty(), balances })),
    ...packByBytes(image.sessions, encodedBytesMax, bytesMax).map((sessions) => ({ ...empty(), sessions })),
    ...packByBytes(image.coordinatorRecords, encodedBytesMax, bytesMax).map((coordinatorRecords) => ({
      ...empty(),
      coordinatorRecords,
    })),
    ...packByBytes(image.participantRecords, encodedBytesMax, bytesMax).map((participantRecords) => ({
      ...empty(),
      participantRecords,
    })),
  ];
  return pieces.length === 0 ? [empty()] : pieces;
}

/** The whole image again, from its pieces (in any order: each holds one kind of item). */
export function mergePieces(pieces: readonly SnapshotPiece[]): SnapshotPiece {
  return {
    balances: pieces.flatMap((p) => p.balances),
    sessions: pieces.flatMap((p) => p.sessions),
    coordinatorRecords: pieces.flatMap((p) => p.coordinatorRecords),
    participantRecords: pieces.flatMap((p) => p.participantRecords),
  };
}
