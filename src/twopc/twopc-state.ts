import { assert } from '../core/assert.js';
import type { AccountId } from '../protocol/ids.js';
import { compareText, mix, stringHash } from '../core/mix-hash.js';
import type { Outcome } from '../protocol/commands.js';
import { txnKey } from './steps.js';
import type { CoordinatorRecord, ParticipantRecord } from '../protocol/twopc.js';

/** The slot is in it: a leader's abort on silence (TwoPcDriver.mayAbortOnSilence) and a yes
 *  vote's prepareSlot read it, so the replicas' hash check (the simulator's) covers every path
 *  that writes or restores it (apply, restart from disk, snapshot install). */
function recordHash(r: CoordinatorRecord | ParticipantRecord): number {
  return mix(stringHash(r.clientId) ^ mix(r.seq) ^ stringHash(r.state) ^ mix(r.amount) ^ mix(r.slot ?? 0));
}

/** The client's answer for a decided coordinator record (the same as decideCoordinator gave). */
function decidedOutcome(record: CoordinatorRecord): Outcome {
  assert(record.state !== 'prepared', 'a prepared transaction has no outcome yet');
  return record.state === 'committed'
    ? { status: 'committed' }
    : { status: 'aborted', reason: record.reason ?? 'participant-aborted' };
}

/** The 2PC records written (a record) or forgotten (null) since the writes were last persisted (see pendingWrites). */
export interface TwoPcWrites {
  coordinatorRecords: Array<[string, CoordinatorRecord | null]>;
  participantRecords: Array<[string, ParticipantRecord | null]>;
}

/**
 * The replicated Two-Phase Commit records of one shard, and the locks derived from them. Part
 * of the replicated state (LedgerState holds one): only the apply of chosen 2PC steps writes it
 * (apply-step.ts), so it is the same on every replica. It keeps its own share of the state hash
 * and its own dirty sets for checkpoints.
 */
export class TwoPcState {
  /** Cross-shard transactions this shard coordinates, by transaction key, until acknowledged. */
  private readonly coordinator = new Map<string, CoordinatorRecord>();
  /** Cross-shard transactions into this shard, by transaction key (map order: recency). The
   *  decided ones are kept (bounded, least recent forgotten first) so that a repeated PREPARE
   *  gets the same answer instead of preparing twice. */
  private readonly participant = new Map<string, ParticipantRecord>();
  /** Accounts held by prepared transactions: derived from the records above. */
  private readonly locks = new Map<AccountId, string>();
  /** Keys of the participant records still prepared (the driver visits them every tick; the
   *  decided ones, kept for duplicate detection, can be many). */
  private readonly preparedIn = new Set<string>();
  private readonly dirtyCoordinator = new Set<string>();
  private readonly dirtyParticipant = new Set<string>();
  /** Sum of the records' hashes (see LedgerState.stateHash). */
  private sum = 0;

  /** `participantRecordsMax`: decided participant records kept (as many as client sessions). */
  constructor(private readonly participantRecordsMax: number) {}

  /** Replaces every record (start-up, snapshot install). */
  load(coordinatorRecords: readonly CoordinatorRecord[], participantRecords: readonly ParticipantRecord[]): void {
    this.coordinator.clear();
    this.participant.clear();
    this.locks.clear();
    this.preparedIn.clear();
    this.dirtyCoordinator.clear();
    this.dirtyParticipant.clear();
    for (const r of coordinatorRecords) {
      this.coordinator.set(txnKey(r.clientId, r.seq), r);
      if (r.state === 'prepared') this.locks.set(r.from, txnKey(r.clientId, r.seq));
    }
    // Map order is write order, which eviction relies on: rebuild it from the slots.
    const byWrite = [...participantRecords].sort(
      (a, b) => a.slot - b.slot || compareText(txnKey(a.clientId, a.seq), txnKey(b.clientId, b.seq)),
    );
    for (const r of byWrite) {
      this.participant.set(txnKey(r.clientId, r.seq), r);
      if (r.state === 'prepared') {
        this.locks.set(r.to, txnKey(r.clientId, r.seq));
        this.preparedIn.add(txnKey(r.clientId, r.seq));
      }
    }
    this.sum = 0;
    for (const r of this.coordinator.values()) this.sum = (this.sum + recordHash(r)) | 0;
    for (const r of this.participant.values()) this.sum = (this.sum + recordHash(r)) | 0;
  }

  /** This part's share of the state hash. */
  get hash(): number {
    return this.sum;
  }

  /** What undecided transfers add to (+, a credit here) or take from (-) `account`'s balance. */
  tentativeAmount(account: AccountId): number {
    const holder = this.locks.get(account);
    if (holder === undefined) return 0;
    const out = this.coordinator.get(holder);
    if (out?.state === 'prepared' && out.from === account) return -out.amount;
    const into = this.participant.get(holder);
    if (into?.state === 'prepared' && into.to === account) return into.amount;
    return 0;
  }

