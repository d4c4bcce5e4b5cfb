import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { LedgerClient } from '../../src/client/ledger-client.js';
import { LedgerError } from '../../src/core/errors.js';
import { defaultTopology } from '../../src/ledger/topology.js';
import { parseTestFile } from '../../src/testfile/parse.js';
import { pickSets } from '../../src/testfile/pick-sets.js';
import { planRun } from '../../src/testfile/plan.js';
import { reshardSet, setReshardLines } from '../../src/testfile/set-reshard.js';

/** `ledger run --sets` and the text of PrintReshard after a set (docs/test-files.md). */

const all = '"[n1, n2, n3, n4, n5, n6, n7, n8, n9]"';
const plans = planRun(
  parseTestFile([`2,"(1, 2, 1)",${all}`, `9,"(1001, 4001, 1)",${all}`, `10,"(1)",${all}`].join('\n'), 't.csv'),
  't.csv',
  { flush: true, initialBalance: 10 },
);

describe('--sets', () => {
  test('keeps the listed sets, in file order', () => {
    assert.deepEqual(
      pickSets(plans, '10, 2').map((p) => p.set.set),
      [2, 10],
    );
    assert.deepEqual(
      pickSets(plans, '9').map((p) => p.set.set),
      [9],
    );
  });

  test('refuses a set the file does not have, naming the ones it has', () => {
    assert.throws(
      () => pickSets(plans, '9,15'),
      (e: unknown) => e instanceof LedgerError && /no set 15/.test(e.message) && /2, 9, 10/.test(e.hint ?? ''),
    );
  });

  for (const bad of ['', 'nine', '9-10', '9,,10', '-1'])
    test(`refuses "${bad}" (not a list of set numbers)`, () => {
      assert.throws(
        () => pickSets(plans, bad),
        (e: unknown) => e instanceof LedgerError && e.code === 'bad-input',
      );
    });
});

describe('PrintReshard after a set', () => {
  test('the triplets one per line, then the cross-shard share', () => {
    assert.deepEqual(
      setReshardLines({
        moves: [{ account: 4001, from: 2, to: 1 }],
        triplets: ['(4001, c2, c1)'],
        historyTransfers: 10,
        crossShareBefore: 0.4,
        crossShareAfter: 0,
      }),
      ['  PrintReshard:', '  (4001, c2, c1)', '  cross-shard share of 10 transfers: 40.0 % → 0.0 %'],
    );
    assert.deepEqual(
      setReshardLines({ moves: [], triplets: [], historyTransfers: 0, crossShareBefore: 0, crossShareAfter: 0 }),
      ['  PrintReshard:', '  no account moves', '  cross-shard share of 0 transfers: 0.0 % → 0.0 %'],
    );
  });

  test('a reshard that cannot be done is reported, and the run goes on (no throw)', async () => {
    const down = {
      refreshMap: async () => [],
      history: async () => {
        throw new LedgerError('unavailable', 'no answer');
      },
      nodeStatus: async () => {
        throw new LedgerError('unavailable', 'no answer');
      },
      ownerOf: () => 1,
    } as unknown as LedgerClient;
    const r = await reshardSet(down, defaultTopology);
    assert.ok('error' in r, 'an error, not moves');
    assert.match(r.error, /no node of cluster 1 answered/);
    assert.deepEqual(setReshardLines(r), [`  PrintReshard: failed: ${r.error}`]);
  });
});
