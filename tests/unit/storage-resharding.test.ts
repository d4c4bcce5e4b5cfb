import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { LedgerError } from '../../src/core/errors.js';
import type { Session } from '../../src/protocol/commands.js';
import type { OutboundMove } from '../../src/protocol/moves.js';
import type { StateWrites } from '../../src/protocol/state-writes.js';
import { emptyBatch, tempStores } from './helpers/temp-store.js';

/** Resharding's share of the store (migration 0005): the shard map, the moves in transit, the
 *  transfer history, the accounts of sessions, and accounts that come and go. */

const { options, withStore } = tempStores('ledger-storage-reshard-');

function writes(state: Partial<StateWrites>): StateWrites {
  return { appliedIndex: 1, balances: [], sessions: [], evictedSessions: [], ...state };
}

const sessionWithAccounts: Session = {
  clientId: 'cli-1',
  seq: 3,
  outcome: { status: 'committed' },
  slot: 1,
  accounts: [2, 7],
};
const sessionWithout: Session = { clientId: 'cli-2', seq: 1, outcome: { status: 'ok', balance: 5 }, slot: 1 };

const move: OutboundMove = {
  epoch: 4,
  from: 1,
  to: 2,
  balances: [
    [3, 120],
    [5, 0],
  ],
  sessions: [
    { clientId: 'mover-1', seq: 9, outcome: { status: 'committed' }, slot: 1, accounts: [3, 2001] },
    { clientId: 'mover-2', seq: 2, outcome: { status: 'rejected', reason: 'self-transfer' }, slot: 1 },
  ],
};

