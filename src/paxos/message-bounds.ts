import type { NodeId, Slot } from '../protocol/ids.js';
import type { Ballot, PaxosMessage } from '../protocol/paxos.js';

/**
 * Bounds on what a Paxos message may say, given what the receiving replica knows. The decoder
 * checks shapes; these check values against the replica's state, so a forged or corrupted
 * message (from a member id on a shared broker) cannot make the replica loop over absurd
 * slots or push its ballots toward 2^53. Refusing a message is always safe: it is a loss,
 * which Paxos tolerates.
 */

/** How far above its own commit index a replica takes slots (an accept's or a promise's).
 *  A replica this far behind is past every member's log floor (checkpoints keep about 1000
 *  slots) and catches up by snapshot first; a NEW-VIEW fills at most this many holes. The
 *  price: a candidate this far behind a promiser (only a forced one, `ledger node lead`: the
 *  pre-vote refuses a lagging one) does not count that promise; another member leads. */
export const slotsAheadMax = 10_000;

/** How far above every round it has seen a replica takes a ballot. Rounds grow by one per
 *  election, so no member misses 2^24 of them; a forged round moves ballots by at most this,
 *  leaving 2^29 such messages before a round could leave the safe integers. */
export const roundJumpMax = 2 ** 24;

export interface ReceiverView {
  members: readonly NodeId[];
  commit: Slot;
  roundSeen: number;
}

function ballotRefusal(b: Ballot, view: ReceiverView, zeroAllowed: boolean): string | undefined {
  if (zeroAllowed && b.round === 0 && b.node === 0) return undefined;
  if (!view.members.includes(b.node)) return 'ballot-of-a-non-member';
  if (b.round < 1 || b.round > view.roundSeen + roundJumpMax) return 'ballot-round-out-of-range';
  return undefined;
}

/** Why the message is refused as a whole, or undefined. Accept and catch-up entries beyond
 *  the window are dropped one by one instead (see farSlot): the rest of those messages is
 *  what a lagging follower needs to learn the leader and ask for catch-up. */
export function paxosRefusal<V>(m: PaxosMessage<V>, view: ReceiverView): string | undefined {
  switch (m.type) {
    case 'prepare':
    case 'accept':
    case 'accepted':
      return ballotRefusal(m.ballot, view, false);
    case 'promise': {
      const refusal = ballotRefusal(m.ballot, view, false);
      if (refusal !== undefined) return refusal;
      if (m.commitIndex > view.commit + slotsAheadMax || m.entries.some((e) => farSlot(e.slot, view)))
        return 'slot-out-of-range';
      return m.entries.some((e) => ballotRefusal(e.ballot, view, true) !== undefined)
        ? 'ballot-of-a-non-member'
        : undefined;
    }
    case 'nack':
      return ballotRefusal(m.ballot, view, false) ?? ballotRefusal(m.promised, view, true);
    default:
      return undefined;
  }
}

export function farSlot(slot: Slot, view: Pick<ReceiverView, 'commit'>): boolean {
  return slot > view.commit + slotsAheadMax;
}
