import { assert } from '../core/assert.js';
import type { AccountId, ClientId, ClusterId, Slot } from '../protocol/ids.js';
import { limits } from '../core/limits.js';
import { compareText, mix, stringHash } from '../core/mix-hash.js';
import {
  heldReadReason,
  isWrongShard,
  lockedReason,
  staleSequence,
  wrongShardReason,
  type Command,
  type Operation,
  type Outcome,
  type Session,
} from '../protocol/commands.js';
import type { SnapshotPiece } from '../protocol/client.js';
import type { StateWrites } from '../protocol/state-writes.js';
import type { AccountBook } from '../twopc/account-book.js';
import { applyTwoPcStep } from '../twopc/apply-step.js';
import { heldAtApply } from '../twopc/locks.js';
import { isTwoPcStep, txnKey } from '../twopc/steps.js';
import type { CoordinatorRecord, ParticipantRecord } from '../protocol/twopc.js';
import { TwoPcState } from '../twopc/twopc-state.js';
import type { MapEntry } from '../protocol/shard-map.js';
import type { OutboundMove } from '../protocol/moves.js';
import { ShardMap } from './shard-map.js';
import { TransferHistory } from './history.js';
import { applyMapMerge, applyMoveDone, applyMoveIn, applyMoveOut, type MoveBook } from './moves.js';

/** Everything a replica's state holds, for snapshots and for start-up. */
export interface StateImage {
  balances: Map<AccountId, number> | ReadonlyArray<[AccountId, number]>;
  sessions: readonly Session[];
  coordinatorRecords?: readonly CoordinatorRecord[];
  participantRecords?: readonly ParticipantRecord[];
  mapEntries?: readonly MapEntry[];
  outboundMoves?: readonly OutboundMove[];
  history?: ReadonlyArray<readonly [AccountId, AccountId]>;
  historyStart?: number;
}

/** Transfers a shard's history keeps unless told otherwise (the node's --history). */
export const historyCapacityDefault = 10_000;

function outboundHash(m: OutboundMove): number {
  let h = mix(m.epoch ^ 0x7f4a7c15) ^ mix(m.to);
  for (const [a, b] of m.balances) h = (h + balanceHash(a, b)) | 0;
  return mix(h);
}

function balanceHash(account: AccountId, balance: number): number {
  // Balances are safe integers: mix the high part too, so 2^32 apart never collide.
  return mix(mix(account) ^ balance ^ mix(Math.floor(balance / 4294967296)));
}

function sessionHash(s: Session): number {
  return mix(stringHash(s.clientId) ^ mix(s.seq) ^ stringHash(s.outcome.status));
}

/** Eviction order (see leastRecentlyUsed): oldest slot first, then smallest client id. */
function bySessionAge(a: Session, b: Session): number {
  return a.slot - b.slot || compareText(a.clientId, b.clientId);
}

const heldRead: Outcome = { status: 'rejected', reason: heldReadReason };

