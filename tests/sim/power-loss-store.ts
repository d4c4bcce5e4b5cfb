import type { Slot } from '../../src/protocol/ids.js';
import type { SeededRandom } from '../../src/core/random.js';
import type { Batch, Session } from '../../src/protocol/commands.js';
import type { PersistBatch } from '../../src/ports/node-store.js';
import type { ReadyStore } from '../../src/ports/runtime.js';
import type { Ballot, LogEntry } from '../../src/protocol/paxos.js';
import type { CoordinatorRecord, ParticipantRecord } from '../../src/protocol/twopc.js';
import type { MapEntry } from '../../src/protocol/shard-map.js';
import type { OutboundMove } from '../../src/protocol/moves.js';

/** What survives a crash of the process: exactly what the runtime persisted before sending.
 *  A power loss keeps less: see PowerLossStore. */
export interface DurableStore {
  promised: Ballot;
  log: Map<Slot, LogEntry<Batch>>;
  appliedIndex: Slot;
  logFloor: Slot;
  balances: Map<number, number>;
  sessions: Map<string, Session>;
  coordinatorRecords: Map<string, CoordinatorRecord>;
  participantRecords: Map<string, ParticipantRecord>;
  mapEntries: Map<number, MapEntry>;
  outboundMoves: Map<number, OutboundMove>;
  /** The transfer history by position. */
  history: Map<number, [number, number]>;
}

/**
 * The simulator's store (the runtime's Store port): `durable` is what the file holds, which a
 * crash of the process keeps. Only writes the runtime marked `sync` reach the disk; the others
 * (SQLite WAL at synchronous=NORMAL, see mustSyncBeforeSend) are in the OS's cache until the next
 * synced one, and a power loss keeps a prefix of them: WAL transactions survive in order.
 */
export class PowerLossStore implements ReadyStore {
  /** The store as of the last persist that reached the disk, and the writes persisted since. */
  private synced: DurableStore;
  private unsynced: PersistBatch[] = [];

  constructor(public durable: DurableStore) {
    this.synced = cloneStore(durable);
  }

  persist(batch: PersistBatch): void {
    applyBatch(this.durable, batch);
    if (batch.sync !== false) {
      this.synced = cloneStore(this.durable);
      this.unsynced = [];
    } else {
      this.unsynced.push(copyBatch(batch));
    }
  }

  /** Power loss: what reached the disk and a prefix of what did not. Says how much was lost. */
  powerLoss(random: SeededRandom): { lost: number; of: number } {
    const kept = random.int(0, this.unsynced.length);
    const store = cloneStore(this.synced);
    for (const batch of this.unsynced.slice(0, kept)) applyBatch(store, batch);
    const lost = { lost: this.unsynced.length - kept, of: this.unsynced.length };
    this.durable = store;
    this.synced = cloneStore(store);
    this.unsynced = [];
    return lost;
  }
}

/** Applies one persist to a store as SQLite does (src/storage/sqlite-node-store.ts). */
function applyBatch(d: DurableStore, batch: PersistBatch): void {
  if (batch.promised !== undefined) d.promised = batch.promised;
  for (const e of batch.entries) d.log.set(e.slot, { ...e });
  const state = batch.state;
  const snapshot = state?.replaceAll === true;
  if (state !== undefined) {
    if (snapshot) {
      d.sessions.clear();
      d.balances.clear();
      d.mapEntries.clear();
      d.outboundMoves.clear();
      d.history.clear();
    }
    d.appliedIndex = state.appliedIndex;
    for (const a of state.removedAccounts ?? []) d.balances.delete(a);
    for (const [a, b] of state.balances) d.balances.set(a, b);
    for (const e of state.mapEntries ?? []) d.mapEntries.set(e.account, e);
    for (const [epoch, m] of state.outboundMoves ?? []) {
      if (m === null) d.outboundMoves.delete(epoch);
      else d.outboundMoves.set(epoch, m);
    }
    for (const [position, from, to] of state.historyAppended ?? []) d.history.set(position, [from, to]);
    if (state.historyFloor !== undefined)
      for (const position of [...d.history.keys()]) if (position <= state.historyFloor) d.history.delete(position);
    for (const s of state.sessions) d.sessions.set(s.clientId, s);
    for (const c of state.evictedSessions) d.sessions.delete(c);
    if (snapshot) {
      d.coordinatorRecords.clear();
      d.participantRecords.clear();
    }
    for (const [k, r] of state.coordinatorRecords ?? []) {
      if (r === null) d.coordinatorRecords.delete(k);
      else d.coordinatorRecords.set(k, r);
    }
    for (const [k, r] of state.participantRecords ?? []) {
      if (r === null) d.participantRecords.delete(k);
      else d.participantRecords.set(k, r);
    }
  }
  const floor = batch.compactedThrough;
  if (floor !== undefined) {
    for (const slot of [...d.log.keys()]) if (slot <= floor) d.log.delete(slot);
    d.logFloor = floor;
  }
}

function cloneStore(d: DurableStore): DurableStore {
  return {
    promised: d.promised,
    log: new Map([...d.log].map(([slot, e]) => [slot, { ...e }])),
    appliedIndex: d.appliedIndex,
    logFloor: d.logFloor,
    balances: new Map(d.balances),
    sessions: new Map(d.sessions),
    coordinatorRecords: new Map(d.coordinatorRecords),
    participantRecords: new Map(d.participantRecords),
    mapEntries: new Map(d.mapEntries),
    outboundMoves: new Map(d.outboundMoves),
    history: new Map(d.history),
  };
}

/** A persist kept for a later power loss: its entries copied, since the core reuses them. */
function copyBatch(batch: PersistBatch): PersistBatch {
  return { ...batch, entries: batch.entries.map((e) => ({ ...e })) };
}
