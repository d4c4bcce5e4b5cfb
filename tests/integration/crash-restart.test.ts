import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { TestCluster, waitUntil } from './harness.js';

let cluster: TestCluster;

before(async () => {
  cluster = await TestCluster.start();
});
after(async () => {
  await cluster?.close();
});

test('after kill -9 of all 9 nodes (and the broker) and a restart, every acknowledged transfer is still there', async () => {
  // Transfers in every cluster; remember exactly which were acknowledged as committed.
  const expected = new Map<number, number>();
  const move = (from: number, to: number, amount: number) => {
    expected.set(from, (expected.get(from) ?? 10) - amount);
    expected.set(to, (expected.get(to) ?? 10) + amount);
  };
  const transfers: Array<[number, number, number]> = [
    [1, 2, 3],
    [2, 3, 5],
    [3001, 3002, 7],
    [6001, 6002, 1],
    [6002, 6003, 11],
    [8999, 9000, 10],
  ];
  for (const [from, to, amount] of transfers) {
    const r = await cluster.json(['transfer', String(from), String(to), String(amount)]);
    assert.equal(r.status, 'committed', `${from} -> ${to}`);
    move(from, to, amount);
  }

  await cluster.killAll();
  await cluster.startProcesses();

  for (const [account, balance] of expected) {
    const read = await cluster.json(['balance', String(account)]);
    assert.equal(read.balance, balance, `account ${account} after the restart`);
  }
  // Every replica recovered the same state from its own SQLite file (or caught up).
  await waitUntil('replicas of cluster 3 agree', 15_000, async () => {
    const r = await cluster.json(['balance', '6003', '--replicas']);
    return r.replicas.every((x: any) => x.balance === expected.get(6003));
  });
  // And the cluster still works after the restart.
  assert.equal((await cluster.json(['transfer', '1', '3', '1'])).status, 'committed');
});
