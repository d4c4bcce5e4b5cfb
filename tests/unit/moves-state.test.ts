import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Command, Outcome } from '../../src/protocol/commands.js';
import type { OutboundMove } from '../../src/protocol/moves.js';
import type { MapEntry } from '../../src/protocol/shard-map.js';
import { LedgerState } from '../../src/ledger/state.js';
import { mergePieces, snapshotPieces } from '../../src/ledger/snapshot-pieces.js';

/**
 * Resharding's commands as every replica applies them (src/ledger/moves.ts through
 * LedgerState.applySlot): cluster 1 (the source) holds accounts 1-6, cluster 2 (the
 * destination) 11-16, each 1000.
 */

function newState(cluster: number, first: number, options: { historyCapacity?: number } = {}): LedgerState {
  const balances = new Map<number, number>();
  for (let a = first; a < first + 6; a++) balances.set(a, 1000);
  return new LedgerState({
    cluster,
    balances,
    appliedIndex: 0,
    ...(options.historyCapacity === undefined ? {} : { historyCapacity: options.historyCapacity }),
  });
}
const source = (options: { historyCapacity?: number } = {}) => newState(1, 1, options);
const destination = () => newState(2, 11);

/** Applies the commands in the next slot; their outcomes. */
function apply(s: LedgerState, ...commands: Command[]): Array<Outcome | undefined> {
  return s.applySlot(s.appliedIndex + 1, commands).map((r) => r.outcome);
}

function transfer(clientId: string, seq: number, from: number, to: number, amount: number): Command {
  return { clientId, seq, op: { kind: 'transfer', from, to, amount } };
}
function moveOut(accounts: number[], to: number, epoch: number): Command {
  return { clientId: 'reshard', seq: epoch, op: { kind: 'move-out', accounts, to, epoch } };
}
function moveIn(move: OutboundMove): Command {
  return { clientId: `move-in:${move.from}`, seq: move.epoch, op: { kind: 'move-in', move } };
}
function moveDone(epoch: number): Command {
  return { clientId: 'move-done:1', seq: epoch, op: { kind: 'move-done', epoch } };
}
function mapMerge(entries: MapEntry[]): Command {
  return { clientId: 'map:3', seq: 1, op: { kind: 'map-merge', entries } };
}

const committed: Outcome = { status: 'committed' };
const wrongShard = (a: number): Outcome => ({ status: 'rejected', reason: `account ${a} is not in this shard` });

