import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { LedgerState } from '../../src/ledger/state.js';
import { Checkpoints } from '../../src/ledger/checkpoints.js';
import { StateHashHistory } from '../../src/ledger/state-hashes.js';
import { SnapshotReceiver, SnapshotSender, type SnapshotTarget } from '../../src/ledger/snapshot-transfer.js';
import type { SnapshotChunk } from '../../src/protocol/client.js';

function chunk(from: number, appliedIndex: number, index: number, chunks: number, account: number): SnapshotChunk {
  return {
    type: 'snapshot',
    from,
    appliedIndex,
    chunk: index,
    chunks,
    balances: [[account, 10]],
    sessions: [],
    coordinatorRecords: [],
    participantRecords: [],
  };
}

describe('SnapshotReceiver', () => {
  test('a snapshot is whole once every piece arrived, in any order, repeats included', () => {
    const r = new SnapshotReceiver();
    assert.equal(r.receive(chunk(2, 50, 1, 2, 2), 10), undefined);
    assert.equal(r.receive(chunk(2, 50, 1, 2, 2), 10), undefined, 'a repeated piece is not a second one');
    const whole = r.receive(chunk(2, 50, 0, 2, 1), 10);
    assert.equal(whole?.appliedIndex, 50);
    assert.deepEqual(new Set(whole?.image.balances.map(([a]) => a)), new Set([1, 2]));
  });

  test('a newer snapshot replaces one being received; an older one or one not ahead of the state is ignored', () => {
    const r = new SnapshotReceiver();
    r.receive(chunk(2, 50, 0, 2, 1), 10);
    assert.equal(r.receive(chunk(3, 60, 0, 2, 1), 10), undefined, 'the newer one starts over');
    assert.equal(r.receive(chunk(2, 50, 1, 2, 2), 10), undefined, 'a piece of the older one does not complete it');
    assert.equal(r.receive(chunk(3, 5, 0, 1, 1), 10), undefined, 'not ahead of the applied state');
    assert.equal(r.receive(chunk(3, 60, 1, 2, 2), 10)?.appliedIndex, 60);
  });

  test('pieces that disagree on the count, or whose index is out of range, are ignored', () => {
    const r = new SnapshotReceiver();
    r.receive(chunk(2, 50, 0, 2, 1), 10);
    assert.equal(r.receive(chunk(2, 50, 1, 3, 2), 10), undefined, 'another count');
    assert.equal(r.receive(chunk(2, 50, 2, 2, 2), 10), undefined, 'index out of range');
    assert.equal(r.receive(chunk(2, 50, 1, 2, 2), 10)?.appliedIndex, 50);
  });

  test("the sender cuts the state's image into pieces under the byte budget; received whole, they are that image again", () => {
    const state = new LedgerState({
      balances: new Map(Array.from({ length: 300 }, (_, i) => [i + 1, 100] as [number, number])),
      appliedIndex: 0,
    });
    state.applySlot(1, [
      { clientId: 'a', seq: 1, op: { kind: 'transfer', from: 1, to: 2, amount: 5 } },
      { clientId: 'b', seq: 1, op: { kind: 'x-prepare-coordinator', from: 3, to: 999, amount: 7, participant: 2 } },
      { clientId: 'c', seq: 1, op: { kind: 'x-prepare-participant', to: 4, amount: 9, coordinator: 2 } },
    ]);
    const pieces = new SnapshotSender(1, 10, 3_000).piecesFor(2, 0, state);
    assert.ok(pieces.length > 2, `${pieces.length} pieces`);
    const r = new SnapshotReceiver();
    let whole;
    for (const { message } of [...pieces].reverse()) whole = r.receive(message, 0) ?? whole;
    assert.equal(whole?.appliedIndex, 1);
    const image = state.image();
    assert.deepEqual(new Map(whole?.image.balances), new Map(image.balances));
    assert.deepEqual(
      [whole?.image.sessions, whole?.image.coordinatorRecords, whole?.image.participantRecords],
      [image.sessions, image.coordinatorRecords, image.participantRecords],
    );
    assert.equal(
      image.coordinatorRecords.length + image.participantRecords.length,
      2,
      'the 2PC records are in the image',
    );
  });
});

