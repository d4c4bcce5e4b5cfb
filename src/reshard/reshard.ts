import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LedgerClient } from '../client/ledger-client.js';
import { LedgerError } from '../core/errors.js';
import { nodesOfCluster, type Topology } from '../ledger/topology.js';
import type { AccountId, ClusterId } from '../protocol/ids.js';
import { applyPlan, type ApplyOptions, type ApplyReport } from './apply.js';
import { planReshard, reshardBalanceToleranceDefault, type ReshardPlan } from './plan.js';
import { planJson, type ReshardPlanJson } from './render.js';

export interface ReshardOptions {
  seed: number;
  balanceTolerance?: number;
  /** Plan only: print the moves, change nothing. */
  dryRun: boolean;
  /** Where an unfinished plan is kept (the data dir), so a re-run completes it. */
  dataDir?: string;
  /** Plan afresh even if an unfinished plan is kept. */
  replan?: boolean;
  onProgress?: ApplyOptions['onProgress'];
}

export interface ReshardResult {
  plan: ReshardPlanJson;
  /** The plan was an unfinished one, kept from a run that stopped half-way. */
  resumed: boolean;
  applied?: ApplyReport;
}

/** Every cluster's history, as one list of account pairs (from the replica that applied most). */
export async function gatherHistory(
  client: LedgerClient,
  topology: Topology,
): Promise<Array<readonly [AccountId, AccountId]>> {
  const pairs: Array<readonly [AccountId, AccountId]> = [];
  for (let c: ClusterId = 1; c <= topology.clusters; c++) {
    const copies = await Promise.all(
      nodesOfCluster(topology, c).map(async (node) => {
        const [history, status] = await Promise.all([client.history(node), client.nodeStatus(node)]).catch(() => []);
        return history === undefined || status === undefined ? undefined : { history, applied: status.appliedIndex };
      }),
    );
    const best = copies
      .filter((x): x is NonNullable<typeof x> => x !== undefined)
      .sort((a, b) => b.applied - a.applied)[0];
    if (best === undefined)
      throw new LedgerError('unavailable', `no node of cluster ${c} answered: its history is unknown`, {
        hint: 'see `ledger cluster status`',
      });
    pairs.push(...best.history.pairs);
  }
  return pairs;
}

/** Plans a reshard from the clusters' histories under the current map. */
export async function planFromCluster(
  client: LedgerClient,
  topology: Topology,
  seed: number,
  balanceTolerance = reshardBalanceToleranceDefault,
): Promise<ReshardPlan> {
  await client.refreshMap();
  const history = await gatherHistory(client, topology);
  return planReshard({ topology, ownerOf: (a) => client.ownerOf(a), history, seed, balanceTolerance });
}

/**
 * `ledger reshard`: plans from the histories (or resumes a plan a stopped run left in the data
 * dir), and unless it is a dry run carries it out while transfers go on (apply.ts). The plan is
 * kept in the data dir until every move is done, so a re-run after a kill completes it.
 */
export async function reshard(
  client: LedgerClient,
  topology: Topology,
  options: ReshardOptions,
): Promise<ReshardResult> {
  const file = options.dataDir === undefined ? undefined : planFile(options.dataDir);
  const kept = file !== undefined && !options.replan && !options.dryRun ? readKept(file) : undefined;
  const plan = kept ?? planJson(await planFromCluster(client, topology, options.seed, options.balanceTolerance));
  if (options.dryRun) return { plan, resumed: false };
  if (file !== undefined) writeKept(file, plan);
  const applied = await applyPlan(client, topology, plan.moves, {
    ...(options.onProgress === undefined ? {} : { onProgress: options.onProgress }),
  });
  if (file !== undefined) rmSync(file, { force: true });
  return { plan, resumed: kept !== undefined, applied };
}

function planFile(dataDir: string): string {
  return join(dataDir, 'reshard', 'unfinished-plan.json');
}

function readKept(file: string): ReshardPlanJson | undefined {
  if (!existsSync(file)) return undefined;
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as ReshardPlanJson;
  } catch (error) {
    throw new LedgerError('storage', `the unfinished reshard plan ${file} is damaged: ${(error as Error).message}`, {
      hint: 'run `ledger reshard --replan` to plan afresh',
    });
  }
}

/** Written whole, then renamed: a kill never leaves half a plan. */
function writeKept(file: string, plan: ReshardPlanJson): void {
  mkdirSync(join(file, '..'), { recursive: true });
  writeFileSync(`${file}.tmp`, JSON.stringify(plan));
  renameSync(`${file}.tmp`, file);
}
