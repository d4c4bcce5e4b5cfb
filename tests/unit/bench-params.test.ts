import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  defaultParams,
  parseDurationS,
  parseShare,
  presets,
  resolveParams,
  type BenchFlags,
} from '../../bench/params.js';
import { LedgerError } from '../../src/core/errors.js';

const noSeed = () => {
  throw new Error('randomSeed must not be called when --seed is given');
};
const resolve = (flags: BenchFlags) => resolveParams({ seed: '1', ...flags }, noSeed);
const isBadInput = (pattern: RegExp) => (e: unknown) =>
  e instanceof LedgerError && e.code === 'bad-input' && pattern.test(e.message) && e.hint !== undefined;

describe('bench parameters: presets and flags', () => {
  test('the presets are the course project runs', () => {
    // small arrives at 50/s, so its 200 transactions take 4 s: a throughput plot of whole seconds.
    assert.deepEqual(resolve({ preset: 'small' }), {
      ...defaultParams,
      seed: 1,
      preset: 'small',
      transactions: 200,
      rateTps: 50,
      durationS: null,
      readRatio: 0.2,
      crossShardRatio: 0.2,
      skew: 0,
    });
    assert.equal(resolve({ preset: 'small', rate: '200' }).rateTps, 200, '--rate still wins over the preset');
    const skewed = resolve({ preset: 'skewed' });
    assert.equal(skewed.transactions, 2000);
    assert.equal(skewed.readRatio, 0.1);
    assert.equal(skewed.crossShardRatio, 0.2);
    assert.equal(skewed.skew, 1);
    const intra = resolve({ preset: 'intra' });
    assert.deepEqual([intra.transactions, intra.readRatio, intra.crossShardRatio, intra.skew], [30_000, 0, 0, 0]);
    assert.equal(Object.keys(presets).length, 3);
  });

  test('explicit flags override the preset, the rest of the preset stays', () => {
    const p = resolve({
      preset: 'skewed',
      skew: '0.5',
      transactions: '10',
      rate: '250',
      concurrency: '4',
      consistency: 'any',
    });
    assert.deepEqual([p.skew, p.transactions, p.rateTps, p.concurrency, p.consistency], [0.5, 10, 250, 4, 'any']);
    assert.equal(p.readRatio, 0.1);
    assert.equal(p.crossShardRatio, 0.2);
  });

  test("--duration replaces a preset's transaction count", () => {
    const p = resolve({ preset: 'intra', duration: '1.5s' });
    assert.equal(p.transactions, null);
    assert.equal(p.durationS, 1.5);
  });

  test('the random seed is drawn only when --seed is absent, and printed in the params', () => {
    assert.equal(resolveParams({}, () => 12345).seed, 12345);
    assert.equal(resolve({ seed: '0' }).seed, 0);
  });

  test('without preset or flags: the documented defaults, a closed loop', () => {
    const p = resolve({});
    assert.equal(p.rateTps, null);
    assert.equal(p.transactions, defaultParams.transactions);
    assert.equal(p.preset, null);
  });

  test('--clients: 1 by default; each client process needs a request in flight', () => {
    assert.equal(resolve({}).clients, 1);
    assert.equal(resolve({ clients: '4', concurrency: '192' }).clients, 4);
    assert.throws(
      () => resolve({ clients: '32' }),
      isBadInput(/--clients 32 is more than --concurrency 16/),
      'the default concurrency is 16',
    );
    // Out of range: the message says the range (as for every whole-number flag).
    const outOfRange = (e: unknown) =>
      e instanceof LedgerError && e.code === 'bad-input' && /--clients "\d+" .* from 1 to 64/.test(e.message);
    assert.throws(() => resolve({ clients: '0' }), outOfRange);
    assert.throws(() => resolve({ clients: '65', concurrency: '100' }), outOfRange);
  });

  test('bad input is a bad-input error with a hint', () => {
    assert.throws(() => resolve({ readRatio: '2' }), isBadInput(/--read-ratio must be between 0 and 1/));
    assert.throws(() => resolve({ crossShard: '-0.1' }), isBadInput(/--cross-shard/));
    assert.throws(() => resolve({ skew: 'high' }), isBadInput(/--skew "high" is not a number/));
    assert.throws(() => resolve({ preset: 'huge' }), isBadInput(/unknown preset "huge"/));
    assert.throws(() => resolve({ transactions: '5', duration: '3' }), isBadInput(/not both/));
    assert.throws(() => resolve({ rate: '0' }), isBadInput(/--rate/));
    assert.throws(() => resolve({ consistency: 'strong' }), isBadInput(/--consistency/));
    assert.throws(() => resolve({ warmup: 'soon' }), isBadInput(/--warmup/));
    for (const bad of ['0', '1.5', '-3', 'x', '100001'])
      assert.throws(
        () => resolve({ concurrency: bad }),
        (e: unknown) => e instanceof LedgerError && e.code === 'bad-input',
        bad,
      );
    assert.throws(
      () => resolve({ seed: '4294967296' }),
      (e: unknown) => e instanceof LedgerError && e.code === 'bad-input',
    );
  });

  test('shares accept fractions and percentages; durations take ms, s and m', () => {
    assert.equal(parseShare('0.25', '--x'), 0.25);
    assert.equal(parseShare('20%', '--x'), 0.2);
    assert.equal(parseShare(' 1 ', '--x'), 1);
    assert.throws(() => parseShare('%', '--x'));
    assert.throws(() => parseShare('150%', '--x'));
    assert.equal(parseDurationS('30', '--d'), 30);
    assert.equal(parseDurationS('500ms', '--d'), 0.5);
    assert.equal(parseDurationS('2m', '--d'), 120);
    assert.throws(() => parseDurationS('-1s', '--d'));
  });
});
