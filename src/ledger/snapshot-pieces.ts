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
  // Resharding's share: map entries and moves in transit packed like the rest; the history in
  // runs, each piece saying where its run starts.
  pieces.push(
    ...packByBytes(image.mapEntries ?? [], encodedBytesMax, bytesMax).map((mapEntries) => ({ ...empty(), mapEntries })),
    ...packByBytes(image.outboundMoves ?? [], encodedBytesMax, bytesMax).map((outboundMoves) => ({
      ...empty(),
      outboundMoves,
    })),
  );
  const history = image.history ?? [];
  let start = image.historyStart ?? 0;
  for (const run of packByBytes(history, encodedBytesMax, bytesMax)) {
    pieces.push({ ...empty(), history: run, historyStart: start });
    start += run.length;
  }
  if (history.length === 0 && (image.historyStart ?? 0) > 0)
    pieces.push({ ...empty(), history: [], historyStart: image.historyStart ?? 0 });
  return pieces.length === 0 ? [empty()] : pieces;
}

/** The whole image again, from its pieces (in any order: each holds one kind of item). */
export function mergePieces(pieces: readonly SnapshotPiece[]): SnapshotPiece {
  return {
    balances: pieces.flatMap((p) => p.balances),
    sessions: pieces.flatMap((p) => p.sessions),
    coordinatorRecords: pieces.flatMap((p) => p.coordinatorRecords),
    participantRecords: pieces.flatMap((p) => p.participantRecords),
    mapEntries: pieces.flatMap((p) => p.mapEntries ?? []),
    outboundMoves: pieces.flatMap((p) => p.outboundMoves ?? []),
    ...mergeHistory(pieces),
  };
}

/** The history's runs put back in order by where each starts (pieces arrive in any order). */
function mergeHistory(pieces: readonly SnapshotPiece[]): Pick<SnapshotPiece, 'history' | 'historyStart'> {
  const runs = pieces
    .filter((p) => p.historyStart !== undefined)
    .sort((a, b) => (a.historyStart as number) - (b.historyStart as number));
  if (runs.length === 0) return {};
  return { history: runs.flatMap((p) => p.history ?? []), historyStart: runs[0]?.historyStart as number };
}