describe('move-out at the source', () => {
  test("a presumed abort's tombstone (no coordinator record) travels with the sender's account, so the retry at the new owner is answered, not run again", () => {
    const s = source();
    // A participant asked about S#1, which this cluster never chose: the abort is recorded in
    // the session (the tombstone), naming the sender's account as the participant's record does.
    const presumedAbort: Command = {
      clientId: 'S',
      seq: 1,
      op: {
        kind: 'x-decide',
        role: 'coordinator',
        decision: 'abort',
        reason: 'timeout',
        peer: 3,
        presumed: true,
        from: 4,
        fromEpoch: 0,
      },
    };
    apply(s, presumedAbort);
    assert.deepEqual(s.sessionOf('S')?.outcome, { status: 'aborted', reason: 'timeout' });
    assert.deepEqual(apply(s, moveOut([4], 2, 1)), [committed]);
    const move = s.outbound(1) as OutboundMove;
    assert.deepEqual(
      move.sessions.map((x) => [x.clientId, x.seq]),
      [['S', 1]],
      'the tombstone goes with account 4',
    );
    const d = destination();
    apply(d, moveIn(move));
    const retry: Command = { ...transfer('S', 1, 4, 11, 5), mapEpoch: 1 };
    assert.deepEqual(apply(d, retry), [{ status: 'aborted', reason: 'timeout' }], 'answered from the session');
    assert.equal(d.balanceOf(4), 1000, 'nothing ran');
  });

  test('removes the accounts, gives them to the destination in the map, and keeps a record with their balances and the sessions that touched them, most recent first', () => {
    const s = source();
    apply(s, transfer('a', 1, 1, 2, 100)); // touches 1
    apply(s, transfer('b', 1, 3, 4, 50)); // does not
    apply(s, transfer('c', 1, 2, 1, 30)); // touches 1, later
    apply(s, { clientId: 'r', seq: 1, op: { kind: 'balance', account: 1 } }); // a read: no session
    const total = s.total();
    assert.deepEqual(apply(s, moveOut([1, 5], 2, 3)), [committed]);
    assert.equal(s.balanceOf(1), undefined);
    assert.equal(s.balanceOf(5), undefined);
    assert.equal(s.hasAccount(1), false);
    assert.equal(s.accountCount, 4);
    assert.deepEqual(s.map.entryOf(1), { account: 1, cluster: 2, epoch: 3 });
    assert.deepEqual(s.map.entryOf(5), { account: 5, cluster: 2, epoch: 3 });
    assert.equal(s.map.epoch, 3);
    const record = s.outbound(3);
    assert.ok(record !== undefined);
    assert.deepEqual(
      { epoch: record.epoch, from: record.from, to: record.to, balances: record.balances },
      {
        epoch: 3,
        from: 1,
        to: 2,
        balances: [
          [1, 930],
          [5, 1000],
        ],
      },
    );
    assert.deepEqual(
      record.sessions.map((x) => [x.clientId, x.seq]),
      [
        ['c', 1],
        ['a', 1],
      ],
    );
    assert.equal(s.movesInFlight, 1);
    assert.deepEqual(s.outboundList(), [record]);
    // Money: what left the balances is in the record.
    const inTransit = record.balances.reduce((sum, [, b]) => sum + b, 0);
    assert.equal(s.total() + inTransit, total);
    // The sessions stay at the source too (a retry there still gets its answer).
    assert.equal(s.sessionOf('a')?.seq, 1);
  });

  test('the sessions carried are bounded in bytes (movedSessionsBytesMax, 24 KiB): the most recent ones', () => {
    const s = source();
    const id = (i: number) => `client-${String(i).padStart(3, '0')}-${'x'.repeat(300)}`;
    for (let i = 0; i < 150; i++) apply(s, transfer(id(i), 1, 1, 2, 1));
    assert.deepEqual(apply(s, moveOut([1], 2, 1)), [committed]);
    const carried = s.outbound(1)?.sessions ?? [];
    // Each carries a client id of over 300 bytes: at most 24576 / 300 fit, and at least a
    // quarter of that (no session is anywhere near 1 KB).
    assert.ok(carried.length <= Math.floor(24_576 / 300), `${carried.length} sessions carried`);
    assert.ok(carried.length >= 24, `${carried.length} sessions carried`);
    // The most recent first, without a gap.
    assert.deepEqual(
      carried.map((x) => x.clientId),
      Array.from({ length: carried.length }, (_, k) => id(149 - k)),
    );
  });

  test('refusals change nothing (the state hash stays): an account not held, a stale epoch, a move to its own cluster, an account named twice', () => {
    const s = source();
    apply(s, transfer('a', 1, 1, 2, 10));
    // Account 2 moved away before (to cluster 3).
    assert.deepEqual(apply(s, moveOut([2], 3, 5)), [committed]);
    s.takeWrites();
    const before = s.stateHash;
    const cases: Array<[Command, Outcome]> = [
      [moveOut([1, 12], 2, 9), wrongShard(12)],
      [moveOut([2], 2, 9), wrongShard(2)],
      [moveOut([1], 1, 9), { status: 'rejected', reason: 'a move must go to another cluster' }],
      [moveOut([1, 3, 1], 2, 9), { status: 'rejected', reason: 'an account is named twice' }],
    ];
    for (const [command, outcome] of cases) {
      assert.deepEqual(apply(s, command), [outcome], JSON.stringify(command.op));
      assert.equal(s.stateHash, before, JSON.stringify(command.op));
    }
    assert.equal(s.balanceOf(1), 990);
    assert.equal(s.balanceOf(3), 1000);
    assert.equal(s.movesInFlight, 1);
    const w = s.takeWrites();
    assert.deepEqual(
      [w.balances, w.sessions, w.removedAccounts, w.mapEntries, w.outboundMoves],
      [[], [], undefined, undefined, undefined],
    );
  });

  test('a stale epoch is refused: the account is at that epoch or later in this map', () => {
    const s = source();
    // The map says account 3 was last moved at epoch 4 (it came here then).
    const withEntry = new LedgerState({
      cluster: 1,
      balances: new Map([...s.accounts()]),
      appliedIndex: 0,
      mapEntries: [{ account: 3, cluster: 1, epoch: 4 }],
    });
    const before = withEntry.stateHash;
    for (const epoch of [3, 4]) {
      const [outcome] = apply(withEntry, moveOut([1, 3], 2, epoch));
      assert.equal(outcome?.status, 'rejected');
      assert.match((outcome as { reason: string }).reason, /stale epoch/);
      assert.equal(withEntry.stateHash, before);
      assert.equal(withEntry.balanceOf(1), 1000, 'all or none: account 1 stays too');
    }
    assert.deepEqual(apply(withEntry, moveOut([1, 3], 2, 5)), [committed]);
  });

  test('an account held by a prepared cross-shard transfer is refused with aborted: locked (coordinator or participant), nothing changes; after the decision it moves', () => {
    const s = source();
    apply(s, {
      clientId: 'x',
      seq: 1,
      op: { kind: 'x-prepare-coordinator', from: 1, to: 11, amount: 5, participant: 2 },
    });
    apply(s, { clientId: 'y', seq: 1, op: { kind: 'x-prepare-participant', to: 3, amount: 7, coordinator: 2 } });
    assert.equal(s.lockHolder(1), 'x#1');
    assert.equal(s.lockHolder(3), 'y#1');
    const before = s.stateHash;
    for (const accounts of [[1], [2, 3]]) {
      assert.deepEqual(apply(s, moveOut(accounts, 2, 1)), [{ status: 'aborted', reason: 'locked' }]);
      assert.equal(s.stateHash, before);
    }
    assert.equal(s.balanceOf(1), 995);
    assert.equal(s.balanceOf(2), 1000, 'all or none');
    assert.equal(s.movesInFlight, 0);
    apply(s, { clientId: 'x', seq: 1, op: { kind: 'x-decide', role: 'coordinator', decision: 'commit', peer: 2 } });
    assert.deepEqual(apply(s, moveOut([1], 2, 1)), [committed]);
    assert.deepEqual(s.outbound(1)?.balances, [[1, 995]]);
  });

  test('a repeat of an applied move-out answers committed and changes nothing', () => {
    const s = source();
    apply(s, moveOut([1, 2], 2, 4));
    s.takeWrites();
    const hash = s.stateHash;
    assert.deepEqual(apply(s, moveOut([1, 2], 2, 4)), [committed]);
    assert.equal(s.stateHash, hash);
    assert.equal(s.movesInFlight, 1);
    const writes = s.takeWrites();
    assert.equal(writes.outboundMoves, undefined);
    assert.equal(writes.mapEntries, undefined);
    // Once the record is gone too (move-done), a repeat still changes nothing.
    apply(s, moveDone(4));
    const after = s.stateHash;
    assert.deepEqual(apply(s, moveOut([1, 2], 2, 4)), [committed]);
    assert.equal(s.stateHash, after);
    assert.equal(s.movesInFlight, 0);
  });

  test('its writes: the accounts removed, the map entries, the record (then null at move-done)', () => {
    const s = source();
    apply(s, transfer('a', 1, 1, 2, 10));
    s.takeWrites();
    apply(s, moveOut([1], 2, 2));
    const w = s.takeWrites();
    assert.deepEqual(w.removedAccounts, [1]);
    assert.deepEqual(w.mapEntries, [{ account: 1, cluster: 2, epoch: 2 }]);
    assert.deepEqual(
      w.outboundMoves?.map(([e, m]) => [e, m?.to]),
      [[2, 2]],
    );
    assert.deepEqual(w.balances, [], 'a removed account is not also written as a balance');
    apply(s, moveDone(2));
    assert.deepEqual(s.takeWrites().outboundMoves, [[2, null]]);
  });
});

