import type { NodeId } from '../../src/protocol/ids.js';
import type { SeededRandom } from '../../src/core/random.js';

/** How one member starts: the leader its flush named (none: elected), and when its flush
 *  reached it (until then it is in the old generation, which for the new one is down). */
export interface FlushStart {
  leader: NodeId | undefined;
  startAtTick: number;
}

/**
 * How a cluster starts in the simulator: elected, or "as a flush leaves it" (every member
 * promised (1, L) and follows L). Sometimes two flushes that drew the same generation raced
 * (two CLIs, or a retry): each member kept whichever reached it first, so members name two
 * different agreed leaders, and the members of the later one join later. Only Paxos itself
 * keeps that safe (tests/unit/flush-and-lead: a flushed leader still runs Phase 1).
 */
export function flushStarts(r: SeededRandom, members: readonly NodeId[]): Map<NodeId, FlushStart> {
  const out = new Map<NodeId, FlushStart>();
  if (r.chance(0.5)) {
    for (const m of members) out.set(m, { leader: undefined, startAtTick: 0 });
    return out;
  }
  const first = r.pick(members);
  const racing = r.chance(0.5) ? r.pick(members.filter((m) => m !== first)) : undefined;
  const lateTick = r.int(0, 120);
  for (const m of members) {
    // Each flush's own leader took it; the other members took either one.
    const leader = racing === undefined || m === first ? first : m === racing ? racing : r.pick([first, racing]);
    out.set(m, { leader, startAtTick: leader === racing ? lateTick : 0 });
  }
  return out;
}
