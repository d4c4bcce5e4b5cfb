import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FairBatch } from '../../src/ledger/fair-batch.js';
import type { Command } from '../../src/protocol/commands.js';

const command = (clientId: string, seq: number): Command => ({
  clientId,
  seq,
  op: { kind: 'transfer', from: 1, to: 2, amount: 1 },
});
const names = (commands: Command[]) => commands.map((c) => `${c.clientId}:${c.seq}`);

test('one origin keeps its order', () => {
  const batch = new FairBatch();
  for (let seq = 1; seq <= 5; seq++) batch.push('a', command('a-1', seq));
  assert.deepEqual(names(batch.take(3)), ['a-1:1', 'a-1:2', 'a-1:3']);
  assert.deepEqual(names(batch.take(9)), ['a-1:4', 'a-1:5']);
  assert.equal(batch.size, 0);
});

test("a backlog of one origin does not put another origin's command behind it", () => {
  const batch = new FairBatch();
  for (let seq = 1; seq <= 1000; seq++) batch.push('flood', command('flood-1', seq));
  batch.push('other', command('other-1', 1));
  const slot = names(batch.take(4));
  assert.deepEqual(slot, ['flood-1:1', 'other-1:1', 'flood-1:2', 'flood-1:3']);
  assert.equal(batch.size, 997);
});

test('the turns carry on from one slot to the next, and peek shows what take takes', () => {
  const batch = new FairBatch();
  for (const origin of ['a', 'b', 'c'])
    for (let seq = 1; seq <= 3; seq++) batch.push(origin, command(`${origin}-1`, seq));
  assert.deepEqual(names(batch.peek(4)), ['a-1:1', 'b-1:1', 'c-1:1', 'a-1:2']);
  assert.deepEqual(names(batch.take(2)), ['a-1:1', 'b-1:1']);
  // c's turn comes next, then a's.
  assert.deepEqual(names(batch.peek(3)), ['c-1:1', 'a-1:2', 'b-1:2']);
  assert.deepEqual(names(batch.take(3)), ['c-1:1', 'a-1:2', 'b-1:2']);
  assert.deepEqual(names(batch.take(10)), ['c-1:2', 'a-1:3', 'b-1:3', 'c-1:3']);
  assert.equal(batch.size, 0);
  assert.deepEqual(batch.peek(5), []);
});

test('an origin that runs out leaves the turns; one that comes back joins at the end', () => {
  const batch = new FairBatch();
  batch.push('a', command('a-1', 1));
  batch.push('b', command('b-1', 1));
  batch.push('b', command('b-1', 2));
  assert.deepEqual(names(batch.take(3)), ['a-1:1', 'b-1:1', 'b-1:2']);
  batch.push('c', command('c-1', 1));
  batch.push('a', command('a-1', 2));
  assert.deepEqual(names(batch.take(2)), ['c-1:1', 'a-1:2']);
  batch.push('a', command('a-1', 3));
  batch.clear();
  assert.equal(batch.size, 0);
  assert.deepEqual(batch.take(1), []);
});

test("one client id's commands keep their order whatever the other origins do (its seqs, its transaction's 2PC steps)", () => {
  const batch = new FairBatch();
  const step: Command = { clientId: 'c-7', seq: 3, op: { kind: 'x-end' } };
  batch.push('c', command('c-7', 2));
  for (let seq = 1; seq <= 4; seq++) batch.push('d', command('d-1', seq));
  batch.push('c', step);
  batch.push('c', command('c-7', 4));
  const order = names([...batch.take(3), ...batch.take(10)]).filter((n) => n.startsWith('c-7'));
  assert.deepEqual(order, ['c-7:2', 'c-7:3', 'c-7:4']);
});