describe('move-done and move-in', () => {
  test('move-done removes the record (the money left the count); a second one changes nothing', () => {
    const s = source();
    apply(s, moveOut([1], 2, 1));
    const withRecord = s.stateHash;
    apply(s, moveDone(1));
    assert.equal(s.outbound(1), undefined);
    assert.equal(s.movesInFlight, 0);
    assert.notEqual(s.stateHash, withRecord);
    const after = s.stateHash;
    apply(s, moveDone(1));
    apply(s, moveDone(7));
    assert.equal(s.stateHash, after);
  });

  test('move-in adds the accounts and their balances once, gives them this cluster in the map; a repeat changes nothing', () => {
    const s = source();
    const d = destination();
    apply(s, moveOut([1, 2], 2, 3));
    const move = s.outbound(3) as OutboundMove;
    const total = s.total() + d.total() + 2000;
    apply(d, moveIn(move));
    assert.equal(d.balanceOf(1), 1000);
    assert.equal(d.balanceOf(2), 1000);
    assert.deepEqual(d.map.entryOf(1), { account: 1, cluster: 2, epoch: 3 });
    assert.equal(s.total() + d.total(), total, 'the record counted once: at the destination now');
    const w = d.takeWrites();
    assert.deepEqual(
      w.balances.sort((x, y) => x[0] - y[0]),
      [
        [1, 1000],
        [2, 1000],
      ],
    );
    const hash = d.stateHash;
    apply(d, moveIn(move));
    assert.equal(d.stateHash, hash);
    assert.equal(d.balanceOf(1), 1000);
    assert.equal(d.accountCount, 8);
  });

  test('move-in of an older move than the map holds for an account changes nothing', () => {
    const d = destination();
    // Cluster 2 heard that account 1 went to cluster 3 at epoch 5.
    apply(d, mapMerge([{ account: 1, cluster: 3, epoch: 5 }]));
    const hash = d.stateHash;
    const old: OutboundMove = { epoch: 4, from: 1, to: 2, balances: [[1, 1000]], sessions: [] };
    apply(d, moveIn(old));
    assert.equal(d.balanceOf(1), undefined);
    assert.equal(d.stateHash, hash);
  });

  test('a move-in not addressed to this cluster is ignored', () => {
    const d = destination();
    const hash = d.stateHash;
    apply(d, moveIn({ epoch: 1, from: 1, to: 3, balances: [[1, 1000]], sessions: [] }));
    assert.equal(d.balanceOf(1), undefined);
    assert.equal(d.map.entryOf(1), undefined);
    assert.equal(d.stateHash, hash);
  });

  test('move-in adopts the sessions it carries, except where a newer session of that client is held', () => {
    const s = source();
    apply(s, transfer('old', 1, 1, 2, 10));
    apply(s, transfer('new', 1, 1, 2, 10));
    apply(s, moveOut([1, 2], 2, 1));
    const d = destination();
    // 'old' went on at cluster 2 meanwhile (seq 2): its session there is newer.
    apply(d, transfer('old', 2, 11, 12, 5));
    apply(d, moveIn(s.outbound(1) as OutboundMove));
    assert.equal(d.sessionOf('old')?.seq, 2);
    assert.deepEqual(d.sessionOf('old')?.outcome, committed);
    assert.equal(d.sessionOf('new')?.seq, 1);
    assert.equal(d.sessionOf('new')?.slot, d.appliedIndex, "an adopted session takes the move-in's slot");
  });
});

