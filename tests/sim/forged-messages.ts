import type { NodeId, Slot } from '../../src/protocol/ids.js';
import type { SeededRandom } from '../../src/core/random.js';
import { decodeShardMessage, decodeTwoPcMessage } from '../../src/codec/ledger-codec.js';
import { DecodeError } from '../../src/codec/validate.js';
import type { ShardServer } from '../../src/ledger/shard-server.js';

/**
 * Forged and malformed messages for the simulator (issue 10, bug 5): what a peer with a valid
 * member id on a shared broker, or a corrupted sender, could put on the wire. They go through
 * the real decoder first, as in the node runtime, then into the real ShardServer. Everything
 * here is out of range (clusters that do not exist, slots and rounds far beyond anything real,
 * amounts above all the money there is), so a correct shard refuses it; the simulator's own
 * checks (one value per slot, balances against the specification, money, convergence) and
 * the bounds below must keep holding.
 */

/** Forged rounds start here; no real run comes anywhere near (see checkForgedEffects). */
const forgedRoundBase = 2 ** 50;
/** A forged slot is this far above the cluster's highest chosen slot at least. */
const forgedSlotGap = 50_000;
/** Far above anything a real replica holds beyond the chosen prefix (the sim's pipeline is 4). */
const honestSlotsAheadMax = 1_000;

export interface ForgeryTarget {
  clusterId: number;
  clusters: number;
  members: readonly NodeId[];
  accounts: readonly number[];
  /** Highest slot chosen in the target's cluster so far. */
  chosenMax: Slot;
  moneyTotal: number;
}

type Forged = { kind: 'paxos'; raw: unknown } | { kind: '2pc'; fromCluster: number; raw: unknown };

export function forgeMessage(r: SeededRandom, t: ForgeryTarget): Forged {
  const member = r.pick(t.members);
  const farSlot = t.chosenMax + forgedSlotGap + r.int(0, 1000);
  const hugeRound = forgedRoundBase + r.int(0, 1000);
  const to = r.pick(t.accounts);
  const txn = { clientId: `forger${r.int(0, 3)}`, seq: r.int(1, 5) };
  const otherCluster =
    t.clusters > 1 ? r.pick(Array.from({ length: t.clusters }, (_, i) => i + 1).filter((c) => c !== t.clusterId)) : 1;
  switch (r.int(0, 11)) {
    case 0:
      return { kind: 'paxos', raw: { type: 'prepare', from: member, ballot: { round: hugeRound, node: member } } };
    case 1:
      return { kind: 'paxos', raw: { type: 'prepare', from: member, ballot: { round: 5, node: 99 } } };
    case 2:
      return {
        kind: 'paxos',
        raw: { type: 'accept', from: member, ballot: { round: hugeRound, node: member }, commitIndex: 0, entries: [] },
      };
    case 3:
      return {
        kind: 'paxos',
        raw: {
          type: 'accept',
          from: member,
          ballot: { round: 1, node: member },
          commitIndex: 0,
          entries: [{ slot: farSlot, value: null }],
        },
      };
    case 4:
      return {
        kind: 'paxos',
        raw: {
          type: 'promise',
          from: member,
          ballot: { round: 1, node: member },
          commitIndex: 0,
          entries: [{ slot: farSlot, ballot: { round: 1, node: member }, value: null, chosen: false }],
        },
      };
    case 5:
      return {
        kind: 'paxos',
        raw: {
          type: 'nack',
          from: member,
          ballot: { round: 1, node: member },
          promised: { round: hugeRound, node: member },
        },
      };
    case 6:
      return {
        kind: 'paxos',
        raw: { type: 'catchup-reply', from: member, commitIndex: 0, entries: [{ slot: farSlot, value: null }] },
      };
    case 7:
      // Malformed: not a safe integer, a negative slot; the decoder drops them.
      return {
        kind: 'paxos',
        raw: r.chance(0.5)
          ? { type: 'accept', from: member, ballot: { round: 2 ** 60, node: member }, commitIndex: 0, entries: [] }
          : { type: 'catchup-request', from: member, fromSlot: -3 },
      };
    case 8:
      return {
        kind: '2pc',
        fromCluster: 99,
        raw: { type: 'prepare', txn, coordinator: 99, to, amount: Number.MAX_SAFE_INTEGER },
      };
    case 9:
      return {
        kind: '2pc',
        fromCluster: otherCluster,
        raw: { type: 'prepare', txn, coordinator: otherCluster, to, amount: t.moneyTotal + r.int(1, 100) },
      };
    case 10:
      return { kind: '2pc', fromCluster: otherCluster, raw: { type: 'prepare', txn, coordinator: 99, to, amount: 1 } };
    default:
      return { kind: '2pc', fromCluster: 99, raw: { type: 'decision', txn, coordinator: 99, decision: 'commit' } };
  }
}

/** Decodes and steps a forged message as the node runtime would; what fails to decode is dropped. */
export function deliverForged(server: ShardServer, forged: Forged): 'refused-at-decode' | 'stepped' {
  try {
    if (forged.kind === 'paxos') server.step(decodeShardMessage(forged.raw, 'forged'));
    else server.stepTwoPc(decodeTwoPcMessage(forged.raw, 'forged'), forged.fromCluster);
    return 'stepped';
  } catch (error) {
    if (error instanceof DecodeError) return 'refused-at-decode';
    throw error;
  }
}

/** What no forged message may have done to a replica: adopt an absurd round, hold a slot far
 *  beyond the chosen prefix, or hold a balance above all the money there is. */
export function forgedEffect(server: ShardServer, chosenMax: Slot, moneyTotal: number): string | undefined {
  const round = Math.max(server.replica.promisedBallot.round, server.replica.ballot.round);
  if (round >= forgedRoundBase / 2) return `adopted a forged ballot round ${round}`;
  if (server.replica.lastSlot > chosenMax + honestSlotsAheadMax)
    return `holds slot ${server.replica.lastSlot}, far beyond the chosen ${chosenMax}`;
  for (const [account, balance] of server.state.accounts())
    if (balance > moneyTotal) return `account ${account} holds ${balance}, above all the money (${moneyTotal})`;
  return undefined;
}
