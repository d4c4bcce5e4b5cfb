import { assert } from '../core/assert.js';
import type { AccountId, ClientId, Slot } from '../core/ids.js';
import { limits } from '../core/limits.js';
import type { CoordinatorRecord, ParticipantRecord } from '../twopc/records.js';
import { txnKey } from '../twopc/records.js';
import type { Command, Operation, Outcome } from './commands.js';

/** The last answer a client got, kept so that its retry gets the same answer. */
export interface Session {
  clientId: ClientId;
  seq: number;
  outcome: Outcome;
  slot: Slot;
}

/** What applying a batch changed, for the runtime to persist in one SQLite transaction. */
export interface StateWrites {
  appliedIndex: Slot;
  /** Set when a snapshot replaced the whole state: every list below is complete. */
  replaceAll?: true;
  balances: Array<[AccountId, number]>;
  sessions: Session[];
  evictedSessions: ClientId[];
  /** Two-Phase Commit records written (a record) or forgotten (null). */
  coordinatorRecords?: Array<[string, CoordinatorRecord | null]>;
  participantRecords?: Array<[string, ParticipantRecord | null]>;
}

/** One piece of a snapshot. */
export interface SnapshotPiece {
  balances: Array<[AccountId, number]>;
  sessions: Session[];
  coordinatorRecords: CoordinatorRecord[];
  participantRecords: ParticipantRecord[];
}

/** Everything a replica's state holds, for snapshots and for start-up. */
export interface StateImage {
  balances: Map<AccountId, number> | ReadonlyArray<[AccountId, number]>;
  sessions: readonly Session[];
  coordinatorRecords?: readonly CoordinatorRecord[];
  participantRecords?: readonly ParticipantRecord[];
}

/** 32-bit integer mixing (murmur3's finaliser): small input changes flip many output bits. */
function mix(h: number): number {
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return h ^ (h >>> 16);
}

function stringHash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h;
}

function balanceHash(account: AccountId, balance: number): number {
  // Balances are safe integers: mix the high part too, so 2^32 apart never collide.
  return mix(mix(account) ^ balance ^ mix(Math.floor(balance / 4294967296)));
}

function recordHash(r: CoordinatorRecord | ParticipantRecord): number {
  return mix(stringHash(r.clientId) ^ mix(r.seq) ^ stringHash(r.state) ^ mix(r.amount));
}

function sessionHash(s: Session): number {
  return mix(stringHash(s.clientId) ^ mix(s.seq) ^ stringHash(s.outcome.status));
}

/** Eviction order (see leastRecentlyUsed): oldest slot first, then smallest client id. */
function bySessionAge(a: Session, b: Session): number {
  return a.slot - b.slot || compareText(a.clientId, b.clientId);
}

/** The answer to a client command older than its session's last one, with no record left:
 *  the ledger no longer knows its outcome (a rejection, never a claim that it did not run). */
export const staleSequence = 'stale-sequence';

/** Why a participant's preparation was undone by a commit of an earlier preparation. */
export const supersededReason = 'superseded';

/** What a read of an account held by an undecided cross-shard transfer gets when it is
 *  applied: never a client's answer (the leader proposes the read again, see isHeldRead). */
const heldReadReason = 'held-by-undecided-transfer';
const heldRead: Outcome = { status: 'rejected', reason: heldReadReason };

export function isHeldRead(command: Command, outcome: Outcome | undefined): boolean {
  return command.op.kind === 'balance' && outcome?.status === 'rejected' && outcome.reason === heldReadReason;
}

