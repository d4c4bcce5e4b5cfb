/** Regression tests for Two-Phase Commit bugs found in review (a helper session's tests). */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Command } from '../../src/protocol/commands.js';
import { LedgerState } from '../../src/ledger/state.js';
import { openNodeStore } from '../../src/storage/open.js';
import { TwoPcDriver, type DriverHost, type TwoPcSettings } from '../../src/twopc/driver.js';
import type { TwoPcMessage } from '../../src/protocol/twopc.js';

const prepareP = (c: string, to: number): Command => ({
  clientId: c,
  seq: 1,
  op: { kind: 'x-prepare-participant', to, amount: 5, coordinator: 1 },
});
const decideP = (c: string): Command => ({
  clientId: c,
  seq: 1,
  op: { kind: 'x-decide', role: 'participant', decision: 'commit', peer: 1 },
});

test('a replica reloaded from SQLite forgets the same decided participant record as one that never restarted', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ledger-2pc-order-'));
  const store = await openNodeStore({
    file: join(dir, 'n.sqlite'),
    firstAccount: 1,
    lastAccount: 3,
    initialBalance: 100,
  });
  try {
    const live = new LedgerState({ balances: new Map(store.load().balances), appliedIndex: 0, sessionsMax: 2 });
    const slots = [[prepareP('A', 1)], [prepareP('B', 2)], [decideP('B')], [decideP('A')]];
    slots.forEach((commands, i) => {
      live.applySlot(i + 1, commands);
      store.persist({ promised: undefined, entries: [], newViews: [], state: live.takeWrites() });
    });
    const d = store.load();
    const restarted = new LedgerState({
      balances: d.balances,
      sessions: d.sessions,
      appliedIndex: d.appliedIndex,
      sessionsMax: 2,
      coordinatorRecords: d.coordinatorRecords,
      participantRecords: d.participantRecords,
    });
    assert.equal(restarted.stateHash, live.stateHash, 'equal right after the restart');
    for (const s of [live, restarted]) s.applySlot(5, [prepareP('C', 3)]); // forgets one decided record
    assert.deepEqual(
      restarted.twoPc
        .participantRecords()
        .map((r) => r.clientId)
        .sort(),
      live.twoPc
        .participantRecords()
        .map((r) => r.clientId)
        .sort(),
    );
    assert.equal(restarted.stateHash, live.stateHash);
  } finally {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

interface TestHost extends DriverHost {
  now: number;
  state: LedgerState;
  proposed: Command[];
  sent: Array<{ to: number; message: TwoPcMessage }>;
}

function host(cluster: number, accounts: number[], sessionsMax: number): TestHost {
  const h: TestHost = {
    cluster,
    now: 0,
    recoveredUpTo: undefined,
    proposed: [],
    sent: [],
    state: new LedgerState({ balances: new Map(accounts.map((a) => [a, 100])), appliedIndex: 0, sessionsMax }),
    propose: (c) => void h.proposed.push(c),
    send: (to, message) => void h.sent.push({ to, message }),
    event: () => undefined,
    answer: () => undefined,
  };
  return h;
}

const settings: TwoPcSettings = { lockWaitTicks: 5, voteTimeoutTicks: 50, resendTicks: 10, queryTicks: 30 };

function chooseAll(h: TestHost, d: TwoPcDriver): void {
  const proposed = h.proposed;
  h.proposed = [];
  if (proposed.length === 0) return;
  h.state.applySlot(h.state.appliedIndex + 1, proposed);
  for (const c of proposed) d.onApplied(c);
}

function pump(a: TestHost, da: TwoPcDriver, b: TestHost, db: TwoPcDriver): void {
  for (let i = 0; i < 20; i++) {
    for (const [from, to, dto] of [
      [a, b, db],
      [b, a, da],
    ] as const) {
      const sent = from.sent;
      from.sent = [];
      for (const x of sent) if (x.to === to.cluster) dto.onMessage(x.message);
    }
    chooseAll(a, da);
    chooseAll(b, db);
  }
}

test('a PREPARE repeated after the participant forgot the decided transaction does not credit twice', () => {
  const c = host(1, [1, 2, 3], 1000);
  const dc = new TwoPcDriver(c, settings);
  const p = host(2, [7, 8, 9], 1); // the participant keeps a single decided record
  const dp = new TwoPcDriver(p, settings);
  const run = (client: string, from: number, to: number) => {
    const prepare: Command = {
      clientId: client,
      seq: 1,
      op: { kind: 'x-prepare-coordinator', from, to, amount: 30, participant: 2 },
    };
    c.state.applySlot(c.state.appliedIndex + 1, [prepare]);
    dc.onApplied(prepare);
    pump(c, dc, p, dp);
  };
  run('A', 1, 8);
  const late: TwoPcMessage = { type: 'prepare', txn: { clientId: 'A', seq: 1 }, coordinator: 1, to: 8, amount: 30 };
  run('X', 2, 9); // forgets A's decided record at the participant
  assert.equal(p.state.twoPc.participantRecord('A#1'), undefined, 'precondition: A#1 forgotten');
  const totalBefore = c.state.total() + p.state.total();
  dp.onMessage(late);
  pump(c, dc, p, dp);
  for (let t = 1; t <= 100; t++) {
    c.now = p.now = t;
    dc.onTick();
    dp.onTick();
    pump(c, dc, p, dp);
  }
  assert.equal(p.state.balanceOf(8), 130, 'A credited account 8 once');
  assert.equal(c.state.total() + p.state.total(), totalBefore, 'money is conserved');
  assert.equal(p.state.twoPc.lockCount, 0, 'the repeat was undone and released');
});
