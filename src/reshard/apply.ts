import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { LedgerClient } from '../client/ledger-client.js';
import { LedgerError } from '../core/errors.js';
import { limits } from '../core/limits.js';
import { nodesOfCluster, type Topology } from '../ledger/topology.js';
import type { AccountId, ClusterId } from '../protocol/ids.js';
import type { MapEntry } from '../protocol/shard-map.js';

/** One account to move (a PrintReshard triplet). */
export interface PlannedMove {
  account: AccountId;
  from: ClusterId;
  to: ClusterId;
}

/** What one move command did: the accounts it carried, its epoch and how long it took. */
export interface AppliedMove {
  epoch: number;
  from: ClusterId;
  to: ClusterId;
  accounts: AccountId[];
  /** From the move-out request to the destination holding every account. */
  durationMs: number;
}

export interface ApplyReport {
  moves: AppliedMove[];
  /** Accounts of the plan that were already at their destination (a re-run). */
  alreadyThere: number;
  mapEpoch: number;
  durationMs: number;
}

export interface ApplyOptions {
  /** After each move: how far along (accounts moved so far, of the plan's). */
  onProgress?: (done: number, total: number, move: AppliedMove) => void;
  /** How long one move may take before the reshard gives up (it can be run again). */
  moveTimeoutMs?: number;
}

/**
 * Carries out a plan while transfers go on (docs/resharding.md). The moves are grouped by
 * (source, destination) and cut into commands of limits.accountsPerMoveMax accounts; each gets
 * the next epoch of the map. For each: the source's leader chooses `move-out` (which waits for
 * transfers in flight on those accounts, and is refused while a prepared cross-shard transfer
 * holds one: it is then asked again), then the move travels between the leaders on its own, and
 * we wait until the destination holds the accounts; then every other cluster is told the new
 * entries (the source tells them too; this makes it certain). One move at a time, so epochs
 * are given in order and a map's epoch names one state of it.
 *
 * Safe to stop at any point and run again: a move chosen at the source completes without us,
 * and a re-run skips the accounts already at their destination and takes epochs above every
 * copy of the map.
 */
export async function applyPlan(
  client: LedgerClient,
  topology: Topology,
  planned: readonly PlannedMove[],
  options: ApplyOptions = {},
): Promise<ApplyReport> {
  const started = performance.now();
  const copies = await client.refreshMap();
  if (copies.length === 0)
    throw new LedgerError('unavailable', 'no node answered: cannot read the shard map', {
      hint: 'is the cluster running? see `ledger cluster status`',
    });
  let epoch = Math.max(0, ...copies.map((c) => c.epoch));
  const pending = planned.filter((m) => client.ownerOf(m.account) !== m.to);
  const moves: AppliedMove[] = [];
  let done = planned.length - pending.length;
  for (const group of groupByPair(pending)) {
    for (let i = 0; i < group.length; i += limits.accountsPerMoveMax) {
      const batch = group.slice(i, i + limits.accountsPerMoveMax);
      const { from, to } = batch[0] as PlannedMove;
      const accounts = batch.map((m) => m.account);
      epoch++;
      const move = await moveOne(client, topology, { from, to, accounts, epoch }, options.moveTimeoutMs ?? 30_000);
      moves.push(move);
      done += accounts.length;
      options.onProgress?.(done, planned.length, move);
    }
  }
  return {
    moves,
    alreadyThere: planned.length - pending.length,
    mapEpoch: epoch,
    durationMs: Math.round(performance.now() - started),
  };
}

function groupByPair(moves: readonly PlannedMove[]): PlannedMove[][] {
  const groups = new Map<string, PlannedMove[]>();
  for (const m of [...moves].sort((a, b) => a.account - b.account)) {
    const key = `${m.from}>${m.to}`;
    groups.set(key, [...(groups.get(key) ?? []), m]);
  }
  return [...groups.values()];
}

async function moveOne(
  client: LedgerClient,
  topology: Topology,
  move: { from: ClusterId; to: ClusterId; accounts: AccountId[]; epoch: number },
  timeoutMs: number,
): Promise<AppliedMove> {
  const started = performance.now();
  const deadline = started + timeoutMs;
  const { from, to, accounts, epoch } = move;
  let last = 'no answer';
  for (let attempt = 1; ; attempt++) {
    if (performance.now() >= deadline)
      throw new LedgerError(
        'timeout',
        `the move of epoch ${epoch} (${accounts.length} accounts, c${from} to c${to}) did not happen: ${last}`,
        {
          hint: 'run `ledger reshard` again: it completes the plan',
        },
      );
    const outcome = await client.reshardCommand(from, { kind: 'move-out', accounts, to, epoch });
    if (outcome?.status === 'committed') break;
    if (outcome?.status === 'rejected')
      throw new LedgerError('bad-input', `cluster ${from} refused the move of epoch ${epoch}: ${outcome.reason}`, {
        hint: 'the shard map changed under the plan: run `ledger reshard` again to plan from it',
      });
    // Held by a prepared cross-shard transfer, or the leader was busy: ask again shortly.
    last =
      outcome === undefined
        ? 'no answer from its leader'
        : `${outcome.status}: ${'reason' in outcome ? outcome.reason : ''}`;
    await sleep(Math.min(500, 20 * attempt));
  }
  const entries: MapEntry[] = accounts.map((account) => ({ account, cluster: to, epoch }));
  for (const e of entries) client.map.merge(e);
  await untilHeld(client, topology, to, accounts, epoch, deadline);
  for (let c = 1; c <= topology.clusters; c++) {
    if (c === from || c === to) continue;
    for (let i = 0; i < entries.length; i += limits.mapEntriesPerMergeMax)
      await client.reshardCommand(c, {
        kind: 'map-merge',
        entries: entries.slice(i, i + limits.mapEntriesPerMergeMax),
      });
  }
  return { epoch, from, to, accounts, durationMs: Math.round(performance.now() - started) };
}

/** Waits until a node of the destination holds every account at `epoch` (its move-in applied). */
async function untilHeld(
  client: LedgerClient,
  topology: Topology,
  cluster: ClusterId,
  accounts: readonly AccountId[],
  epoch: number,
  deadline: number,
): Promise<void> {
  const members = nodesOfCluster(topology, cluster);
  for (let attempt = 1; performance.now() < deadline; attempt++) {
    for (const node of members) {
      const copy = await client.shardMap(node).catch(() => undefined);
      if (copy === undefined) continue;
      const at = new Map(copy.entries.map((e) => [e.account, e]));
      if (accounts.every((a) => at.get(a)?.cluster === cluster && (at.get(a)?.epoch ?? 0) >= epoch)) return;
    }
    await sleep(Math.min(200, 10 * attempt));
  }
  throw new LedgerError('timeout', `cluster ${cluster} did not take the move of epoch ${epoch} in time`, {
    hint: 'the source resends it until it is taken; run `ledger reshard` again to finish the plan',
  });
}