/** The client's answer for a decided coordinator record (the same as decideCoordinator gave). */
function decidedOutcome(record: CoordinatorRecord): Outcome {
  assert(record.state !== 'prepared', 'a prepared transaction has no outcome yet');
  return record.state === 'committed' ? { status: 'committed' } : { status: 'aborted', reason: record.reason ?? 'participant-aborted' };
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export interface AppliedCommand {
  command: Command;
  /** The client's answer, or undefined while a cross-shard transaction is still undecided. */
  outcome: Outcome | undefined;
  /** The slot in which the command took effect: this one, or an earlier one when it is a
   *  repeat answered from history (undefined when that slot is no longer known). */
  executedIn: Slot | undefined;
}

/**
 * The replicated state machine of one shard: balances and client sessions. Applying the same
 * commands in the same slot order gives the same balances and outcomes on every replica.
 * Funds are checked here, at execution, so the decision never depends on timing.
 */
export class LedgerState {
  private readonly balances: Map<AccountId, number>;
  /** Map iteration order is insertion order; a touched session is re-inserted, so the first
   *  key is always the least recently used one (deterministic eviction). */
  private readonly sessions: Map<ClientId, Session>;
  private applied: Slot;
  private readonly dirtyBalances = new Set<AccountId>();
  private readonly dirtySessions = new Set<ClientId>();
  private readonly evicted = new Set<ClientId>();
  private replaced = false;
  /** Order-independent hash of balances and sessions, kept up to date on every change. */
  private hash = 0;
  private readonly sessionsMax: number;

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

  constructor(init: { balances: Map<AccountId, number>; sessions?: Session[]; appliedIndex: Slot; sessionsMax?: number; coordinatorRecords?: readonly CoordinatorRecord[]; participantRecords?: readonly ParticipantRecord[] }) {
    this.balances = new Map(init.balances);
    this.sessions = new Map();
    this.applied = init.appliedIndex;
    this.sessionsMax = init.sessionsMax ?? limits.clientSessionsMax;
    this.load({ balances: init.balances, sessions: init.sessions ?? [], coordinatorRecords: init.coordinatorRecords ?? [], participantRecords: init.participantRecords ?? [] });
  }

  private load(image: StateImage): void {
    this.balances.clear();
    for (const [a, b] of image.balances) this.balances.set(a, b);
    this.sessions.clear();
    for (const s of [...image.sessions].sort(bySessionAge)) this.sessions.set(s.clientId, s);
    this.coordinator.clear();
    this.participant.clear();
    this.locks.clear();
    this.preparedIn.clear();
    for (const r of image.coordinatorRecords ?? []) {
      this.coordinator.set(txnKey(r.clientId, r.seq), r);
      if (r.state === 'prepared') this.locks.set(r.from, txnKey(r.clientId, r.seq));
    }
    // Map order is write order, which eviction relies on: rebuild it from the slots.
    const byWrite = [...(image.participantRecords ?? [])].sort((a, b) => a.slot - b.slot || compareText(txnKey(a.clientId, a.seq), txnKey(b.clientId, b.seq)));
    for (const r of byWrite) {
      this.participant.set(txnKey(r.clientId, r.seq), r);
      if (r.state === 'prepared') {
        this.locks.set(r.to, txnKey(r.clientId, r.seq));
        this.preparedIn.add(txnKey(r.clientId, r.seq));
      }
    }
    this.hash = this.fullHash();
  }

  /**
   * A hash of the whole state (balances and sessions), equal on two replicas that applied the
   * same slots. A sum of per-item hashes, so each change updates it in O(1).
   */
  get stateHash(): number {
    return this.hash >>> 0;
  }

  private fullHash(): number {
    let h = 0;
    for (const [a, b] of this.balances) h = (h + balanceHash(a, b)) | 0;
    for (const s of this.sessions.values()) h = (h + sessionHash(s)) | 0;
    for (const r of this.coordinator.values()) h = (h + recordHash(r)) | 0;
    for (const r of this.participant.values()) h = (h + recordHash(r)) | 0;
    return h;
  }

  /** The balance without the effect of an undecided cross-shard transfer (never tentative). */
  committedBalance(account: AccountId): number | undefined {
    const balance = this.balances.get(account);
    const holder = this.locks.get(account);
    if (balance === undefined || holder === undefined) return balance;
    const out = this.coordinator.get(holder);
    if (out?.state === 'prepared' && out.from === account) return balance + out.amount;
    const into = this.participant.get(holder);
    if (into?.state === 'prepared' && into.to === account) return balance - into.amount;
    return balance;
  }

  /** Accounts held by prepared transactions. */
  get lockCount(): number {
    return this.locks.size;
  }

  /** The transaction holding `account`, if a prepared cross-shard transfer locks it. */
  lockHolder(account: AccountId): string | undefined {
    return this.locks.get(account);
  }

  coordinatorRecords(): CoordinatorRecord[] {
    return [...this.coordinator.values()];
  }

  coordinatorRecord(key: string): CoordinatorRecord | undefined {
    return this.coordinator.get(key);
  }

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

  get appliedIndex(): Slot {
    return this.applied;
  }

  /** A snapshot replaced the state since the last takeWrites(): it must be written whole. */
  get replacedSinceWrites(): boolean {
    return this.replaced;
  }


  hasAccount(account: AccountId): boolean {
    return this.balances.has(account);
  }

  balanceOf(account: AccountId): number | undefined {
    return this.balances.get(account);
  }

  sessionOf(clientId: ClientId): Session | undefined {
    return this.sessions.get(clientId);
  }

  /** Sum of all balances of this shard (money conservation checks). */
  total(): number {
    let sum = 0;
    for (const b of this.balances.values()) sum += b;
    return sum;
  }

  accounts(): IterableIterator<[AccountId, number]> {
    return this.balances.entries();
  }

  /** Applies the commands chosen in `slot`, which must be the next slot. */
  applySlot(slot: Slot, commands: readonly Command[]): AppliedCommand[] {
    assert(slot === this.applied + 1, `apply slot ${slot} after ${this.applied}: slots must apply in order`);
    this.applied = slot;
    return commands.map((command) => {
      this.executedIn = slot;
      const outcome = this.applyCommand(slot, command);
      return { command, outcome, executedIn: this.executedIn };
    });
  }

  /** Set while applying a command: see AppliedCommand.executedIn. */
  private executedIn: Slot | undefined;

  private applyCommand(slot: Slot, command: Command): Outcome | undefined {
    const { op } = command;
    switch (op.kind) {
      case 'balance': {
        // Reads are not recorded in sessions: re-running a read later is still a correct read.
        const balance = this.committedBalance(op.account);
        if (balance === undefined) return { status: 'rejected', reason: `account ${op.account} is not in this shard` };
        // Held by an undecided cross-shard transfer: not answered. The leader admits a read only
        // when the account is free, but a new leader may admit one before it has applied a
        // PREPARE chosen earlier; answering it without the credit would miss a transfer whose
        // commit the client may already have heard of. The leader proposes it again later.
        if (this.locks.has(op.account)) return heldRead;
        return { status: 'ok', balance };
      }
      case 'transfer':
      case 'x-prepare-coordinator':
        return this.applyClientCommand(slot, command, op);
      case 'x-prepare-participant':
        this.prepareParticipant(slot, command, op);
        return undefined;
      case 'x-decide':
        return op.role === 'coordinator' ? this.decideCoordinator(slot, command, op) : this.decideParticipant(slot, command, op);
      case 'x-end': {
        const key = txnKey(command.clientId, command.seq);
        if (this.coordinator.get(key)?.state !== 'prepared') this.setCoordinator(key, undefined);
        return undefined;
      }
    }
  }

  /**
   * What a client command already got, if it ran before: its outcome, `undecided` while its
   * cross-shard transaction waits for a decision, or undefined when it is new. The coordinator
   * record answers first: a transfer decided after the client's later requests (its session
   * moved past it) still gets its own outcome until the record is forgotten. An older sequence
   * with neither is `stale-sequence`: not an outcome, only "too old to tell".
   */
  priorOutcome(clientId: ClientId, seq: number): { outcome: Outcome; slot: Slot | undefined } | 'undecided' | undefined {
    const record = this.coordinator.get(txnKey(clientId, seq));
    if (record !== undefined) return record.state === 'prepared' ? 'undecided' : { outcome: decidedOutcome(record), slot: undefined };
    const session = this.sessions.get(clientId);
    if (session === undefined || seq > session.seq) return undefined;
    if (seq === session.seq) return { outcome: session.outcome, slot: session.slot };
    return { outcome: { status: 'rejected', reason: staleSequence }, slot: undefined };
  }

  /** A client's own command: answered once, from the session (or its record) ever after. */
  private applyClientCommand(slot: Slot, command: Command, op: Extract<Operation, { kind: 'transfer' | 'x-prepare-coordinator' }>): Outcome | undefined {
    const prior = this.priorOutcome(command.clientId, command.seq);
    // A second PREPARE of a transaction already in flight (a new leader re-proposed it).
    if (prior === 'undecided') return undefined;
    if (prior !== undefined) {
      this.executedIn = prior.slot;
      return prior.outcome;
    }
    const key = txnKey(command.clientId, command.seq);
    let outcome: Outcome;
    if (op.abort !== undefined) outcome = { status: 'aborted', reason: op.abort };
    else if (this.locks.has(op.from) || (op.kind === 'transfer' && this.locks.has(op.to))) outcome = { status: 'aborted', reason: 'locked' };
    else if (op.kind === 'transfer') outcome = this.transfer(op.from, op.to, op.amount);
    else {
      const balance = this.balances.get(op.from);
      if (balance === undefined) outcome = { status: 'rejected', reason: `account ${op.from} is not in this shard` };
      else if (!Number.isSafeInteger(op.amount) || op.amount <= 0) outcome = { status: 'rejected', reason: 'amount must be a positive integer' };
      else if (balance < op.amount) outcome = { status: 'insufficient-funds', balance };
      else {
        // PREPARE at the coordinator: debit now (the undo record is the record itself), lock.
        this.setBalance(op.from, balance, balance - op.amount);
        this.setCoordinator(key, { clientId: command.clientId, seq: command.seq, from: op.from, to: op.to, amount: op.amount, participant: op.participant, state: 'prepared' });
        return undefined;
      }
    }
    this.recordSession({ clientId: command.clientId, seq: command.seq, outcome, slot });
    return outcome;
  }

  private prepareParticipant(slot: Slot, command: Command, op: Extract<Operation, { kind: 'x-prepare-participant' }>): void {
    if (this.participant.has(txnKey(command.clientId, command.seq))) return; // a repeated PREPARE
    const base = { clientId: command.clientId, seq: command.seq, to: op.to, amount: op.amount, coordinator: op.coordinator, slot };
    const balance = this.balances.get(op.to);
    let reason: string | undefined = op.abort;
    if (reason === undefined && balance === undefined) reason = `account ${op.to} is not in this shard`;
    if (reason === undefined && this.locks.has(op.to)) reason = 'locked';
    if (reason === undefined && !(Number.isSafeInteger(op.amount) && op.amount > 0)) reason = 'amount must be a positive integer';
    if (reason !== undefined || balance === undefined) {
      this.setParticipant({ ...base, state: 'aborted', reason: reason ?? 'unknown account' });
      return;
    }
    // PREPARE at the participant: credit tentatively and lock; the record is the undo record.
    this.setBalance(op.to, balance, balance + op.amount);
    this.setParticipant({ ...base, state: 'prepared' });
  }

  private decideCoordinator(slot: Slot, command: Command, op: Extract<Operation, { kind: 'x-decide' }>): Outcome | undefined {
    const key = txnKey(command.clientId, command.seq);
    const record = this.coordinator.get(key);
    if (record === undefined) {
      // No record: a presumed abort (a participant asked about a transaction we have no
      // record of). A participant holds a PREPARE only after our record was chosen, and the
      // record outlives it until the participant acknowledged the decision, which moved the
      // session to it or past it; so with no session covering it either, the session was
      // evicted (or the query is forged). Its outcome is unknown here: record nothing. An
      // answer written now would be a guess (it may have committed), and a session written
      // for a long-quiet client would evict a live one's. The abort only reaches a
      // participant that decided it (ignored), forgot it (acknowledged) or prepared it again
      // from a late copy (undone, as it must be).
      return undefined;
    }
    if (record.state !== 'prepared') return undefined;
    let outcome: Outcome;
    if (op.decision === 'commit') {
      this.setCoordinator(key, { ...record, state: 'committed', ...(op.prepareSlot === undefined ? {} : { prepareSlot: op.prepareSlot }) });
      outcome = { status: 'committed' };
    } else {
      const balance = this.balances.get(record.from) as number;
      this.setBalance(record.from, balance, balance + record.amount); // undo the debit
      const reason = op.reason ?? 'participant-aborted';
      this.setCoordinator(key, { ...record, state: 'aborted', reason });
      outcome = { status: 'aborted', reason };
    }
    this.recordSession({ clientId: command.clientId, seq: command.seq, outcome, slot });
    return outcome;
  }

  private decideParticipant(slot: Slot, command: Command, op: Extract<Operation, { kind: 'x-decide' }>): undefined {
    const record = this.participant.get(txnKey(command.clientId, command.seq));
    if (record === undefined || record.state !== 'prepared') return undefined;
    // A commit of another preparation than this one: this one was prepared again from a late
    // PREPARE copy after the committed one was forgotten (see setParticipant), and the commit
    // was credited then. Undo this one instead of crediting twice.
    const superseded = op.decision === 'commit' && op.prepareSlot !== undefined && op.prepareSlot !== record.slot;
    if (op.decision === 'commit' && !superseded) {
      this.setParticipant({ ...record, state: 'committed', slot });
    } else {
      const balance = this.balances.get(record.to) as number;
      this.setBalance(record.to, balance, balance - record.amount); // undo the credit
      this.setParticipant({ ...record, state: 'aborted', reason: superseded ? supersededReason : (op.reason ?? 'aborted'), slot });
    }
    return undefined;
  }

  private setCoordinator(key: string, record: CoordinatorRecord | undefined): void {
    const previous = this.coordinator.get(key);
    if (previous !== undefined) {
      this.hash = (this.hash - recordHash(previous)) | 0;
      if (previous.state === 'prepared' && this.locks.get(previous.from) === key) this.locks.delete(previous.from);
    }
    if (record === undefined) this.coordinator.delete(key);
    else {
      this.coordinator.set(key, record);
      this.hash = (this.hash + recordHash(record)) | 0;
      if (record.state === 'prepared') this.locks.set(record.from, key);
    }
    this.dirtyCoordinator.add(key);
  }

  private setParticipant(record: ParticipantRecord): void {
    const key = txnKey(record.clientId, record.seq);
    const previous = this.participant.get(key);
    if (previous !== undefined) {
      this.hash = (this.hash - recordHash(previous)) | 0;
      if (previous.state === 'prepared' && this.locks.get(previous.to) === key) this.locks.delete(previous.to);
      this.participant.delete(key);
    }
    this.participant.set(key, record);
    this.hash = (this.hash + recordHash(record)) | 0;
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
    while (this.participant.size > this.sessionsMax) {
      const victim = this.oldestDecidedParticipant(key);
      if (victim === undefined) break;
      this.hash = (this.hash - recordHash(this.participant.get(victim) as ParticipantRecord)) | 0;
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

  private transfer(from: AccountId, to: AccountId, amount: number): Outcome {
    const fromBalance = this.balances.get(from);
    const toBalance = this.balances.get(to);
    if (fromBalance === undefined || toBalance === undefined) {
      return { status: 'rejected', reason: `account ${fromBalance === undefined ? from : to} is not in this shard` };
    }
    if (from === to) return { status: 'rejected', reason: 'self-transfer' };
    if (!Number.isSafeInteger(amount) || amount <= 0) return { status: 'rejected', reason: 'amount must be a positive integer' };
    if (fromBalance < amount) return { status: 'insufficient-funds', balance: fromBalance };
    this.setBalance(from, fromBalance, fromBalance - amount);
    this.setBalance(to, toBalance, toBalance + amount);
    return { status: 'committed' };
  }

  private setBalance(account: AccountId, before: number, after: number): void {
    this.balances.set(account, after);
    this.dirtyBalances.add(account);
    this.hash = (this.hash - balanceHash(account, before) + balanceHash(account, after)) | 0;
  }

  /**
   * Records a client's answer. A session never moves backward: a cross-shard decision can be
   * chosen after the client's later requests (it gave up waiting and went on with seq+1), and
   * rewinding the session to it would let a retry of those later requests run again. That
   * decision still applies to balances and records, and its record answers its own retries.
   */
  private recordSession(session: Session): void {
    const previous = this.sessions.get(session.clientId);
    if (previous !== undefined && previous.seq > session.seq) return;
    if (previous !== undefined) this.hash = (this.hash - sessionHash(previous)) | 0;
    this.sessions.delete(session.clientId);
    this.sessions.set(session.clientId, session);
    this.hash = (this.hash + sessionHash(session)) | 0;
    this.dirtySessions.add(session.clientId);
    this.evicted.delete(session.clientId);
    while (this.sessions.size > this.sessionsMax) {
      const oldest = this.leastRecentlyUsed(session.clientId);
      this.hash = (this.hash - sessionHash(this.sessions.get(oldest) as Session)) | 0;
      this.sessions.delete(oldest);
      this.dirtySessions.delete(oldest);
      this.evicted.add(oldest);
    }
  }

  /**
   * The session to evict: the oldest slot, and within it the smallest client id. Map order
   * alone is not enough: within one slot it is batch order here but (slot, client id) order in
   * a replica that reloaded its sessions from disk, and every replica must evict the same one.
   * Sessions are touched in slot order, so the oldest slot's sessions are a prefix of the map
   * (at most one slot's commands long). The session just recorded is never the one evicted.
   */
  private leastRecentlyUsed(justRecorded: ClientId): ClientId {
    let best: Session | undefined;
    for (const s of this.sessions.values()) {
      if (s.clientId === justRecorded) continue;
      if (best !== undefined && s.slot !== best.slot) break;
      if (best === undefined || s.clientId < best.clientId) best = s;
    }
    assert(best !== undefined, 'eviction from an empty session table');
    return best.clientId;
  }

  /** The whole state, cut into pieces small enough for one message each (a snapshot). */
  snapshotChunks(accountsPerChunk: number, itemsPerChunk: number): SnapshotPiece[] {
    const chunks: SnapshotPiece[] = [];
    const empty = (): SnapshotPiece => ({ balances: [], sessions: [], coordinatorRecords: [], participantRecords: [] });
    const balances = [...this.balances.entries()];
    for (let i = 0; i < balances.length; i += accountsPerChunk) chunks.push({ ...empty(), balances: balances.slice(i, i + accountsPerChunk) });
    const sessions = [...this.sessions.values()];
    for (let i = 0; i < sessions.length; i += itemsPerChunk) chunks.push({ ...empty(), sessions: sessions.slice(i, i + itemsPerChunk) });
    const coordinator = [...this.coordinator.values()];
    for (let i = 0; i < coordinator.length; i += itemsPerChunk) chunks.push({ ...empty(), coordinatorRecords: coordinator.slice(i, i + itemsPerChunk) });
    const participant = [...this.participant.values()];
    for (let i = 0; i < participant.length; i += itemsPerChunk) chunks.push({ ...empty(), participantRecords: participant.slice(i, i + itemsPerChunk) });
    return chunks.length === 0 ? [empty()] : chunks;
  }

  /** Replaces the whole state with a snapshot taken at `appliedIndex` by another replica. */
  install(appliedIndex: Slot, image: StateImage): void {
    assert(appliedIndex > this.applied, 'a snapshot only moves the state forward');
    const size = image.balances instanceof Map ? image.balances.size : image.balances.length;
    assert(size === this.balances.size, 'a snapshot holds every account of the shard');
    this.load(image);
    this.applied = appliedIndex;
    this.replaced = true;
  }

  /** Hands out what changed since the last call, and forgets it. */
  takeWrites(): StateWrites {
    if (this.replaced) {
      this.replaced = false;
      this.dirtyBalances.clear();
      this.dirtySessions.clear();
      this.evicted.clear();
      this.dirtyCoordinator.clear();
      this.dirtyParticipant.clear();
      return {
        appliedIndex: this.applied,
        replaceAll: true,
        balances: [...this.balances.entries()],
        sessions: [...this.sessions.values()],
        evictedSessions: [],
        coordinatorRecords: [...this.coordinator.entries()],
        participantRecords: [...this.participant.entries()],
      };
    }
    const writes: StateWrites = {
      appliedIndex: this.applied,
      balances: [...this.dirtyBalances].map((a) => [a, this.balances.get(a) as number]),
      sessions: [...this.dirtySessions].map((c) => this.sessions.get(c) as Session),
      evictedSessions: [...this.evicted],
      coordinatorRecords: [...this.dirtyCoordinator].map((k) => [k, this.coordinator.get(k) ?? null]),
      participantRecords: [...this.dirtyParticipant].map((c) => [c, this.participant.get(c) ?? null]),
    };
    this.dirtyCoordinator.clear();
    this.dirtyParticipant.clear();
    this.dirtyBalances.clear();
    this.dirtySessions.clear();
    this.evicted.clear();
    return writes;
  }
}
