import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import type { LedgerClient } from '../../src/client/ledger-client.js';
import { printDb } from '../../src/cli/inspect.js';
import { ballotJson, withBallotJson } from '../../src/cli/json-shapes.js';
import { ballotText } from '../../src/paxos/ballot.js';

describe('one shape per concept in --json', () => {
  test('a ballot is { round, node } in status and top, as in view: the text nodes report is turned into it', () => {
    assert.deepEqual(ballotJson(ballotText({ round: 3, node: 1 })), { round: 3, node: 1 });
    assert.deepEqual(ballotJson('(12, n25)'), { round: 12, node: 25 });
    assert.equal(ballotJson('3.1'), null);
    assert.equal(ballotJson(undefined), null);
    const row = { node: 4, ballot: '(2, n4)', role: 'leader' };
    assert.deepEqual(withBallotJson(row), { node: 4, ballot: { round: 2, node: 4 }, role: 'leader' });
    const down = { node: 8, role: 'down', reason: 'no answer' };
    assert.deepEqual(withBallotJson(down), down, 'a row without a ballot is left alone');
  });

  test('db keys nodes by number, each account with its replicas like balance --replicas', async () => {
    const client = {
      modifiedAccounts: async (node: number) => {
        if (node === 3) throw new Error('no answer');
        return { accounts: [{ account: 1001, balance: node === 2 ? 10 : 8, pending: node === 1 ? 2 : 0 }] };
      },
    } as unknown as LedgerClient;
    const report = await printDb(client, [1, 2, 3]);
    assert.deepEqual(report.accounts, [
      {
        account: 1001,
        replicas: [
          { node: 1, balance: 8, pending: 2 },
          { node: 2, balance: 10, pending: 0 },
        ],
      },
    ]);
    assert.deepEqual(report.unreachable, [{ node: 3, reason: 'no answer' }]);
    assert.doesNotMatch(JSON.stringify(report.accounts), /"n\d+"/);
  });
});
