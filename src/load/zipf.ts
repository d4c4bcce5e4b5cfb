import { badInput } from '../core/errors.js';
import type { Random } from '../core/random.js';

/** Largest number of items a sampler tabulates: one float per item, so 10 M items is 80 MB. */
const zipfItemsMax = 10_000_000;

/**
 * Zipf's law over `n` items: item k (1-based rank) is drawn with probability proportional to
 * 1 / k^exponent. Exponent 0 is uniform; 0.99 is YCSB's "zipfian"; 1 is the classic law, where
 * with 9000 items the top item alone gets about 10 % of the draws. The cumulative weights are
 * tabulated once, so a draw is one binary search and exact for every exponent (the rejection
 * samplers in the literature approximate, and would make the unit test's expectations fuzzy).
 */
export class ZipfSampler {
  private readonly cumulative: Float64Array;

  constructor(
    readonly n: number,
    readonly exponent: number,
  ) {
    if (!Number.isSafeInteger(n) || n < 1) throw badInput(`a Zipf distribution needs at least one item, got ${n}`);
    if (n > zipfItemsMax) throw badInput(`a Zipf distribution over ${n} items is too large (at most ${zipfItemsMax})`);
    if (!Number.isFinite(exponent) || exponent < 0)
      throw badInput(`the Zipf exponent must be a number >= 0, got ${exponent}`);
    this.cumulative = new Float64Array(n);
    let sum = 0;
    for (let k = 1; k <= n; k++) {
      sum += 1 / k ** exponent;
      this.cumulative[k - 1] = sum;
    }
  }

  /** Probability of rank k (1-based): for tests and for the help text's examples. */
  probability(k: number): number {
    if (k < 1 || k > this.n) return 0;
    const total = this.cumulative[this.n - 1] as number;
    const below = k === 1 ? 0 : (this.cumulative[k - 2] as number);
    return ((this.cumulative[k - 1] as number) - below) / total;
  }

  /** A rank in 1..n. */
  sample(random: Random): number {
    const target = random.next() * (this.cumulative[this.n - 1] as number);
    // The first rank whose cumulative weight exceeds the target.
    let lo = 0;
    let hi = this.n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.cumulative[mid] as number) > target) hi = mid;
      else lo = mid + 1;
    }
    return lo + 1;
  }
}

/**
 * How `--skew` (0..1) maps to the Zipf exponent: linearly, exponent = skew. So 0 is uniform,
 * 0.5 mildly skewed, 0.99 YCSB's zipfian and 1 Zipf's law proper ("highly skewed").
 */
export function zipfExponentOfSkew(skew: number): number {
  return skew;
}
