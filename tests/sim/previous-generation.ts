import type { NodeId, Slot } from '../../src/protocol/ids.js';
import type { SeededRandom } from '../../src/core/random.js';
import type { ShardMessage } from '../../src/protocol/client.js';
import type { Batch, Command } from '../../src/protocol/commands.js';

/**
 * Traffic left from the previous flush generation. The simulated deployment runs in generation
 * 1 (a flush is deployment-wide: every node of every cluster takes it), and the broker may still
 * carry messages the members of a cluster exchanged before it, in generation 0. They are
 * well-formed and plausible: a member's catch-up reply with the values its old log had chosen
 * just above today's prefix.
 * The core cannot tell them from today's (the same members, slots and rounds): only the node
 * runtime's generation check keeps them out. Were one stepped in, a replica would apply a value
 * this cluster never chose, which the simulator's checks see (two values in a slot, balances, a
 * command of a previous-generation client chosen). The same holds for a client's request of
 * that generation: were it stepped, its command would be chosen today.
 */

/** The generation every simulated node runs in; the previous one is this minus one. */
export const simGeneration = 1;

export interface PreviousGenerationTarget {
  members: readonly NodeId[];
  accounts: readonly number[];
  /** Highest slot chosen in the cluster so far. */
  chosenMax: Slot;
}

/** The clients of the previous generation: no client of today's has this prefix. */
const previousGenerationClientPrefix = 'gen0-';

/** Where a previous generation's client waited for its answers: no node or client of today's. */
export const goneClientEndpoint = 100_000;

/** A transfer of the old history, sent by a client of that generation, long gone. */
export function previousGenerationCommand(r: SeededRandom, accounts: readonly number[]): Command {
  const from = r.pick(accounts);
  const to = accounts.find((a) => a !== from) ?? from;
  return {
    clientId: `${previousGenerationClientPrefix}client${r.int(0, 3)}`,
    seq: r.int(1, 50),
    op: { kind: 'transfer', from, to, amount: r.int(1, 3) },
  };
}

/** Whether a command comes from the previous generation: one chosen today is a breach (a node
 *  stepped what its generation check had to drop). */
export function isPreviousGenerationCommand(command: Command): boolean {
  return command.clientId.startsWith(previousGenerationClientPrefix);
}

/** A catch-up reply from the previous generation: one to three slots above the chosen prefix. */
export function previousGenerationMessage(r: SeededRandom, t: PreviousGenerationTarget): ShardMessage {
  const slots = r.int(1, 3);
  const entries = Array.from({ length: slots }, (_, i) => {
    const value: Batch = [previousGenerationCommand(r, t.accounts)];
    return { slot: t.chosenMax + 1 + i, value };
  });
  return { type: 'catchup-reply', from: r.pick(t.members), commitIndex: t.chosenMax + slots, entries };
}