describe('SnapshotReceiver.step: installing a snapshot', () => {
  /** Replica 1 of a shard with accounts 1..3, at slot 5, in a cluster of members 1..3. */
  function target(): SnapshotTarget & { installedAt: number[] } {
    const installedAt: number[] = [];
    const state = new LedgerState({
      balances: new Map([
        [1, 100],
        [2, 100],
        [3, 100],
      ]),
      appliedIndex: 5,
    });
    const hashes = new StateHashHistory();
    hashes.record(5, state.stateHash);
    return {
      self: 1,
      replica: { isMember: (id) => id >= 1 && id <= 3, installSnapshot: (slot) => void installedAt.push(slot) },
      state,
      hashes,
      checkpoints: new Checkpoints({ intervalSlots: 10, logTailSlots: 0 }, 5),
      moneyMax: 300,
      installedAt,
    };
  }
  const snapshot = (from: number, appliedIndex: number, balances: Array<[number, number]>): SnapshotChunk => ({
    type: 'snapshot',
    from,
    appliedIndex,
    chunk: 0,
    chunks: 1,
    balances,
    sessions: [],
    coordinatorRecords: [],
    participantRecords: [],
  });

  test('a whole snapshot from another member replaces the state; the log, the hash history and the checkpoint interval restart from its slot', () => {
    const t = target();
    const r = new SnapshotReceiver();
    assert.equal(
      r.step(
        snapshot(2, 40, [
          [1, 50],
          [2, 150],
          [3, 100],
        ]),
        t,
      ),
      true,
    );
    assert.deepEqual([t.state.appliedIndex, t.state.balanceOf(1), t.installedAt], [40, 50, [40]]);
    assert.deepEqual(t.hashes.list(), [[40, t.state.stateHash]], 'only the hash at the snapshot');
    assert.equal(t.checkpoints.afterApply(49, 40), undefined, 'the next checkpoint counts from slot 40');
    assert.equal(t.checkpoints.afterApply(50, 40), 50);
    assert.equal(r.refused.size, 0);
  });

  test('a piece from itself or from a non-member is ignored, and not counted', () => {
    const t = target();
    const r = new SnapshotReceiver();
    assert.equal(
      r.step(
        snapshot(1, 40, [
          [1, 50],
          [2, 150],
          [3, 100],
        ]),
        t,
      ),
      false,
    );
    assert.equal(
      r.step(
        snapshot(9, 40, [
          [1, 50],
          [2, 150],
          [3, 100],
        ]),
        t,
      ),
      false,
    );
    assert.deepEqual([t.state.appliedIndex, t.installedAt, r.refused.size], [5, [], 0]);
  });

  test('a snapshot taken after moves installs: without the accounts its map gave away, with those it gave this cluster', () => {
    // Cluster 1 holds 1..3 at slot 5; by slot 40 it gave 3 to cluster 2 and took in 7.
    const base = target();
    const t = {
      ...base,
      state: new LedgerState({ balances: new Map(base.state.accounts()), appliedIndex: 5, cluster: 1 }),
    };
    const r = new SnapshotReceiver();
    const moved = (
      appliedIndex: number,
      balances: Array<[number, number]>,
      mapEntries: SnapshotChunk['mapEntries'],
    ) => ({
      ...snapshot(2, appliedIndex, balances),
      mapEntries,
    });
    const entries = [
      { account: 3, cluster: 2, epoch: 1 },
      { account: 7, cluster: 1, epoch: 2 },
    ];
    assert.equal(
      r.step(
        moved(
          38,
          [
            [1, 50],
            [2, 150],
            [3, 100],
            [7, 10],
          ],
          entries,
        ),
        t,
      ),
      false,
      'holds an account it gave away',
    );
    assert.equal(
      r.step(
        moved(
          39,
          [
            [1, 50],
            [2, 150],
            [8, 10],
          ],
          entries,
        ),
        t,
      ),
      false,
      'holds an account its map does not give us',
    );
    assert.equal(
      r.step(
        moved(
          40,
          [
            [1, 50],
            [2, 150],
            [7, 10],
          ],
          entries,
        ),
        t,
      ),
      true,
    );
    assert.deepEqual([...t.state.accounts()].sort(), [
      [1, 50],
      [2, 150],
      [7, 10],
    ]);
  });

  test('a snapshot that does not hold exactly the shard, or holds a balance above all the money, is refused and counted', () => {
    const t = target();
    const r = new SnapshotReceiver();
    assert.equal(
      r.step(
        snapshot(2, 40, [
          [1, 50],
          [2, 150],
        ]),
        t,
      ),
      false,
      'an account missing',
    );
    assert.equal(
      r.step(
        snapshot(2, 41, [
          [1, 50],
          [2, 150],
          [4, 100],
        ]),
        t,
      ),
      false,
      'an account of another shard',
    );
    assert.equal(
      r.step(
        snapshot(2, 42, [
          [1, 0],
          [2, 0],
          [3, 301],
        ]),
        t,
      ),
      false,
      'more than all the money',
    );
    assert.deepEqual([t.state.appliedIndex, t.installedAt, t.hashes.list().length], [5, [], 1], 'nothing replaced');
    assert.equal(r.refused.get('snapshot-out-of-range'), 3);
  });
});
