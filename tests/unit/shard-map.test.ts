import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ShardMap } from '../../src/ledger/shard-map.js';
import type { MapEntry } from '../../src/protocol/shard-map.js';

/** The topology's ranges for these tests: 1-10 on cluster 1, 11-20 on cluster 2. */
const initialOwner = (a: number) => (a >= 1 && a <= 10 ? 1 : a >= 11 && a <= 20 ? 2 : undefined);

describe('ShardMap', () => {
  test('merge keeps the higher epoch: an older or equal entry changes nothing and says so', () => {
    const m = new ShardMap();
    assert.equal(m.merge({ account: 5, cluster: 2, epoch: 3 }), true);
    assert.equal(m.merge({ account: 5, cluster: 3, epoch: 2 }), false, 'older');
    assert.equal(m.merge({ account: 5, cluster: 3, epoch: 3 }), false, 'same epoch');
    assert.deepEqual(m.entryOf(5), { account: 5, cluster: 2, epoch: 3 });
    assert.equal(m.merge({ account: 5, cluster: 1, epoch: 4 }), true, 'newer');
    assert.deepEqual(m.entryOf(5), { account: 5, cluster: 1, epoch: 4 });
    assert.equal(m.size, 1);
  });

  test("epoch is the highest of any entry's (0 with none), and an older merge does not lower it", () => {
    const m = new ShardMap();
    assert.equal(m.epoch, 0);
    m.merge({ account: 1, cluster: 2, epoch: 7 });
    m.merge({ account: 2, cluster: 2, epoch: 3 });
    assert.equal(m.epoch, 7);
    m.merge({ account: 1, cluster: 1, epoch: 9 });
    assert.equal(m.epoch, 9);
    assert.equal(m.image().epoch, 9);
    assert.equal(m.epochOf(2), 3);
    assert.equal(m.epochOf(3), 0, 'an account that never moved');
  });

  test('ownerOf: the entry when the account moved, else the initial owner (undefined: no such account)', () => {
    const m = new ShardMap([{ account: 4, cluster: 2, epoch: 1 }]);
    assert.equal(m.ownerOf(4, initialOwner), 2);
    assert.equal(m.ownerOf(5, initialOwner), 1);
    assert.equal(m.ownerOf(15, initialOwner), 2);
    assert.equal(m.ownerOf(99, initialOwner), undefined);
  });

  test('the same entries merged in any order give the same hash, image and owners; a different map a different hash', () => {
    const entries: MapEntry[] = [
      { account: 1, cluster: 2, epoch: 1 },
      { account: 1, cluster: 3, epoch: 4 },
      { account: 2, cluster: 2, epoch: 2 },
      { account: 12, cluster: 1, epoch: 3 },
      { account: 2, cluster: 3, epoch: 1 },
    ];
    const a = new ShardMap();
    for (const e of entries) a.merge(e);
    const b = new ShardMap();
    for (const e of [...entries].reverse()) b.merge(e);
    const c = new ShardMap([
      entries[3] as MapEntry,
      entries[0] as MapEntry,
      entries[4] as MapEntry,
      entries[1] as MapEntry,
      entries[2] as MapEntry,
    ]);
    assert.equal(a.hash, b.hash);
    assert.equal(a.hash, c.hash);
    assert.deepEqual(a.image(), b.image());
    assert.deepEqual(a.image(), {
      epoch: 4,
      entries: [
        { account: 1, cluster: 3, epoch: 4 },
        { account: 2, cluster: 2, epoch: 2 },
        { account: 12, cluster: 1, epoch: 3 },
      ],
    });
    const d = new ShardMap(entries.slice(0, 4));
    assert.equal(d.hash, a.hash, 'the older entry of account 2 lost anyway');
    d.merge({ account: 2, cluster: 3, epoch: 6 });
    assert.notEqual(d.hash, a.hash, 'account 2 at another cluster');
    const e = new ShardMap(entries);
    e.merge({ account: 2, cluster: 2, epoch: 6 });
    assert.notEqual(e.hash, a.hash, 'the same cluster at another epoch');
    assert.notEqual(new ShardMap().hash, a.hash);
  });

  test('pendingEntries lists what changed since clearDirty (a refused merge adds nothing); load starts clean', () => {
    const m = new ShardMap([{ account: 1, cluster: 2, epoch: 1 }]);
    assert.deepEqual(m.pendingEntries(), [], 'loaded entries are not pending');
    m.merge({ account: 2, cluster: 2, epoch: 2 });
    m.merge({ account: 1, cluster: 3, epoch: 3 });
    assert.deepEqual(
      m.pendingEntries().sort((x, y) => x.account - y.account),
      [
        { account: 1, cluster: 3, epoch: 3 },
        { account: 2, cluster: 2, epoch: 2 },
      ],
    );
    m.clearDirty();
    assert.deepEqual(m.pendingEntries(), []);
    m.merge({ account: 2, cluster: 3, epoch: 1 });
    assert.deepEqual(m.pendingEntries(), [], 'an older entry is not a change');
    m.merge({ account: 2, cluster: 3, epoch: 5 });
    assert.deepEqual(m.pendingEntries(), [{ account: 2, cluster: 3, epoch: 5 }]);
  });

  test('a merged entry is a copy: changing the caller’s object later changes nothing', () => {
    const m = new ShardMap();
    const e = { account: 1, cluster: 2, epoch: 1 };
    m.merge(e);
    const hash = m.hash;
    e.cluster = 3;
    assert.equal(m.entryOf(1)?.cluster, 2);
    assert.equal(m.hash, hash);
  });
});
