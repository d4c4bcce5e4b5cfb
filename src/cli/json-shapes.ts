import type { NodeId } from '../protocol/ids.js';

/**
 * One shape per concept across every command's --json: a node is its number (`"node": 4`, never
 * `"n4"`), and a ballot is `{ "round": 3, "node": 1 }` as `ledger view` has it, although nodes
 * report it as text (`"(3, n1)"`) in their status and metrics snapshots.
 */
export interface BallotJson {
  round: number;
  node: NodeId;
}

/** `"(3, n1)"` as nodes write it; null for text in another form (never guessed at). */
export function ballotJson(text: string | undefined): BallotJson | null {
  if (text === undefined) return null;
  const match = /^\((\d+), n(\d+)\)$/.exec(text);
  return match === null ? null : { round: Number(match[1]), node: Number(match[2]) };
}

/** A row of `cluster status` or `top` for --json: its ballot, when it has one, as an object. */
export function withBallotJson<T extends object>(row: T): T | (Omit<T, 'ballot'> & { ballot: BallotJson | null }) {
  if (!('ballot' in row)) return row;
  const ballot = (row as { ballot?: unknown }).ballot;
  return { ...row, ballot: typeof ballot === 'string' ? ballotJson(ballot) : null };
}
