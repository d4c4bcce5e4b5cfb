import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { encodeCbor } from '../../src/codec/cbor.js';
import { encodedBytesMax } from '../../src/core/encoded-size.js';
import { fittingCount, packByBytes } from '../../src/core/pack.js';
import { SeededRandom } from '../../src/core/random.js';

/** Random plain data of the kinds the protocols send, with strings from every UTF-8 width. */
function randomValue(r: SeededRandom, depth: number): unknown {
  const alphabet = ['a', 'Z', '0', 'é', 'ß', '€', '中', '😀', '\u{10FFFF}', '\uD800'];
  // Three levels of containers at most: deeper ones made values of many megabytes and this test slow.
  const kind = depth > 2 ? r.int(0, 4) : r.int(0, 6);
  switch (kind) {
    case 0:
      return r.pick([
        0,
        1,
        23,
        24,
        255,
        256,
        65_535,
        65_536,
        2 ** 32,
        Number.MAX_SAFE_INTEGER,
        -1,
        -25,
        -Number.MAX_SAFE_INTEGER,
        0.5,
        1e300,
      ]);
    case 1: {
      // A long string only at the top: one inside each of thousands of leaves cost minutes.
      const n = r.pick(
        depth === 0 ? [0, 1, 7, 8, 22, 23, 24, 85, 86, 300, 70_000] : [0, 1, 7, 8, 22, 23, 24, 85, 86, 300],
      );
      let s = '';
      while (s.length < n) s += r.pick(alphabet);
      return s;
    }
    case 2:
      return r.pick([true, false, null, undefined]);
    case 3:
      return new Uint8Array(r.pick([0, 23, 24, 300]));
    case 4:
      return r.int(0, 1_000_000);
    case 5:
      return Array.from({ length: r.pick([0, 3, 30]) }, () => randomValue(r, depth + 1));
    default: {
      const o: Record<string, unknown> = {};
      for (let i = r.int(0, 30); i > 0; i--) o[`k${r.int(0, 1000)}${r.pick(alphabet)}`] = randomValue(r, depth + 1);
      return o;
    }
  }
}

describe('encodedBytesMax bounds the real CBOR encoding', () => {
  test('never below the encoder on random values (every string width, number size, nesting)', () => {
    const r = new SeededRandom(7);
    for (let i = 0; i < 3000; i++) {
      const v = randomValue(r, 0);
      const real = encodeCbor(v).length;
      const bound = encodedBytesMax(v);
      // The message is built only on failure: stringifying every value made this test slow.
      if (bound < real) assert.fail(`bound ${bound} < real ${real} for ${JSON.stringify(v)?.slice(0, 200)}`);
    }
  });

  test('close to it for what the ledger sends (a command): packing is not needlessly loose', () => {
    const command = {
      clientId: 'bench-4711-17',
      seq: 123_456,
      op: { kind: 'transfer', from: 1234, to: 98_765, amount: 50 },
    };
    const real = encodeCbor(command).length;
    assert.ok(encodedBytesMax(command) <= real * 1.5, `bound ${encodedBytesMax(command)} vs real ${real}`);
  });
});

describe('packing by bytes', () => {
  test('packs in order under the byte and count limits, an oversized item alone', () => {
    const sizes = [3, 3, 3, 10, 1, 1, 1, 1];
    assert.deepEqual(
      packByBytes(sizes, (n) => n, 6),
      [[3, 3], [3], [10], [1, 1, 1, 1]],
    );
    assert.deepEqual(
      packByBytes(sizes, (n) => n, 6, 3),
      [[3, 3], [3], [10], [1, 1, 1], [1]],
    );
    assert.equal(
      fittingCount(sizes, 3, (n) => n, 6, 10),
      1,
    );
    assert.equal(
      fittingCount([], 0, (n: number) => n, 6, 10),
      0,
    );
  });
});
