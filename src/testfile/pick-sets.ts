import { badInput } from '../core/errors.js';
import type { SetPlan } from './plan.js';

/**
 * `ledger run --sets 2,9`: the planned sets whose number (the file's first column) is listed, in
 * file order. A number the file does not have, or a list that is not numbers, is refused before
 * anything runs.
 */
export function pickSets(plans: SetPlan[], list: string): SetPlan[] {
  const items = list.split(',').map((s) => s.trim());
  if (items.some((s) => !/^\d+$/.test(s)))
    throw badInput(`--sets ${list}: expected set numbers separated by commas`, 'e.g. --sets 9 or --sets 2,9,10');
  const wanted = new Set(items.map(Number));
  const known = new Set(plans.map((p) => p.set.set));
  const missing = [...wanted].filter((n) => !known.has(n));
  if (missing.length > 0)
    throw badInput(`--sets: the file has no set ${missing.join(', ')}`, `its sets are ${[...known].join(', ')}`);
  return plans.filter((p) => wanted.has(p.set.set));
}