export function isHeldRead(command: Command, outcome: Outcome | undefined): boolean {
  return command.op.kind === 'balance' && outcome?.status === 'rejected' && outcome.reason === heldReadReason;
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
 * The replicated state machine of one shard: balances, client sessions and the records of
 * Two-Phase Commit (`twoPc`, which applies its own steps through the AccountBook this class
 * implements). Applying the same commands in the same slot order gives the same balances and
 * outcomes on every replica. Funds are checked here, at execution, so the decision never
 * depends on timing.
 */
export class LedgerState implements AccountBook, MoveBook {
  private readonly balances: Map<AccountId, number>;
  /** Map iteration order is insertion order; a touched session is re-inserted, so the first
   *  key is always the least recently used one (deterministic eviction). */
  private readonly sessions: Map<ClientId, Session>;
  private applied: Slot;
  private readonly dirtyBalances = new Set<AccountId>();
  private readonly dirtySessions = new Set<ClientId>();
  private readonly evicted = new Set<ClientId>();
  private replaced = false;
  /** Order-independent hash of balances and sessions, kept up to date on every change (the
   *  2PC records keep their own share: see stateHash). */
  private hash = 0;
  private readonly sessionsMax: number;
  /** The records of cross-shard transactions and the locks they hold (src/twopc). */
  readonly twoPc: TwoPcState;
  /** Resharding (moves.ts): this shard's copy of the shard map, the moves it gave away that the
   *  destination has not acknowledged, and the transfer history a reshard plans from. */
  readonly cluster: ClusterId | undefined;
  readonly map = new ShardMap();
  private readonly outboundMoves = new Map<number, OutboundMove>();
  private readonly dirtyOutbound = new Set<number>();
  private readonly removedAccounts = new Set<AccountId>();
  private outboundHashSum = 0;
  readonly history: TransferHistory;

  constructor(init: {
    balances: Map<AccountId, number>;
    sessions?: Session[];
    appliedIndex: Slot;
    sessionsMax?: number;
    coordinatorRecords?: readonly CoordinatorRecord[];
    participantRecords?: readonly ParticipantRecord[];
    cluster?: ClusterId;
    mapEntries?: readonly MapEntry[];
    outboundMoves?: readonly OutboundMove[];
    history?: ReadonlyArray<readonly [AccountId, AccountId]>;
    historyStart?: number;
    historyCapacity?: number;
  }) {
    this.cluster = init.cluster;
    this.history = new TransferHistory(init.historyCapacity ?? historyCapacityDefault);
    this.balances = new Map(init.balances);
    this.sessions = new Map();
    this.applied = init.appliedIndex;
    this.sessionsMax = init.sessionsMax ?? limits.clientSessionsMax;
    this.twoPc = new TwoPcState(this.sessionsMax);
    this.load({
      balances: init.balances,
      sessions: init.sessions ?? [],
      coordinatorRecords: init.coordinatorRecords ?? [],
      participantRecords: init.participantRecords ?? [],
      mapEntries: init.mapEntries ?? [],
      outboundMoves: init.outboundMoves ?? [],
      history: init.history ?? [],
      historyStart: init.historyStart ?? 0,
    });
  }

  private load(image: StateImage): void {
    this.balances.clear();
    for (const [a, b] of image.balances) this.balances.set(a, b);
    this.sessions.clear();
    for (const s of [...image.sessions].sort(bySessionAge)) this.sessions.set(s.clientId, s);
    this.twoPc.load(image.coordinatorRecords ?? [], image.participantRecords ?? []);
    this.map.load(image.mapEntries ?? []);
    this.outboundMoves.clear();
    this.outboundHashSum = 0;
    for (const m of image.outboundMoves ?? []) {
      this.outboundMoves.set(m.epoch, m);
      this.outboundHashSum = (this.outboundHashSum + outboundHash(m)) | 0;
    }
    this.history.load(image.history ?? [], image.historyStart ?? 0);
    this.hash = this.fullHash();
  }

  /**
   * A hash of the whole state (balances and sessions), equal on two replicas that applied the
   * same slots. A sum of per-item hashes, so each change updates it in O(1).
   */
  get stateHash(): number {
    return (this.hash + this.twoPc.hash + this.map.hash + this.outboundHashSum + this.history.hash) >>> 0;
  }

  private fullHash(): number {
    let h = 0;
    for (const [a, b] of this.balances) h = (h + balanceHash(a, b)) | 0;
    for (const s of this.sessions.values()) h = (h + sessionHash(s)) | 0;
    return h;
  }

  /** The balance without the effect of an undecided cross-shard transfer (never tentative). */
  committedBalance(account: AccountId): number | undefined {
    const balance = this.balances.get(account);
    return balance === undefined ? undefined : balance - this.twoPc.tentativeAmount(account);
  }

  get appliedIndex(): Slot {
    return this.applied;
  }

  /** A snapshot replaced the state since the writes were last persisted: it is written whole. */
  get replacedSinceWrites(): boolean {
    return this.replaced;
  }

  hasAccount(account: AccountId): boolean {
    return this.balances.has(account);
  }

  balanceOf(account: AccountId): number | undefined {
    return this.balances.get(account);
  }

  /** The map epoch of the account's last move, as this shard's map knows it (0: never moved). */
  epochOf(account: AccountId): number {
    return this.map.epochOf(account);
  }

  sessionOf(clientId: ClientId): Session | undefined {
    return this.sessions.get(clientId);
  }

  /** Moves given away and not yet acknowledged by their destination (money in transit). */
  get movesInFlight(): number {
    return this.outboundMoves.size;
  }

  /** Accounts this shard holds. */
  get accountCount(): number {
    return this.balances.size;
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
    if (op.kind === 'transfer' || op.kind === 'x-prepare-coordinator') {
      // A client's own write: answered once, from its session (or its record) ever after.
      const prior = this.priorOutcome(command.clientId, command.seq);
      // A second PREPARE of a transaction already in flight (a new leader re-proposed it).
      if (prior === 'undecided') return undefined;
      if (prior !== undefined) {
        this.executedIn = prior.slot;
        return prior.outcome;
      }
      // Sent before its account arrived here (see Command.mapEpoch): refused like a wrong
      // shard, unrecorded; the client's live attempt carries the epoch it learned and runs.
      if ((command.mapEpoch ?? 0) < this.map.epochOf(op.from))
        return { status: 'rejected', reason: wrongShardReason(op.from) };
    }
    // A presumed abort is a tombstone only for a transaction this shard knows nothing of: with
    // a record or a session covering it, it changes nothing (see decideCoordinator).
    if (
      op.kind === 'x-decide' &&
      op.presumed === true &&
      this.priorOutcome(command.clientId, command.seq) !== undefined
    )
      return undefined;
    // A step of Two-Phase Commit is applied by src/twopc; its answer, when it gives one (a
    // coordinator's PREPARE refused, a decision at the coordinator), is the client's.
    if (isReshardStep(op)) return this.applyReshard(slot, op);
    const outcome = isTwoPcStep(op) ? applyTwoPcStep(this.twoPc, this, slot, command) : this.applyOwn(op);
    if (outcome?.status === 'committed') this.recordHistory(command);
    // Reads are not recorded in sessions: re-running a read later is still a correct read. Nor
    // is a wrong shard: nothing ran, and the client asks the owner with the same sequence. (A
    // coordinator's abort because the receiver moved is a decision, `aborted`: it is recorded,
    // so a late copy of the request cannot start the transaction again once its record goes.)
    if (outcome !== undefined && op.kind !== 'balance' && !(outcome.status === 'rejected' && isWrongShard(outcome)))
      this.recordSession({
        clientId: command.clientId,
        seq: command.seq,
        outcome,
        slot,
        ...this.accountsTouched(command),
      });
    return outcome;
  }

  /** The accounts a client's write touched, kept in its session so that a move of one of them
   *  carries it (a cross-shard transfer's decision: its record's). */
  private accountsTouched(command: Command): { accounts?: AccountId[] } {
    const { op } = command;
    if (op.kind === 'transfer' || op.kind === 'x-prepare-coordinator') return { accounts: [op.from, op.to] };
    if (op.kind === 'x-decide' && op.role === 'coordinator') {
      const record = this.twoPc.coordinatorRecord(txnKey(command.clientId, command.seq));
      if (record !== undefined) return { accounts: [record.from, record.to] };
      // A presumed abort has no record; its tombstone names the sender's account, here, and must
      // travel with it: otherwise, once that account moved, the client's retry would run the
      // transfer again at the new owner, a second outcome for one command.
      if (op.presumed === true && op.from !== undefined) return { accounts: [op.from] };
    }
    return {};
  }

  /** A committed transfer joins the history: within the shard, or at its coordinator. */
  private recordHistory(command: Command): void {
    const { op } = command;
    if (op.kind === 'transfer') this.history.append(op.from, op.to);
    else if (op.kind === 'x-decide' && op.role === 'coordinator') {
      const record = this.twoPc.coordinatorRecord(txnKey(command.clientId, command.seq));
      if (record !== undefined) this.history.append(record.from, record.to);
    }
  }

  /** Resharding's commands (moves.ts). Not recorded in sessions: each is idempotent by its
   *  epoch, so a retry gets the same answer from the state itself. */
  private applyReshard(slot: Slot, op: ReshardStep): Outcome | undefined {
    switch (op.kind) {
      case 'move-out':
        return applyMoveOut(this, op);
      case 'move-in':
        applyMoveIn(this, slot, op);
        return undefined;
      case 'move-done':
        applyMoveDone(this, op);
        return undefined;
      case 'map-merge':
        return applyMapMerge(this, op);
    }
  }

  /**
   * The ledger's own commands: a read, and a transfer within the shard. Either finds an account
   * held by a prepared cross-shard transaction when it is applied only after a change of leader
   * (see heldAtApply). A transfer is then refused with `locked`. A read is not answered: the
   * leader admits a read only when the account is free, but a new leader may admit one before
   * it has applied a PREPARE chosen earlier, and answering it without the credit would miss a
   * transfer whose commit the client may already have heard of; the leader proposes it again
   * later (isHeldRead).
   */
  private applyOwn(op: Extract<Operation, { kind: 'transfer' | 'balance' }>): Outcome {
    // An account moved away since the leader admitted it: nothing runs here, whatever the leader
    // marked it (an abort recorded here would answer a command its new owner then runs).
    if (op.kind === 'transfer' && (!this.balances.has(op.from) || !this.balances.has(op.to)))
      return { status: 'rejected', reason: wrongShardReason(this.balances.has(op.from) ? op.to : op.from) };
    if (op.kind === 'transfer' && op.abort !== undefined) return { status: 'aborted', reason: op.abort };
    if (op.kind === 'balance' && !this.balances.has(op.account))
      return { status: 'rejected', reason: wrongShardReason(op.account) };
    const held = heldAtApply(op, this.twoPc.lockHolder);
    if (op.kind === 'balance')
      return held ? heldRead : { status: 'ok', balance: this.committedBalance(op.account) as number };
    return held ? { status: 'aborted', reason: lockedReason } : this.transfer(op.from, op.to, op.amount);
  }

  /**
   * What a client command already got, if it ran before: its outcome, `undecided` while its
   * cross-shard transaction waits for a decision, or undefined when it is new. The coordinator
   * record answers first: a transfer decided after the client's later requests (its session
   * moved past it) still gets its own outcome until the record is forgotten. An older sequence
   * with neither is `stale-sequence`: not an outcome, only "too old to tell".
   */
  priorOutcome(
    clientId: ClientId,
    seq: number,
  ): { outcome: Outcome; slot: Slot | undefined } | 'undecided' | undefined {
    const recorded = this.twoPc.clientOutcome(txnKey(clientId, seq));
    const session = this.sessions.get(clientId);
    if (recorded !== undefined) {
      if (recorded === 'undecided') return recorded;
      // Decided: the session, when it still holds this seq, knows the slot it took effect in,
      // so a repeat is answered exactly as the original was (slot included).
      return { outcome: recorded, slot: session?.seq === seq ? session.slot : undefined };
    }
    if (session === undefined || seq > session.seq) return undefined;
    if (seq === session.seq) return { outcome: session.outcome, slot: session.slot };
    return { outcome: { status: 'rejected', reason: staleSequence }, slot: undefined };
  }

  private transfer(from: AccountId, to: AccountId, amount: number): Outcome {
    const fromBalance = this.balances.get(from);
    const toBalance = this.balances.get(to);
    if (fromBalance === undefined || toBalance === undefined) {
      return { status: 'rejected', reason: wrongShardReason(fromBalance === undefined ? from : to) };
    }
    if (from === to) return { status: 'rejected', reason: 'self-transfer' };
    if (!Number.isSafeInteger(amount) || amount <= 0)
      return { status: 'rejected', reason: 'amount must be a positive integer' };
    if (fromBalance < amount) return { status: 'insufficient-funds', balance: fromBalance };
    this.setBalance(from, fromBalance, fromBalance - amount);
    this.setBalance(to, toBalance, toBalance + amount);
    return { status: 'committed' };
  }

  credit(account: AccountId, amount: number): void {
    const balance = this.balances.get(account);
    assert(balance !== undefined, `credit of account ${account}, not in this shard`);
    this.setBalance(account, balance, balance + amount);
  }

  debit(account: AccountId, amount: number): void {
    const balance = this.balances.get(account);
    assert(balance !== undefined, `debit of account ${account}, not in this shard`);
    this.setBalance(account, balance, balance - amount);
  }

  // ---- MoveBook (moves.ts) ---------------------------------------------------------------

  get lockHolder() {
    return this.twoPc.lockHolder;
  }

  removeAccount(account: AccountId): void {
    const balance = this.balances.get(account);
    assert(balance !== undefined, `removal of account ${account}, not in this shard`);
    this.balances.delete(account);
    this.dirtyBalances.delete(account);
    this.removedAccounts.add(account);
    this.hash = (this.hash - balanceHash(account, balance)) | 0;
  }

  addAccount(account: AccountId, balance: number): void {
    assert(!this.balances.has(account), `account ${account} arrives twice`);
    this.balances.set(account, balance);
    this.removedAccounts.delete(account);
    this.dirtyBalances.add(account);
    this.hash = (this.hash + balanceHash(account, balance)) | 0;
  }

  sessionsTouching(accounts: ReadonlySet<AccountId>): Session[] {
    const found: Session[] = [];
    for (const s of this.sessions.values()) if (s.accounts?.some((a) => accounts.has(a))) found.push(s);
    // Most recent first (a move carries as many as fit): the map holds them least recent first.
    return found.reverse();
  }

  adoptSession(session: Session, slot: Slot): void {
    // A session held that is as recent wins: the same sequence is the same answer, which this
    // shard gave itself (an account that comes back), with the slot it ran in here.
    const held = this.sessions.get(session.clientId);
    if (held !== undefined && held.seq >= session.seq) return;
    // Its slot becomes this log's (the LRU order is by slot here).
    this.recordSession({ ...session, slot });
  }

  outbound(epoch: number): OutboundMove | undefined {
    return this.outboundMoves.get(epoch);
  }

  /** The moves in transit, oldest first (the leader resends them until acknowledged). */
  outboundList(): OutboundMove[] {
    return [...this.outboundMoves.values()].sort((a, b) => a.epoch - b.epoch);
  }

  setOutbound(epoch: number, move: OutboundMove | undefined): void {
    const held = this.outboundMoves.get(epoch);
    if (held !== undefined) this.outboundHashSum = (this.outboundHashSum - outboundHash(held)) | 0;
    if (move === undefined) this.outboundMoves.delete(epoch);
    else {
      this.outboundMoves.set(epoch, move);
      this.outboundHashSum = (this.outboundHashSum + outboundHash(move)) | 0;
    }
    this.dirtyOutbound.add(epoch);
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
    // The slot being applied, never an earlier one (such as a cross-shard transfer's PREPARE's):
    // sessions are then touched in slot order, which the eviction order relies on.
    assert(
      session.slot === this.applied,
      `session of ${session.clientId} at slot ${session.slot}, not ${this.applied}`,
    );
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

  /** The whole state as one snapshot image (snapshotPieces cuts it into messages). */
  image(): SnapshotPiece {
    return {
      balances: [...this.balances.entries()],
      sessions: [...this.sessions.values()],
      coordinatorRecords: this.twoPc.coordinatorRecords(),
      participantRecords: this.twoPc.participantRecords(),
      mapEntries: this.map.image().entries,
      outboundMoves: this.outboundList(),
      history: this.history.pairs(),
      historyStart: this.history.first,
    };
  }

  /** Replaces the whole state with a snapshot taken at `appliedIndex` by another replica. */
  install(appliedIndex: Slot, image: StateImage): void {
    assert(appliedIndex > this.applied, 'a snapshot only moves the state forward');
    // Moves change a shard's accounts, so a snapshot may hold other accounts than ours: every
    // account's row is rewritten (replaceAll).
    this.load(image);
    this.applied = appliedIndex;
    this.replaced = true;
  }

  /** What changed since the writes were last persisted (everything after a snapshot install);
   *  changes nothing: writesPersisted() acknowledges it. */
  pendingWrites(): StateWrites {
    if (this.replaced) {
      return {
        appliedIndex: this.applied,
        replaceAll: true,
        balances: [...this.balances.entries()],
        sessions: [...this.sessions.values()],
        evictedSessions: [],
        ...this.twoPc.pendingWrites(true),
        mapEntries: this.map.image().entries,
        outboundMoves: this.outboundList().map((m) => [m.epoch, m]),
        historyAppended: this.history.pairs().map(([a, b], i) => [this.history.first + i, a, b]),
        historyFloor: this.history.first - 1,
      };
    }
    return {
      appliedIndex: this.applied,
      balances: [...this.dirtyBalances].map((a) => [a, this.balances.get(a) as number]),
      sessions: [...this.dirtySessions].map((c) => this.sessions.get(c) as Session),
      evictedSessions: [...this.evicted],
      ...this.twoPc.pendingWrites(false),
      ...this.reshardWrites(),
    };
  }

  /** Resharding's share of the writes, only what changed (most writes have none of it). */
  private reshardWrites(): Partial<StateWrites> {
    const writes: Partial<StateWrites> = {};
    if (this.removedAccounts.size > 0) writes.removedAccounts = [...this.removedAccounts];
    const entries = this.map.pendingEntries();
    if (entries.length > 0) writes.mapEntries = entries;
    if (this.dirtyOutbound.size > 0)
      writes.outboundMoves = [...this.dirtyOutbound].map((e) => [e, this.outboundMoves.get(e) ?? null]);
    const history = this.history.pendingWrites();
    if (history.historyAppended.length > 0) Object.assign(writes, history);
    return writes;
  }

  /** The pending writes were persisted: forget them. */
  writesPersisted(): void {
    this.replaced = false;
    this.dirtyBalances.clear();
    this.dirtySessions.clear();
    this.evicted.clear();
    this.twoPc.writesPersisted();
    this.removedAccounts.clear();
    this.map.clearDirty();
    this.dirtyOutbound.clear();
    this.history.writesPersisted();
  }

  /** Hands out the pending writes and forgets them (pendingWrites, then writesPersisted). */
  takeWrites(): StateWrites {
    const writes = this.pendingWrites();
    this.writesPersisted();
    return writes;
  }
}

type ReshardStep = Extract<Operation, { kind: 'move-out' | 'move-in' | 'move-done' | 'map-merge' }>;

function isReshardStep(op: Operation): op is ReshardStep {
  return op.kind === 'move-out' || op.kind === 'move-in' || op.kind === 'move-done' || op.kind === 'map-merge';
}
