import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { LedgerClient } from '../../src/client/ledger-client.js';
import { printBalance, printDb } from '../../src/cli/inspect.js';
import { decodeLocalBalance, decodeModifiedAccounts } from '../../src/codec/admin-bodies.js';
import type { Command } from '../../src/protocol/commands.js';
import { accountBalance, balanceText, changedAccounts } from '../../src/ledger/pending.js';
import { LedgerState } from '../../src/ledger/state.js';

/** PrintBalance and PrintDB show undecided cross-shard amounts apart from balances (issue 10, bug 6). */

function shard(): LedgerState {
  return new LedgerState({
    balances: new Map([
      [1, 10],
      [2, 10],
      [3, 10],
    ]),
    appliedIndex: 0,
  });
}

const credit: Command = {
  clientId: 'c',
  seq: 1,
  op: { kind: 'x-prepare-participant', to: 2, amount: 5, coordinator: 2 },
};
const debit: Command = {
  clientId: 'd',
  seq: 1,
  op: { kind: 'x-prepare-coordinator', from: 1, to: 9, amount: 3, participant: 3 },
};

describe('pending amounts of undecided cross-shard transfers', () => {
  test('a prepared credit and a prepared debit are held apart from the balance a read returns', () => {
    const s = shard();
    s.applySlot(1, [credit, debit]);
    assert.deepEqual(accountBalance(s, 2), { account: 2, balance: 10, pending: 5 });
    assert.deepEqual(accountBalance(s, 1), { account: 1, balance: 10, pending: -3 });
    assert.deepEqual(changedAccounts(s, 10), [
      { account: 1, balance: 10, pending: -3 },
      { account: 2, balance: 10, pending: 5 },
    ]);
    s.applySlot(2, [{ clientId: 'c', seq: 1, op: { kind: 'x-decide', role: 'participant', decision: 'commit' } }]);
    assert.deepEqual(accountBalance(s, 2), { account: 2, balance: 15, pending: 0 }, 'decided: part of the balance');
    assert.equal(accountBalance(s, 7), undefined);
  });

  test('changedAccounts lists exactly the accounts whose balance differs from the initial one, by account', () => {
    const s = new LedgerState({
      balances: new Map(Array.from({ length: 9 }, (_, i) => [i + 1, 100] as [number, number])),
      appliedIndex: 0,
    });
    assert.deepEqual(changedAccounts(s, 100), []);
    const transfer = (clientId: string, from: number, to: number, amount: number): Command => ({
      clientId,
      seq: 1,
      op: { kind: 'transfer', from, to, amount },
    });
    s.applySlot(1, [transfer('c1', 7, 2, 40), transfer('c2', 5, 9, 10)]);
    // Account 5 goes back to its initial balance: no longer listed.
    s.applySlot(2, [transfer('c3', 9, 5, 10)]);
    assert.deepEqual(changedAccounts(s, 100), [
      { account: 2, balance: 140, pending: 0 },
      { account: 7, balance: 60, pending: 0 },
    ]);
  });

  test('balanceText', () => {
    assert.equal(balanceText(10, 0), '10');
    assert.equal(balanceText(10, 1), '10 (+1 pending)');
    assert.equal(balanceText(7, -3), '7 (-3 pending)');
  });

  test('the admin bodies carry the signed pending amount (none from a node that does not send it)', () => {
    assert.equal(decodeLocalBalance({ node: 4, account: 2, balance: 10, pending: -3, appliedIndex: 1 }).pending, -3);
    assert.equal(decodeLocalBalance({ node: 4, account: 2, balance: 10, appliedIndex: 1 }).pending, 0);
    assert.deepEqual(
      decodeModifiedAccounts({ node: 4, accounts: [{ account: 2, balance: 10, pending: 5 }] }).accounts,
      [{ account: 2, balance: 10, pending: 5 }],
    );
  });

  test('PrintBalance and PrintDB show "10 (+5 pending)", and --json has the pending amounts apart', async () => {
    const client = {
      replicaBalances: async () => [
        { node: 4, account: 2, balance: 10, pending: 5, appliedIndex: 3 },
        { node: 5, account: 2, balance: 15, pending: 0, appliedIndex: 4 },
        { node: 6, balance: null, reason: 'down' },
      ],
      modifiedAccounts: async (node: number) => ({
        node,
        accounts: node === 4 ? [{ account: 2, balance: 10, pending: 5 }] : [{ account: 2, balance: 15, pending: 0 }],
      }),
    } as unknown as LedgerClient;
    const pb = await printBalance(client, 2);
    assert.equal(pb.line, 'n4 : 10 (+5 pending), n5 : 15, n6 : down');
    assert.deepEqual(pb.replicas[0], { node: 4, balance: 10, pending: 5 });
    const db = await printDb(client, [4, 5]);
    assert.deepEqual(db.accounts, [
      {
        account: 2,
        replicas: [
          { node: 4, balance: 10, pending: 5 },
          { node: 5, balance: 15, pending: 0 },
        ],
      },
    ]);
    assert.match(db.lines.join('\n'), /10 \(\+5 pending\)/);
  });
});