describe('SQLite node store: resharding', () => {
  test('map entries, moves in transit, history and the accounts of sessions survive a restart', async () => {
    const opts = options();
    await withStore(opts, (store) =>
      store.persist({
        ...emptyBatch,
        state: writes({
          sessions: [sessionWithAccounts, sessionWithout],
          removedAccounts: [3, 5],
          mapEntries: [
            { account: 3, cluster: 2, epoch: 4 },
            { account: 5, cluster: 2, epoch: 4 },
            { account: 2001, cluster: 1, epoch: 2 },
          ],
          outboundMoves: [[4, move]],
          historyAppended: [
            [1, 1, 2],
            [2, 2001, 7],
          ],
        }),
      }),
    );
    const state = await withStore(opts, (store) => store.load());
    assert.deepEqual(state.sessions, [sessionWithAccounts, sessionWithout]);
    assert.equal('accounts' in (state.sessions[1] as Session), false, 'a session without accounts stays without');
    assert.deepEqual(state.mapEntries, [
      { account: 3, cluster: 2, epoch: 4 },
      { account: 5, cluster: 2, epoch: 4 },
      { account: 2001, cluster: 1, epoch: 2 },
    ]);
    assert.deepEqual(state.outboundMoves, [move]);
    assert.deepEqual(state.history, [
      [1, 2],
      [2001, 7],
    ]);
    assert.equal(state.historyStart, 1);
    assert.deepEqual([...state.balances.keys()], [1, 2, 4, 6, 7, 8, 9, 10]);
  });

  test('an account that moved in is a new row, one that moved away is gone, and an acknowledged move is forgotten', async () => {
    const opts = options();
    await withStore(opts, (store) => {
      store.persist({
        ...emptyBatch,
        state: writes({ removedAccounts: [4], balances: [[2001, 250]], outboundMoves: [[4, move]] }),
      });
      store.persist({
        ...emptyBatch,
        state: writes({
          appliedIndex: 2,
          balances: [[2001, 240]],
          outboundMoves: [[4, null]],
          // A later epoch of the same account replaces its entry.
          mapEntries: [{ account: 2001, cluster: 1, epoch: 1 }],
        }),
      });
      store.persist({
        ...emptyBatch,
        state: writes({ appliedIndex: 3, mapEntries: [{ account: 2001, cluster: 3, epoch: 6 }] }),
      });
    });
    const state = await withStore(opts, (store) => store.load());
    assert.equal(state.balances.get(2001), 240);
    assert.equal(state.balances.has(4), false);
    assert.equal(state.balances.size, 10);
    assert.deepEqual(state.outboundMoves, []);
    assert.deepEqual(state.mapEntries, [{ account: 2001, cluster: 3, epoch: 6 }]);
    assert.equal(state.appliedIndex, 3);
  });

  test('the history forgets every position at or below its floor, even a pair appended in the same step', async () => {
    const opts = options();
    await withStore(opts, (store) => {
      store.persist({
        ...emptyBatch,
        state: writes({
          historyAppended: [1, 2, 3, 4, 5].map((p) => [p, p, p + 1] as [number, number, number]),
          historyFloor: 2,
        }),
      });
    });
    let state = await withStore(opts, (store) => store.load());
    assert.deepEqual(state.history, [
      [3, 4],
      [4, 5],
      [5, 6],
    ]);
    assert.equal(state.historyStart, 3);

    await withStore(opts, (store) =>
      store.persist({
        ...emptyBatch,
        state: writes({
          historyAppended: [
            [6, 9, 10],
            [7, 10, 1],
          ],
          historyFloor: 6,
        }),
      }),
    );
    state = await withStore(opts, (store) => store.load());
    assert.deepEqual(state.history, [[10, 1]]);
    assert.equal(state.historyStart, 7);

    await withStore(opts, (store) => store.persist({ ...emptyBatch, state: writes({ historyFloor: 7 }) }));
    state = await withStore(opts, (store) => store.load());
    assert.deepEqual(state.history, []);
    assert.equal(state.historyStart, 0, 'an empty history starts at 0');
  });

  test('a snapshot replaces the accounts, the map, the moves and the history with its own', async () => {
    const opts = options();
    await withStore(opts, (store) => {
      store.persist({
        ...emptyBatch,
        state: writes({
          balances: [[2001, 1]],
          sessions: [sessionWithout],
          mapEntries: [{ account: 2001, cluster: 1, epoch: 1 }],
          outboundMoves: [[4, move]],
          historyAppended: [[1, 1, 2]],
        }),
      });
      store.persist({
        ...emptyBatch,
        state: writes({
          appliedIndex: 9,
          replaceAll: true,
          balances: [
            [1, 50],
            [2, 60],
            [3001, 70],
          ],
          sessions: [sessionWithAccounts],
          mapEntries: [{ account: 3001, cluster: 1, epoch: 8 }],
          outboundMoves: [[7, { ...move, epoch: 7 }]],
          historyAppended: [
            [40, 1, 3001],
            [41, 3001, 2],
          ],
        }),
      });
    });
    const state = await withStore(opts, (store) => store.load());
    assert.deepEqual(
      [...state.balances],
      [
        [1, 50],
        [2, 60],
        [3001, 70],
      ],
    );
    assert.deepEqual(state.sessions, [sessionWithAccounts]);
    assert.deepEqual(state.mapEntries, [{ account: 3001, cluster: 1, epoch: 8 }]);
    assert.deepEqual(state.outboundMoves, [{ ...move, epoch: 7 }]);
    assert.deepEqual(state.history, [
      [1, 3001],
      [3001, 2],
    ]);
    assert.equal(state.historyStart, 40);
    assert.equal(state.appliedIndex, 9);
  });

  test('a flush brings back exactly the initial range at the initial balance, and clears the map, the moves and the history', async () => {
    const opts = options({ firstAccount: 1001, lastAccount: 4000, initialBalance: 10 });
    await withStore(opts, (store) => {
      store.persist({
        ...emptyBatch,
        state: writes({
          balances: [
            [1001, 3],
            [7, 17],
          ],
          removedAccounts: [1002, 4000],
          mapEntries: [{ account: 1002, cluster: 2, epoch: 1 }],
          outboundMoves: [[1, { ...move, epoch: 1 }]],
          historyAppended: [[1, 1001, 1003]],
        }),
      });
      store.reset(3, { round: 0, node: 0 });
    });
    const state = await withStore(opts, (store) => store.load());
    assert.equal(state.balances.size, 3000);
    for (let account = 1001; account <= 4000; account++) assert.equal(state.balances.get(account), 10, `${account}`);
    assert.equal(state.balances.has(7), false, 'an account that had moved in is gone');
    assert.deepEqual(state.mapEntries, []);
    assert.deepEqual(state.outboundMoves, []);
    assert.deepEqual(state.history, []);
    assert.equal(state.historyStart, 0);
    assert.equal(state.generation, 3);
  });

  test('a file of migrations 0001-0004 migrates, and its sessions load without accounts', async () => {
    const opts = options();
    await withStore(opts, (store) =>
      store.persist({
        ...emptyBatch,
        state: writes({ sessions: [sessionWithout, { ...sessionWithout, clientId: 'x' }] }),
      }),
    );
    // Back to the schema of 0004 by hand: what a file written before resharding looks like.
    const db = new Database(opts.file);
    db.exec(`
      DROP TABLE shard_map;
      DROP TABLE outbound_moves;
      DROP TABLE transfer_history;
      ALTER TABLE client_sessions DROP COLUMN accounts;
      DELETE FROM kysely_migration WHERE name = '0005_resharding';
    `);
    db.close();
    const state = await withStore(opts, (store) => store.load());
    assert.deepEqual(
      state.sessions.map((s) => [s.clientId, s.accounts]),
      [
        ['cli-2', undefined],
        ['x', undefined],
      ],
    );
    assert.deepEqual(state.mapEntries, []);
    assert.deepEqual(state.outboundMoves, []);
    assert.deepEqual(state.history, []);
    assert.equal(state.balances.size, 10);
  });

  test('a damaged move record or session accounts on disk is a storage error at load', async () => {
    const cases: Array<[string, string]> = [
      [
        'a negative balance in a move',
        `UPDATE outbound_moves SET record = '${JSON.stringify({ ...move, balances: [[3, -1]] })}'`,
      ],
      ['a move filed under another epoch', `UPDATE outbound_moves SET epoch = 5`],
      ['a move that is not JSON', `UPDATE outbound_moves SET record = '{'`],
      ['session accounts that are not accounts', `UPDATE client_sessions SET accounts = '[0]'`],
    ];
    for (const [what, damage] of cases) {
      const opts = options();
      await withStore(opts, (store) =>
        store.persist({
          ...emptyBatch,
          state: writes({ sessions: [sessionWithAccounts], outboundMoves: [[4, move]] }),
        }),
      );
      const db = new Database(opts.file);
      db.exec(damage);
      db.close();
      await assert.rejects(
        withStore(opts, (store) => store.load()),
        (error: unknown) => error instanceof LedgerError && error.code === 'storage',
        what,
      );
    }
  });

  test('a step that writes and removes the same account, or removes one the store does not hold, writes nothing', async () => {
    const opts = options();
    await withStore(opts, (store) => {
      assert.throws(() =>
        store.persist({
          ...emptyBatch,
          state: writes({ balances: [[3, 1]], removedAccounts: [3], historyAppended: [[1, 1, 2]] }),
        }),
      );
      assert.throws(() =>
        store.persist({ ...emptyBatch, state: writes({ removedAccounts: [999], historyAppended: [[1, 1, 2]] }) }),
      );
    });
    const state = await withStore(opts, (store) => store.load());
    assert.equal(state.balances.get(3), 100);
    assert.deepEqual(state.history, []);
    assert.equal(state.appliedIndex, 0);
  });
});
