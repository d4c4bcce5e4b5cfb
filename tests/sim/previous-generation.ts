import type { NodeId, Slot } from '../../src/protocol/ids.js';
import type { SeededRandom } from '../../src/core/random.js';
import type { ShardMessage } from '../../src/protocol/client.js';
import type { Batch } from '../../src/protocol/commands.js';

/**
 * Traffic left from the previous flush generation. The simulated deployment runs in generation
 * 1 (a flush is deployment-wide: every node of every cluster takes it), and the broker may still
 * carry messages the members of a cluster exchanged before it, in generation 0. They are
 * well-formed and plausible: a member's catch-up reply with the values its old log had chosen
 * just above today's prefix.
 * The core cannot tell them from today's (the same members, slots and rounds): only the node
 * runtime's generation check keeps them out. Were one stepped in, a replica would apply a value
 * this cluster never chose, which the simulator's checks see (two values in a slot, balances).
 */

/** The generation every simulated node runs in; the previous one is this minus one. */
export const simGeneration = 1;

export interface PreviousGenerationTarget {
  members: readonly NodeId[];
  accounts: readonly number[];
  /** Highest slot chosen in the cluster so far. */
  chosenMax: Slot;
}

/** A catch-up reply from the previous generation: one to three slots above the chosen prefix. */
export function previousGenerationMessage(r: SeededRandom, t: PreviousGenerationTarget): ShardMessage {
  const from = r.pick(t.accounts);
  const to = t.accounts.find((a) => a !== from) ?? from;
  const slots = r.int(1, 3);
  const entries = Array.from({ length: slots }, (_, i) => {
    // A transfer of the old history: a client of that generation, long gone.
    const value: Batch = [
      {
        clientId: `gen0-client${r.int(0, 3)}`,
        seq: r.int(1, 50),
        op: { kind: 'transfer', from, to, amount: r.int(1, 3) },
      },
    ];
    return { slot: t.chosenMax + 1 + i, value };
  });
  return { type: 'catchup-reply', from: r.pick(t.members), commitIndex: t.chosenMax + slots, entries };
}