  /** Accounts held by prepared transactions. */
  get lockCount(): number {
    return this.locks.size;
  }

  /** The transaction holding `account`, if a prepared cross-shard transfer locks it. An arrow,
   *  so it can be passed as a holder to the lock rule (locks.ts). */
  readonly lockHolder = (account: AccountId): string | undefined => this.locks.get(account);

  coordinatorRecords(): CoordinatorRecord[] {
    return [...this.coordinator.values()];
  }

  coordinatorRecord(key: string): CoordinatorRecord | undefined {
    return this.coordinator.get(key);
  }

  /** Oldest written first (the order eviction and snapshots keep). */
  participantRecords(): ParticipantRecord[] {
    return [...this.participant.values()];
  }

  /** The participant records not decided yet. */
  preparedParticipantRecords(): ParticipantRecord[] {
    return [...this.preparedIn].map((k) => this.participant.get(k) as ParticipantRecord);
  }

  participantRecord(key: string): ParticipantRecord | undefined {
    return this.participant.get(key);
  }

  /** What the coordinator record says of a client's transfer: `undecided` while prepared, its
   *  outcome once decided, undefined with no record (see LedgerState.priorOutcome). */
  clientOutcome(key: string): Outcome | 'undecided' | undefined {
    const record = this.coordinator.get(key);
    if (record === undefined) return undefined;
    return record.state === 'prepared' ? 'undecided' : decidedOutcome(record);
  }

  /** Writes (or, with undefined, forgets) a coordinator record, and its lock. */
  setCoordinator(key: string, record: CoordinatorRecord | undefined): void {
    const previous = this.coordinator.get(key);
    if (previous !== undefined) {
      this.sum = (this.sum - recordHash(previous)) | 0;
      if (previous.state === 'prepared' && this.locks.get(previous.from) === key) this.locks.delete(previous.from);
    }
    if (record === undefined) this.coordinator.delete(key);
    else {
      this.coordinator.set(key, record);
      this.sum = (this.sum + recordHash(record)) | 0;
      if (record.state === 'prepared') this.locks.set(record.from, key);
    }
    this.dirtyCoordinator.add(key);
  }

  /** Writes a participant record and its lock, and forgets the oldest decided ones past the bound. */
  setParticipant(record: ParticipantRecord): void {
    const key = txnKey(record.clientId, record.seq);
    const previous = this.participant.get(key);
    if (previous !== undefined) {
      this.sum = (this.sum - recordHash(previous)) | 0;
      if (previous.state === 'prepared' && this.locks.get(previous.to) === key) this.locks.delete(previous.to);
      this.participant.delete(key);
    }
    this.participant.set(key, record);
    this.sum = (this.sum + recordHash(record)) | 0;
    if (record.state === 'prepared') {
      this.locks.set(record.to, key);
      this.preparedIn.add(key);
    } else {
      this.preparedIn.delete(key);
    }
    this.dirtyParticipant.add(key);
    // Bounded like the sessions: forget the least recently written decided ones (never a
    // prepared one), the oldest slot first and, within it, the smallest key: every replica
    // picks the same, whether its map was built by applying or by loading from disk.
    // Forgetting is safe: a late PREPARE copy of a forgotten transaction prepares it again
    // (a tentative credit), and that second preparation is always undone. If the coordinator
    // still holds the record, its commit names the first preparation (prepareSlot), so
    // decideParticipant undoes this one as superseded; if not, the participant's query gets an
    // abort (onQuery: from the session, or a presumed abort once the session is gone too).
    while (this.participant.size > this.participantRecordsMax) {
      const victim = this.oldestDecidedParticipant(key);
      if (victim === undefined) break;
      this.sum = (this.sum - recordHash(this.participant.get(victim) as ParticipantRecord)) | 0;
      this.participant.delete(victim);
      this.dirtyParticipant.add(victim);
    }
  }

  private oldestDecidedParticipant(justWritten: string): string | undefined {
    let best: { key: string; slot: number } | undefined;
    for (const [k, r] of this.participant) {
      if (r.state === 'prepared' || k === justWritten) continue;
      if (best !== undefined && r.slot !== best.slot) break;
      if (best === undefined || compareText(k, best.key) < 0) best = { key: k, slot: r.slot };
    }
    return best?.key;
  }

  /** What changed since the writes were last persisted (everything when `all`); changes
   *  nothing: writesPersisted() acknowledges it. */
  pendingWrites(all: boolean): TwoPcWrites {
    return all
      ? { coordinatorRecords: [...this.coordinator.entries()], participantRecords: [...this.participant.entries()] }
      : {
          coordinatorRecords: [...this.dirtyCoordinator].map((k) => [k, this.coordinator.get(k) ?? null]),
          participantRecords: [...this.dirtyParticipant].map((k) => [k, this.participant.get(k) ?? null]),
        };
  }

  /** The pending writes were persisted: forget them. */
  writesPersisted(): void {
    this.dirtyCoordinator.clear();
    this.dirtyParticipant.clear();
  }
}