describe('map-merge', () => {
  test('learns where accounts went, the higher epoch winning', () => {
    const s = source();
    assert.deepEqual(apply(s, mapMerge([{ account: 21, cluster: 3, epoch: 2 }])), [committed]);
    apply(s, mapMerge([{ account: 21, cluster: 2, epoch: 1 }]));
    assert.deepEqual(s.map.entryOf(21), { account: 21, cluster: 3, epoch: 2 });
  });

  test('never takes an entry naming this cluster, nor changes an account this cluster holds', () => {
    const s = source();
    const hash = s.stateHash;
    assert.deepEqual(
      apply(
        s,
        mapMerge([
          { account: 11, cluster: 1, epoch: 3 }, // hearsay that 11 is ours: only our move-in says so
          { account: 2, cluster: 3, epoch: 4 }, // ours: only our move-out gives it away
        ]),
      ),
      [committed],
    );
    assert.equal(s.map.entryOf(11), undefined);
    assert.equal(s.map.entryOf(2), undefined);
    assert.equal(s.stateHash, hash);
    // Why it matters: the move-in of 11 at epoch 3 still applies afterwards.
    apply(s, moveIn({ epoch: 3, from: 2, to: 1, balances: [[11, 1000]], sessions: [] }));
    assert.equal(s.balanceOf(11), 1000);
  });
});

