import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { TransferHistory } from '../../src/ledger/history.js';

describe('TransferHistory', () => {
  test('keeps the last `capacity` pairs: the oldest go, first counts the positions forgotten', () => {
    const h = new TransferHistory(3);
    for (let i = 1; i <= 7; i++) h.append(i, i + 100);
    assert.equal(h.length, 3);
    assert.equal(h.first, 4);
    assert.deepEqual(h.pairs(), [
      [5, 105],
      [6, 106],
      [7, 107],
    ]);
    // Many more than the capacity (the arrays are trimmed now and then): still the last three.
    for (let i = 8; i <= 50; i++) h.append(i, i + 100);
    assert.equal(h.first, 47);
    assert.deepEqual(h.pairs(), [
      [48, 148],
      [49, 149],
      [50, 150],
    ]);
  });

  test('the hash changes with each append and with the content; two histories of the same pairs agree', () => {
    const a = new TransferHistory(10);
    const b = new TransferHistory(10);
    const empty = a.hash;
    a.append(1, 2);
    assert.notEqual(a.hash, empty);
    b.append(2, 1);
    assert.notEqual(a.hash, b.hash, 'the direction counts');
    const c = new TransferHistory(10, [[1, 2]]);
    assert.equal(c.hash, a.hash);
    // The same pairs at other positions are another history.
    const d = new TransferHistory(10, [[1, 2]], 5);
    assert.notEqual(d.hash, a.hash);
    // Past the capacity the hash is that of the pairs kept, at their positions.
    const e = new TransferHistory(2);
    for (const [x, y] of [
      [1, 2],
      [3, 4],
      [5, 6],
    ] as const)
      e.append(x, y);
    const f = new TransferHistory(
      2,
      [
        [3, 4],
        [5, 6],
      ],
      1,
    );
    assert.equal(e.hash, f.hash);
  });

  test('pendingWrites: the pairs appended (still kept) with their positions, and the floor below which positions are forgotten', () => {
    const h = new TransferHistory(3);
    h.append(1, 2);
    h.append(3, 4);
    assert.deepEqual(h.pendingWrites(), {
      historyAppended: [
        [0, 1, 2],
        [1, 3, 4],
      ],
      historyFloor: -1,
    });
    h.writesPersisted();
    assert.deepEqual(h.pendingWrites(), { historyAppended: [], historyFloor: -1 });
    for (let i = 0; i < 4; i++) h.append(10 + i, 20 + i);
    // Positions 2..5 appended; 0..2 forgotten (the window is 3..5).
    assert.deepEqual(h.pendingWrites(), {
      historyAppended: [
        [3, 11, 21],
        [4, 12, 22],
        [5, 13, 23],
      ],
      historyFloor: 2,
    });
    // Far more appended than kept between two writes: only the window is written.
    for (let i = 0; i < 20; i++) h.append(i, i + 1);
    const w = h.pendingWrites();
    assert.deepEqual(
      w.historyAppended.map(([p]) => p),
      [23, 24, 25],
    );
    assert.equal(w.historyFloor, 22);
  });

  test('capacity 0 keeps nothing, hashes nothing, writes nothing', () => {
    const h = new TransferHistory(0);
    const empty = h.hash;
    h.append(1, 2);
    h.append(3, 4);
    assert.equal(h.length, 0);
    assert.deepEqual(h.pairs(), []);
    assert.equal(h.hash, empty);
    assert.deepEqual(h.pendingWrites().historyAppended, []);
  });

  test('a negative or fractional capacity is a programmer error', () => {
    assert.throws(() => new TransferHistory(-1));
    assert.throws(() => new TransferHistory(1.5));
  });

  test('load round-trip: pairs and first of one history loaded into another give the same pairs, first and hash, nothing pending', () => {
    const h = new TransferHistory(4);
    for (let i = 1; i <= 9; i++) h.append(i, 2 * i);
    const copy = new TransferHistory(4);
    copy.append(77, 78);
    copy.load(h.pairs(), h.first);
    assert.deepEqual(copy.pairs(), h.pairs());
    assert.equal(copy.first, h.first);
    assert.equal(copy.hash, h.hash);
    assert.deepEqual(copy.pendingWrites().historyAppended, [], 'a load is not an append');
    // Both go on alike.
    h.append(100, 101);
    copy.append(100, 101);
    assert.equal(copy.hash, h.hash);
    assert.equal(copy.first, h.first);
  });
});
