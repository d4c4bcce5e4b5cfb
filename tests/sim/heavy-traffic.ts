import type { NodeId } from '../../src/protocol/ids.js';
import { SeededRandom } from '../../src/core/random.js';
import type { CheckpointSettings } from '../../src/ledger/checkpoints.js';

/**
 * Heavy traffic (issue 10, bug 2): some seeds run many clients with long client ids, so slots
 * fill to their byte budget, while one follower of the first cluster is down long enough to
 * miss dozens of full slots; soon after it is back, the leader crashes. The follower must catch
 * up from the log (catch-up replies of full slots), and the survivors must elect a leader with
 * the follower's promise (its uncommitted tail of full slots): every one of those messages is
 * over the payload limit unless the cores pack them under it.
 */
export interface HeavyPlan {
  clients: number;
  /** Enough accounts per cluster that the clients' transfers rarely wait for each other's locks. */
  accounts: number;
  commandsPerClient: { min: number; max: number };
  /** Long ids of wide characters make every command ~450 bytes: one fills a slot of the
   *  simulator's budget, and a few make a slot as the old code packed them (by count only). */
  clientIdLength: number;
  /** A long log tail, so the follower catches up from the log rather than by a snapshot. */
  checkpoint: CheckpointSettings;
  followerDownAtTick: number;
  followerDownTicks: number;
  /** Ticks after the follower is back before the leader crashes. */
  leaderCrashAfterTicks: number;
}

/** One seed in 64; decided from its own stream of the seed, so that the other seeds run
 *  exactly as they did before heavy traffic existed. */
export function heavyPlan(seed: number): HeavyPlan | undefined {
  const r = new SeededRandom((seed ^ 0x5eed_b16) >>> 0);
  if (!r.chance(1 / 64)) return undefined;
  return {
    clients: r.int(24, 32),
    accounts: 32,
    commandsPerClient: { min: 5, max: 8 },
    clientIdLength: 128,
    checkpoint: { intervalSlots: 16, logTailSlots: 400 },
    followerDownAtTick: r.int(30, 80),
    followerDownTicks: r.int(80, 160),
    leaderCrashAfterTicks: r.int(10, 60),
  };
}

/** What the plan does to the cluster, through the simulator's own fault actions. */
export interface HeavyFaultActions {
  leaderOf(cluster: number): NodeId | undefined;
  membersOf(cluster: number): NodeId[];
  crash(node: NodeId, why: string, downTicks: number): void;
  pick<T>(items: T[]): T;
}

export class HeavyTraffic {
  private follower: NodeId | undefined;
  private leaderCrashAtTick = Infinity;

  constructor(readonly plan: HeavyPlan) {}

  clientId(index: number): string {
    // The widest characters (3 bytes in UTF-8): the decoder's worst case for a client id.
    return `heavy-${index}-`.padEnd(this.plan.clientIdLength, '€');
  }

  faults(tick: number, act: HeavyFaultActions): void {
    if (tick === this.plan.followerDownAtTick) {
      const leader = act.leaderOf(1);
      const followers = act.membersOf(1).filter((m) => m !== leader);
      this.follower = act.pick(followers);
      act.crash(this.follower, 'heavy traffic: a follower misses it', this.plan.followerDownTicks);
      this.leaderCrashAtTick = tick + this.plan.followerDownTicks + this.plan.leaderCrashAfterTicks;
    }
    if (tick === this.leaderCrashAtTick) {
      const leader = act.leaderOf(1);
      if (leader !== undefined && leader !== this.follower)
        act.crash(leader, 'heavy traffic: the leader dies after the follower is back', 400);
    }
  }
}