describe('exactly once across a move', () => {
  test('a transfer that ran at the source, retried at the destination after the move, gets the first outcome and does not run again', () => {
    const s = source();
    const d = destination();
    assert.deepEqual(apply(s, transfer('c', 1, 1, 2, 100)), [committed]);
    apply(s, moveOut([1, 2], 2, 1));
    // The source now refuses the retry as a wrong shard (nothing ran there).
    assert.deepEqual(apply(s, transfer('c', 2, 1, 2, 1)), [wrongShard(1)]);
    apply(d, moveIn(s.outbound(1) as OutboundMove));
    const slot = d.appliedIndex;
    const [r] = d.applySlot(d.appliedIndex + 1, [transfer('c', 1, 1, 2, 100)]);
    assert.deepEqual(r?.outcome, committed);
    assert.equal(r?.executedIn, slot, 'answered from the session the move carried');
    assert.equal(d.balanceOf(1), 900);
    assert.equal(d.balanceOf(2), 1100);
  });

  test('a command refused as wrong shard at the source (after the move) is not recorded there, and runs once at the destination', () => {
    const s = source();
    const d = destination();
    apply(s, transfer('e', 1, 3, 4, 1)); // a session of e touching other accounts
    apply(s, moveOut([1, 2], 2, 1));
    const hash = s.stateHash;
    assert.deepEqual(apply(s, transfer('e', 2, 1, 2, 40)), [wrongShard(1)]);
    assert.equal(s.sessionOf('e')?.seq, 1, 'the wrong shard is not the session’s answer');
    assert.equal(s.stateHash, hash);
    apply(d, moveIn(s.outbound(1) as OutboundMove));
    // Sent again by the client with the epoch the source's answer named (Command.mapEpoch).
    assert.deepEqual(apply(d, stamped(transfer('e', 2, 1, 2, 40), 1)), [committed]);
    assert.deepEqual(apply(d, stamped(transfer('e', 2, 1, 2, 40), 1)), [committed], 'its retry: the same answer');
    assert.equal(d.balanceOf(1), 960);
    assert.equal(d.balanceOf(2), 1040);
  });

  test('a command refused as wrong shard at the destination before the move-in runs there once after it', () => {
    const s = source();
    const d = destination();
    apply(s, moveOut([1, 2], 2, 1));
    assert.deepEqual(apply(d, transfer('f', 1, 1, 2, 40)), [wrongShard(1)]);
    assert.equal(d.sessionOf('f'), undefined);
    apply(d, moveIn(s.outbound(1) as OutboundMove));
    assert.deepEqual(apply(d, stamped(transfer('f', 1, 1, 2, 40), 1)), [committed]);
    assert.equal(d.balanceOf(1), 960);
  });

  test('a copy sent before the account arrived (a late duplicate, epoch below its arrival) never runs at the destination, even with no session there', () => {
    const s = source();
    const d = destination();
    // g's command 1 ran at the source and was answered; g went on at the source with other
    // accounts, so its session there no longer touches 1 and does not travel with it.
    assert.deepEqual(apply(s, transfer('g', 1, 1, 2, 5)), [committed]);
    apply(s, transfer('g', 2, 3, 4, 1));
    apply(s, moveOut([1, 2], 2, 1));
    apply(d, moveIn(s.outbound(1) as OutboundMove));
    assert.equal(d.sessionOf('g'), undefined);
    const hash = d.stateHash;
    // A late copy of command 1 (sent at epoch 0) reaches the destination: refused, unrecorded.
    assert.deepEqual(apply(d, transfer('g', 1, 1, 2, 5)), [wrongShard(1)]);
    assert.equal(d.stateHash, hash);
    assert.equal(d.balanceOf(1), 995);
  });
});

