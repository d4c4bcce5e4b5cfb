import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Command } from '../../src/protocol/commands.js';
import type { CoordinatorRecord, ParticipantRecord } from '../../src/protocol/twopc.js';
import { recordSlotProblem } from './record-slots.js';

/** The simulator's check of the slots 2PC records name (record-slots.ts), on a log it is given. */

const chosen = new Map<number, Command[]>([
  [1, [{ clientId: 'a', seq: 1, op: { kind: 'transfer', from: 1, to: 2, amount: 1 } }]],
  [2, [{ clientId: 'a', seq: 2, op: { kind: 'x-prepare-coordinator', from: 1, to: 9, amount: 5, participant: 2 } }]],
  [3, [{ clientId: 'b', seq: 1, op: { kind: 'x-prepare-participant', to: 2, amount: 4, coordinator: 3 } }]],
]);
const coordinator: CoordinatorRecord = {
  clientId: 'a',
  seq: 2,
  from: 1,
  to: 9,
  amount: 5,
  participant: 2,
  state: 'prepared',
  slot: 2,
};
const participant: ParticipantRecord = {
  clientId: 'b',
  seq: 1,
  to: 2,
  amount: 4,
  coordinator: 3,
  state: 'prepared',
  slot: 3,
};

test('records naming the slots that chose their PREPAREs pass', () => {
  assert.equal(recordSlotProblem([coordinator], [participant], chosen), undefined);
  assert.equal(recordSlotProblem([{ ...coordinator, state: 'committed', prepareSlot: 3 }], [], chosen), undefined);
});

test('a coordinator record naming another slot, or none, is found', () => {
  assert.match(recordSlotProblem([{ ...coordinator, slot: 3 }], [], chosen) ?? '', /a#2 names slot 3/);
  assert.match(recordSlotProblem([{ ...coordinator, slot: 1 }], [], chosen) ?? '', /a#2 names slot 1/);
  const { slot: _slot, ...withoutSlot } = coordinator;
  assert.match(recordSlotProblem([withoutSlot], [], chosen) ?? '', /a#2 names slot undefined/);
});

test('a prepared participant record naming another slot is found', () => {
  assert.match(recordSlotProblem([], [{ ...participant, slot: 2 }], chosen) ?? '', /b#1 names slot 2/);
});
