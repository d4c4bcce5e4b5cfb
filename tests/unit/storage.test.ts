import assert from 'node:assert/strict';
import fs from 'node:fs';
import { describe, test } from 'node:test';
import { LedgerError } from '../../src/core/errors.js';
import type { Command, Session } from '../../src/protocol/commands.js';
import { openNodeStore } from '../../src/storage/open.js';
import { emptyBatch, tempStores } from './helpers/temp-store.js';

const { options, withStore } = tempStores('ledger-storage-test-');

function transfer(clientId: string, seq: number, from: number, to: number, amount: number): Command {
  return { clientId, seq, op: { kind: 'transfer', from, to, amount } };
}

describe('SQLite node store', () => {
  test('the first open creates every account at the initial balance and an empty Paxos state', async () => {
    const state = await withStore(options({ firstAccount: 3, lastAccount: 7, initialBalance: 50 }), (store) =>
      store.load(),
    );
    assert.deepEqual(
      [...state.balances],
      [
        [3, 50],
        [4, 50],
        [5, 50],
        [6, 50],
        [7, 50],
      ],
    );
    assert.deepEqual(state.promised, { round: 0, node: 0 });
    assert.deepEqual(state.log, []);
    assert.equal(state.appliedIndex, 0);
    assert.deepEqual(state.sessions, []);
  });

  test('a restart loses nothing that persist returned from', async () => {
    const opts = options();
    const sessionA: Session = { clientId: 'a', seq: 1, outcome: { status: 'committed' }, slot: 1 };
    const sessionB: Session = { clientId: 'b', seq: 4, outcome: { status: 'insufficient-funds', balance: 7 }, slot: 2 };
    const batch1 = [transfer('a', 1, 1, 2, 30)];
    const batch2 = [transfer('b', 4, 3, 4, 1_000), transfer('c', 9, 5, 6, Number.MAX_SAFE_INTEGER)];
    const before = Date.now();
    await withStore(opts, (store) => {
      store.persist({
        promised: { round: 3, node: 2 },
        entries: [
          { slot: 1, ballot: { round: 3, node: 2 }, value: batch1, chosen: true },
          { slot: 2, ballot: { round: 3, node: 2 }, value: batch2, chosen: false },
        ],
        newViews: [
          {
            ballot: { round: 3, node: 2 },
            leader: 2,
            commitIndex: 0,
            entries: [
              { slot: 1, value: batch1 },
              { slot: 2, value: null },
            ],
          },
        ],
        state: undefined,
      });
      store.persist({
        promised: undefined,
        entries: [{ slot: 2, ballot: { round: 3, node: 2 }, value: batch2, chosen: true }],
        newViews: [{ ballot: { round: 4, node: 1 }, leader: 1, commitIndex: 2, entries: [] }],
        state: {
          appliedIndex: 2,
          balances: [
            [1, 70],
            [2, 130],
          ],
          sessions: [sessionB, sessionA],
          evictedSessions: [],
        },
      });
    });
    const after = Date.now();

    await withStore(opts, (store) => {
      const state = store.load();
      assert.deepEqual(state.promised, { round: 3, node: 2 });
      assert.deepEqual(state.log, [
        { slot: 1, ballot: { round: 3, node: 2 }, value: batch1, chosen: true },
        { slot: 2, ballot: { round: 3, node: 2 }, value: batch2, chosen: true },
      ]);
      assert.equal(state.appliedIndex, 2);
      assert.equal(state.balances.get(1), 70);
      assert.equal(state.balances.get(2), 130);
      assert.equal(state.balances.get(3), 100);
      assert.equal(state.balances.size, 10);
      // Ordered by slot, whatever order they were written in.
      assert.deepEqual(state.sessions, [sessionA, sessionB]);

      const views = store.views();
      assert.deepEqual(
        views.map(({ recordedAtMs: _recordedAtMs, ...rest }) => rest),
        [
          {
            seq: 1,
            ballot: { round: 3, node: 2 },
            leader: 2,
            commitIndex: 0,
            entries: [
              { slot: 1, value: batch1 },
              { slot: 2, value: null },
            ],
          },
          { seq: 2, ballot: { round: 4, node: 1 }, leader: 1, commitIndex: 2, entries: [] },
        ],
      );
      for (const view of views)
        assert.ok(view.recordedAtMs >= before && view.recordedAtMs <= after, 'recorded at persist time');
    });
  });

  test('synchronous reads back FULL on every reopen, and NORMAL only when asked for', async () => {
    const opts = options();
    for (let open = 0; open < 3; open++) {
      await withStore(opts, (store) => {
        assert.equal(store.synchronous, 'full');
        store.persist({ ...emptyBatch, promised: { round: open + 1, node: 1 } });
        // WAL mode: the write went to the -wal file beside the database.
        assert.ok(fs.existsSync(`${opts.file}-wal`), 'WAL file exists while open');
      });
    }
    const normal = await withStore({ ...opts, durability: 'normal' }, (store) => store.synchronous);
    assert.equal(normal, 'normal');
    const fullAgain = await withStore(opts, (store) => store.synchronous);
    assert.equal(fullAgain, 'full');
  });

  test('a NO-OP round-trips as null, distinct from an empty batch', async () => {
    const opts = options();
    await withStore(opts, (store) =>
      store.persist({
        ...emptyBatch,
        entries: [
          { slot: 1, ballot: { round: 1, node: 1 }, value: null, chosen: true },
          { slot: 2, ballot: { round: 1, node: 1 }, value: [], chosen: false },
        ],
      }),
    );
    const log = await withStore(opts, (store) => store.load().log);
    assert.equal(log.length, 2);
    assert.equal(log[0]?.value, null);
    assert.deepEqual(log[1]?.value, []);
  });

  test('a later accept of the same slot replaces the earlier one', async () => {
    const opts = options();
    await withStore(opts, (store) => {
      store.persist({
        ...emptyBatch,
        entries: [{ slot: 1, ballot: { round: 1, node: 1 }, value: [transfer('a', 1, 1, 2, 5)], chosen: false }],
      });
      store.persist({
        ...emptyBatch,
        entries: [{ slot: 1, ballot: { round: 2, node: 3 }, value: null, chosen: true }],
      });
    });
    const log = await withStore(opts, (store) => store.load().log);
    assert.deepEqual(log, [{ slot: 1, ballot: { round: 2, node: 3 }, value: null, chosen: true }]);
  });

  test('an entry learned chosen is marked by its flag alone, and only when it is the entry written', async () => {
    const opts = options();
    const ballot = { round: 1, node: 1 };
    const value = [transfer('a', 1, 1, 2, 5)];
    const other = [transfer('b', 1, 2, 3, 1)];
    const marks = await withStore(opts, (store) => {
      store.persist({ ...emptyBatch, entries: [{ slot: 1, ballot, value, chosen: false }] });
      store.persist({ ...emptyBatch, entries: [{ slot: 2, ballot, value, chosen: false }] });
      store.persist({ ...emptyBatch, entries: [{ slot: 3, ballot, value, chosen: false }] });
      // The same entry, now chosen: the flag alone.
      store.persist({ ...emptyBatch, entries: [{ slot: 1, ballot, value, chosen: true }] });
      // Another value at slot 2, and slot 3 chosen in another ballot: written whole.
      store.persist({ ...emptyBatch, entries: [{ slot: 2, ballot, value: other, chosen: true }] });
      store.persist({ ...emptyBatch, entries: [{ slot: 3, ballot: { round: 2, node: 2 }, value, chosen: true }] });
      return (store as unknown as { entryMarksChosen: number }).entryMarksChosen;
    });
    assert.equal(marks, 1);
    const log = await withStore(opts, (store) => store.load().log);
    assert.deepEqual(log, [
      { slot: 1, ballot, value, chosen: true },
      { slot: 2, ballot, value: other, chosen: true },
      { slot: 3, ballot: { round: 2, node: 2 }, value, chosen: true },
    ]);
  });

  test('evicted sessions are deleted', async () => {
    const opts = options();
    const sessions: Session[] = ['a', 'b', 'c'].map((clientId, i) => ({
      clientId,
      seq: 1,
      outcome: { status: 'committed' },
      slot: i + 1,
    }));
    await withStore(opts, (store) => {
      store.persist({ ...emptyBatch, state: { appliedIndex: 3, balances: [], sessions, evictedSessions: [] } });
      store.persist({
        ...emptyBatch,
        state: { appliedIndex: 4, balances: [], sessions: [], evictedSessions: ['a', 'c'] },
      });
    });
    const state = await withStore(opts, (store) => store.load());
    assert.deepEqual(
      state.sessions.map((s) => s.clientId),
      ['b'],
    );
    assert.equal(state.appliedIndex, 4);
  });

  test('a step that fails half-way writes nothing of itself', async () => {
    const opts = options();
    await withStore(opts, (store) => {
      assert.throws(() =>
        store.persist({
          promised: { round: 9, node: 9 },
          entries: [{ slot: 1, ballot: { round: 9, node: 9 }, value: null, chosen: true }],
          newViews: [],
          // Account 0 is no account: the balance write fails after the others ran. (Account 999
          // would be written: an account that moved in is a new row.)
          state: {
            appliedIndex: 1,
            balances: [
              [1, 0],
              [0, 1],
            ],
            sessions: [],
            evictedSessions: [],
          },
        }),
      );
    });
    const state = await withStore(opts, (store) => store.load());
    assert.deepEqual(state.promised, { round: 0, node: 0 });
    assert.deepEqual(state.log, []);
    assert.equal(state.appliedIndex, 0);
    assert.equal(state.balances.get(1), 100);
  });

  test('a reopen with a different account range or initial balance is refused', async () => {
    const opts = options();
    await withStore(opts, () => undefined);
    for (const changed of [{ lastAccount: 11 }, { firstAccount: 2 }, { initialBalance: 99 }]) {
      await assert.rejects(
        openNodeStore({ ...opts, ...changed }),
        (error: unknown) => error instanceof LedgerError && error.code === 'config' && error.message.includes('1..10'),
      );
    }
    // The refused opens changed nothing: the original configuration still opens as before.
    const state = await withStore(opts, (store) => store.load());
    assert.equal(state.balances.size, 10);
  });

  test('a write without sync (knowledge, see mustSyncBeforeSend) is in the file for the next open, before and after a synced one', async () => {
    const opts = options();
    await withStore(opts, (store) => {
      store.persist({
        ...emptyBatch,
        sync: false,
        entries: [{ slot: 1, ballot: { round: 1, node: 1 }, value: null, chosen: true }],
        state: { appliedIndex: 1, balances: [[3, 70]], sessions: [], evictedSessions: [] },
      });
      store.persist({ ...emptyBatch, promised: { round: 2, node: 1 } });
      store.persist({
        ...emptyBatch,
        sync: false,
        state: { appliedIndex: 1, balances: [[4, 130]], sessions: [], evictedSessions: [] },
      });
    });
    const state = await withStore(opts, (store) => store.load());
    assert.equal(state.balances.get(3), 70);
    assert.equal(state.balances.get(4), 130);
    assert.deepEqual(state.promised, { round: 2, node: 1 });
    assert.equal(state.log[0]?.chosen, true);
  });
});