/** The command as a client that knows the account's move at `epoch` sends it. */
function stamped(command: Command, mapEpoch: number): Command {
  return { ...command, mapEpoch };
}

describe('a cross-shard transfer whose receiver moved', () => {
  test('its abort (not in this shard) is a decision: recorded in the session, so a late copy of the request does not run it after its record is forgotten', () => {
    const s = source();
    const prepare: Command = {
      clientId: 'c',
      seq: 1,
      op: { kind: 'x-prepare-coordinator', from: 1, to: 21, amount: 5, participant: 2 },
    };
    apply(s, prepare);
    const reason = 'account 21 is not in this shard';
    assert.deepEqual(
      apply(s, {
        clientId: 'c',
        seq: 1,
        op: { kind: 'x-decide', role: 'coordinator', decision: 'abort', peer: 2, reason },
      }),
      [{ status: 'aborted', reason }],
    );
    apply(s, { clientId: 'c', seq: 1, op: { kind: 'x-end' } });
    assert.equal(s.twoPc.coordinatorRecord('c#1'), undefined);
    assert.deepEqual(s.sessionOf('c')?.outcome, { status: 'aborted', reason });
    // The same request again (a duplicate from the network): answered, not prepared again.
    assert.deepEqual(apply(s, prepare), [{ status: 'aborted', reason }]);
    assert.equal(s.balanceOf(1), 1000);
    assert.equal(s.twoPc.coordinatorRecord('c#1'), undefined);
  });
});

describe('history in the state', () => {
  test('a committed transfer joins the history; a refused one does not; a cross-shard one at its coordinator’s commit only', () => {
    const s = source();
    apply(s, transfer('a', 1, 1, 2, 10));
    apply(s, transfer('b', 1, 1, 2, 100_000)); // insufficient funds
    apply(s, transfer('c', 1, 1, 99, 1)); // wrong shard
    apply(s, {
      clientId: 'x',
      seq: 1,
      op: { kind: 'x-prepare-coordinator', from: 3, to: 14, amount: 5, participant: 2 },
    });
    assert.deepEqual(s.history.pairs(), [[1, 2]], 'not at the PREPARE');
    apply(s, { clientId: 'x', seq: 1, op: { kind: 'x-decide', role: 'coordinator', decision: 'commit', peer: 2 } });
    apply(s, {
      clientId: 'y',
      seq: 1,
      op: { kind: 'x-prepare-coordinator', from: 4, to: 15, amount: 5, participant: 2 },
    });
    apply(s, {
      clientId: 'y',
      seq: 1,
      op: { kind: 'x-decide', role: 'coordinator', decision: 'abort', peer: 2, reason: 'participant-aborted' },
    });
    // The participant's side of a commit is not counted again.
    apply(s, { clientId: 'z', seq: 1, op: { kind: 'x-prepare-participant', to: 5, amount: 3, coordinator: 2 } });
    apply(s, { clientId: 'z', seq: 1, op: { kind: 'x-decide', role: 'participant', decision: 'commit' } });
    assert.deepEqual(s.history.pairs(), [
      [1, 2],
      [3, 14],
    ]);
    // A retry of the committed transfer answered from its session is not counted again.
    apply(s, transfer('a', 1, 1, 2, 10));
    assert.equal(s.history.length, 2);
  });
});

