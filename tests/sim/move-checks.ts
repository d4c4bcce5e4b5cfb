import type { OutboundMove } from '../../src/protocol/moves.js';
import type { ReferenceLedger } from './reference-ledger.js';

/**
 * The checks of resharding that span clusters (docs/resharding.md), from raw state only, never
 * through src/ledger/moves.ts: balances, the moves in transit and the map's epochs.
 */

/** Money the sources' specifications gave away that the destinations' have not taken in. */
export function movedMoney(references: readonly ReferenceLedger[]): number {
  let money = 0;
  for (const ref of references)
    for (const m of ref.givenAway)
      if (!(references[m.to - 1]?.takenIn.has(`${m.from}/${m.epoch}`) ?? false))
        for (const [, b] of m.balances) money += b;
  return money;
}

/** Every account is held by exactly one cluster's specification, or in exactly one move in transit. */
export function checkOwnership(
  references: readonly ReferenceLedger[],
  accounts: readonly number[],
): string | undefined {
  const places = new Map<number, string[]>(accounts.map((a) => [a, []]));
  references.forEach((ref, i) => {
    for (const a of ref.balances.keys()) places.get(a)?.push(`held by c${i + 1}`);
    for (const m of ref.givenAway)
      if (!(references[m.to - 1]?.takenIn.has(`${m.from}/${m.epoch}`) ?? false))
        for (const [a] of m.balances) places.get(a)?.push(`in the move of epoch ${m.epoch} c${m.from}->c${m.to}`);
  });
  for (const [a, where] of places)
    if (where.length !== 1)
      return `account ${a} is ${where.length === 0 ? 'nowhere' : where.join(' and ')} in the chosen logs`;
  return undefined;
}

/** One cluster's most advanced replica, as the checks read it (live state or durable store). */
export interface RawShard {
  cluster: number;
  applied: number;
  balances: ReadonlyMap<number, number>;
  outbound: readonly OutboundMove[];
  epochOf(account: number): number;
  /** A cross-shard transfer is prepared (its money is on one side only for now). */
  twoPcPrepared: boolean;
}

/**
 * Across the most advanced replicas of all clusters: no account held twice; and when no
 * cross-shard transfer is prepared anywhere, the balances plus the moves in transit (a source's
 * record whose destination does not hold the accounts at its epoch yet) are the money created.
 */
export function checkRawShards(shards: readonly RawShard[], created: number): string | undefined {
  const holder = new Map<number, number>();
  for (const s of shards)
    for (const a of s.balances.keys()) {
      const other = holder.get(a);
      if (other !== undefined) return `account ${a} is held by c${other} and c${s.cluster} (most advanced replicas)`;
      holder.set(a, s.cluster);
    }
  if (shards.some((s) => s.twoPcPrepared)) return undefined;
  let money = 0;
  for (const s of shards) {
    for (const b of s.balances.values()) money += b;
    for (const m of s.outbound) {
      const dest = shards.find((d) => d.cluster === m.to);
      if (dest === undefined) return undefined;
      if (m.balances.every(([a]) => dest.epochOf(a) >= m.epoch)) continue;
      for (const [, b] of m.balances) money += b;
    }
  }
  if (money !== created)
    return `the most advanced replicas hold ${money} with the moves in transit, ${created} were created`;
  return undefined;
}
