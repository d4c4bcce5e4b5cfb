import type { NodeId } from '../protocol/ids.js';
import type { Ballot } from '../protocol/paxos.js';

export const ballotZero: Ballot = { round: 0, node: 0 };

export function compareBallots(a: Ballot, b: Ballot): number {
  return a.round !== b.round ? a.round - b.round : a.node - b.node;
}

export function ballotEquals(a: Ballot, b: Ballot): boolean {
  return a.round === b.round && a.node === b.node;
}

export function ballotText(b: Ballot): string {
  return `(${b.round}, n${b.node})`;
}

/** The ballot every member promises at a flush, owned by the leader agreed in advance. */
export function initialBallot(leader: NodeId): Ballot {
  return { round: 1, node: leader };
}