describe('replicas and snapshots', () => {
  /** A run with everything resharding keeps: moves out and in, a record in transit, map
   *  entries heard of, sessions, a prepared transaction, a history past its capacity. */
  function busyRun(s: LedgerState): void {
    for (let i = 0; i < 40; i++) apply(s, transfer(`t${i}`, 1, 1 + (i % 3), 4 + (i % 2), 1 + i));
    apply(s, moveOut([1], 2, 1));
    apply(s, moveDone(1));
    apply(s, moveOut([2, 6], 2, 2));
    apply(s, moveIn({ epoch: 3, from: 2, to: 1, balances: [[13, 777]], sessions: [] }));
    apply(s, mapMerge([{ account: 30, cluster: 3, epoch: 5 }]));
    apply(s, transfer('u', 1, 13, 3, 7));
    apply(s, {
      clientId: 'x',
      seq: 1,
      op: { kind: 'x-prepare-coordinator', from: 3, to: 14, amount: 5, participant: 2 },
    });
  }

  test('two replicas applying the same slots agree on the state hash, which the moves change', () => {
    const a = source({ historyCapacity: 16 });
    const b = source({ historyCapacity: 16 });
    const start = a.stateHash;
    busyRun(a);
    busyRun(b);
    assert.equal(a.stateHash, b.stateHash);
    assert.notEqual(a.stateHash, start);
    // One more move on one of them: they differ.
    apply(a, moveOut([4], 2, 6));
    apply(b, moveOut([4], 3, 6));
    assert.notEqual(a.stateHash, b.stateHash, 'the record names its destination');
  });

  test('a snapshot cut in small pieces, merged in any order and installed on a fresh state, reproduces the state hash, the map, the moves and the history', () => {
    const s = source({ historyCapacity: 16 });
    busyRun(s);
    assert.ok(s.history.first > 0, 'the history forgot its oldest pairs');
    assert.equal(s.movesInFlight, 1);
    const pieces = snapshotPieces(s.image(), 200);
    assert.ok(pieces.filter((p) => (p.history ?? []).length > 0).length >= 2, 'the history in several runs');
    assert.ok(pieces.length >= 6, `${pieces.length} pieces`);
    const fresh = new LedgerState({ cluster: 1, balances: new Map(), appliedIndex: 0, historyCapacity: 16 });
    fresh.install(s.appliedIndex, mergePieces([...pieces].reverse()));
    assert.equal(fresh.stateHash, s.stateHash);
    assert.deepEqual(fresh.map.image(), s.map.image());
    assert.deepEqual(fresh.outboundList(), s.outboundList());
    assert.deepEqual(fresh.history.pairs(), s.history.pairs());
    assert.equal(fresh.history.first, s.history.first);
    assert.deepEqual([...fresh.accounts()].sort(), [...s.accounts()].sort());
    // Installed, it writes everything, the new fields too.
    const w = fresh.pendingWrites();
    assert.equal(w.replaceAll, true);
    assert.deepEqual(w.mapEntries, s.map.image().entries);
    assert.deepEqual(
      w.outboundMoves?.map(([e]) => e),
      [2],
    );
    assert.deepEqual(
      w.historyAppended?.map(([p, a, b]) => [p, a, b]),
      s.history.pairs().map(([a, b], i) => [s.history.first + i, a, b]),
    );
    assert.equal(w.historyFloor, s.history.first - 1);
    // And both go on alike.
    apply(s, moveDone(2));
    fresh.applySlot(fresh.appliedIndex + 1, [moveDone(2)]);
    assert.equal(fresh.stateHash, s.stateHash);
  });

  test('an empty history that forgot its pairs still carries where it starts', () => {
    const s = new LedgerState({
      cluster: 1,
      balances: new Map([[1, 5]]),
      appliedIndex: 3,
      historyStart: 9,
      historyCapacity: 4,
    });
    const fresh = new LedgerState({ cluster: 1, balances: new Map(), appliedIndex: 0, historyCapacity: 4 });
    fresh.install(3, mergePieces(snapshotPieces(s.image(), 200)));
    assert.equal(fresh.history.first, 9);
    assert.equal(fresh.stateHash, s.stateHash);
  });
});
