/** Votes needed out of `members`: a strict majority, so any two quorums share a member. */
export function majority(members: number): number {
  return Math.floor(members / 2) + 1;
}

export function isMajority(votes: number, members: number): boolean {
  return votes >= majority(members);
}
