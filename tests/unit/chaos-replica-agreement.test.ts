import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkReplicaAgreement } from '../chaos/checkers/replica-agreement.js';
import { replica } from './chaos-fixtures.js';

const accounts = [1, 2, 3];

test('replicas of a cluster with equal applied index, hash and balances agree; other clusters are apart', () => {
  const record = {
    initialBalance: 100,
    final: [
      replica(1, accounts, { 1: 70, 2: 130 }),
      replica(2, accounts, { 1: 70, 2: 130, 3: 100 }),
      { ...replica(4, [4, 5], { 4: 1 }, 100, 1), stateHash: 9, appliedIndex: 3 },
    ],
  };
  assert.deepEqual(checkReplicaAgreement(record), []);
});

test('a different applied index, state hash, balance or range is reported', () => {
  const base = replica(1, accounts, { 1: 70, 2: 130 });
  const cases: Array<[ReturnType<typeof replica>, RegExp]> = [
    [
      { ...base, node: 2, appliedIndex: 39 },
      /node 1 and node 2 applied up to different indexes after quiescence: 40 and 39/,
    ],
    [{ ...base, node: 2, stateHash: 8 }, /node 1 and node 2 have different state hashes at applied index 40: 7 and 8/],
    [{ ...base, node: 2, modified: { 1: 70 } }, /node 1 and node 2 disagree on account 2: 130 and 100/],
    [{ ...base, node: 2, lastAccount: 4 }, /hold accounts 1\.\.3 and 1\.\.4/],
  ];
  for (const [other, message] of cases) {
    const violations = checkReplicaAgreement({ initialBalance: 100, final: [base, other] });
    assert.equal(violations.length, 1, violations.join('\n'));
    assert.match(violations[0] as string, message);
  }
});

test('a replica with no state hash at its applied index is reported, even when its peers lack one too', () => {
  const missing = { ...replica(1, accounts, { 1: 70, 2: 130 }), stateHash: -1 };
  const violations = checkReplicaAgreement({ initialBalance: 100, final: [missing, { ...missing, node: 2 }] });
  assert.deepEqual(violations, [
    'node 1 reported no state hash at its applied index 40',
    'node 2 reported no state hash at its applied index 40',
  ]);
});
