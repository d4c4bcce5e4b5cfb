import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ZipfSampler, zipfExponentOfSkew } from '../../src/load/zipf.js';
import { LedgerError } from '../../src/core/errors.js';
import { SeededRandom } from '../../src/core/random.js';

function frequencies(sampler: ZipfSampler, draws: number, seed: number): number[] {
  const counts = new Array<number>(sampler.n + 1).fill(0);
  const random = new SeededRandom(seed);
  for (let i = 0; i < draws; i++) counts[sampler.sample(random)]!++;
  return counts;
}

describe('Zipf sampler', () => {
  test('exponent 0 is uniform: every rank within 10 % of its expected count', () => {
    const z = new ZipfSampler(50, 0);
    const counts = frequencies(z, 100_000, 1);
    for (let k = 1; k <= 50; k++) assert.ok(Math.abs(counts[k]! - 2000) < 200, `rank ${k}: ${counts[k]}`);
    assert.equal(counts[0], 0);
  });

  test('exponent 1 follows 1/k: the observed share of the top ranks matches the law', () => {
    const z = new ZipfSampler(1000, 1);
    const draws = 200_000;
    const counts = frequencies(z, draws, 2);
    for (const k of [1, 2, 3, 10, 100]) {
      const expected = z.probability(k) * draws;
      assert.ok(
        Math.abs(counts[k]! - expected) < 5 * Math.sqrt(expected) + 1,
        `rank ${k}: ${counts[k]} vs ${expected.toFixed(0)}`,
      );
    }
    // P(1) / P(2) = 2 under 1/k.
    assert.ok(Math.abs(z.probability(1) / z.probability(2) - 2) < 1e-9);
  });

  test('probabilities sum to 1 and fall with rank; rank 1 of 9000 at exponent 1 is about 10 %', () => {
    const z = new ZipfSampler(9000, 1);
    let sum = 0;
    for (let k = 1; k <= 9000; k++) {
      sum += z.probability(k);
      if (k > 1) assert.ok(z.probability(k) <= z.probability(k - 1));
    }
    assert.ok(Math.abs(sum - 1) < 1e-9);
    assert.ok(z.probability(1) > 0.09 && z.probability(1) < 0.11, String(z.probability(1)));
    assert.equal(z.probability(0), 0);
    assert.equal(z.probability(9001), 0);
  });

  test('one item: always rank 1, at any exponent', () => {
    for (const s of [0, 0.5, 1]) {
      const z = new ZipfSampler(1, s);
      const r = new SeededRandom(3);
      for (let i = 0; i < 100; i++) assert.equal(z.sample(r), 1);
    }
  });

  test('samples stay in 1..n even for values of next() at the edges', () => {
    const z = new ZipfSampler(7, 1);
    assert.equal(z.sample({ next: () => 0 }), 1);
    assert.equal(z.sample({ next: () => 0.9999999999999999 }), 7);
  });

  test('bad sizes and exponents are bad input', () => {
    for (const [n, s] of [
      [0, 1],
      [-1, 1],
      [1.5, 1],
      [10, -0.1],
      [10, Number.NaN],
      [20_000_000, 1],
    ] as const) {
      assert.throws(
        () => new ZipfSampler(n, s),
        (e: unknown) => e instanceof LedgerError && e.code === 'bad-input',
        `n=${n} s=${s}`,
      );
    }
  });

  test('--skew maps linearly to the exponent', () => {
    assert.equal(zipfExponentOfSkew(0), 0);
    assert.equal(zipfExponentOfSkew(0.99), 0.99);
    assert.equal(zipfExponentOfSkew(1), 1);
  });
});
