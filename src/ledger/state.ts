import { assert } from '../core/assert.js';
import type { AccountId, ClientId, Slot } from '../core/ids.js';
import { limits } from '../core/limits.js';
import type { Command, Outcome } from './commands.js';

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
  /** Set when a snapshot replaced the whole state: `balances` and `sessions` are complete. */
  replaceAll?: true;
  balances: Array<[AccountId, number]>;
  sessions: Session[];
  evictedSessions: ClientId[];
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

function sessionHash(s: Session): number {
  return mix(stringHash(s.clientId) ^ mix(s.seq) ^ stringHash(s.outcome.status));
}

/** Eviction order (see leastRecentlyUsed): oldest slot first, then smallest client id. */
function bySessionAge(a: Session, b: Session): number {
  return a.slot - b.slot || (a.clientId < b.clientId ? -1 : a.clientId > b.clientId ? 1 : 0);
}

export interface AppliedCommand {
  command: Command;
  outcome: Outcome;
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

  constructor(init: { balances: Map<AccountId, number>; sessions?: Session[]; appliedIndex: Slot; sessionsMax?: number }) {
    this.balances = new Map(init.balances);
    this.sessions = new Map();
    for (const s of [...(init.sessions ?? [])].sort(bySessionAge)) this.sessions.set(s.clientId, s);
    this.applied = init.appliedIndex;
    this.sessionsMax = init.sessionsMax ?? limits.clientSessionsMax;
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
    return h;
  }

  get appliedIndex(): Slot {
    return this.applied;
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
    return commands.map((command) => ({ command, outcome: this.applyCommand(slot, command) }));
  }

  private applyCommand(slot: Slot, command: Command): Outcome {
    const { op } = command;
    if (op.kind === 'balance') {
      // Reads are not recorded in sessions: re-running a read later is still a correct read.
      const balance = this.balances.get(op.account);
      return balance === undefined ? { status: 'rejected', reason: `account ${op.account} is not in this shard` } : { status: 'ok', balance };
    }
    const session = this.sessions.get(command.clientId);
    if (session !== undefined) {
      if (command.seq === session.seq) return session.outcome;
      if (command.seq < session.seq) return { status: 'rejected', reason: 'stale-sequence' };
    }
    const outcome = this.transfer(op.from, op.to, op.amount);
    this.recordSession({ clientId: command.clientId, seq: command.seq, outcome, slot });
    return outcome;
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
    this.dirtyBalances.add(from);
    this.dirtyBalances.add(to);
    return { status: 'committed' };
  }

  private setBalance(account: AccountId, before: number, after: number): void {
    this.balances.set(account, after);
    this.hash = (this.hash - balanceHash(account, before) + balanceHash(account, after)) | 0;
  }

  private recordSession(session: Session): void {
    const previous = this.sessions.get(session.clientId);
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
  snapshotChunks(accountsPerChunk: number, sessionsPerChunk: number): Array<{ balances: Array<[AccountId, number]>; sessions: Session[] }> {
    const balances = [...this.balances.entries()];
    const sessions = [...this.sessions.values()];
    const chunks: Array<{ balances: Array<[AccountId, number]>; sessions: Session[] }> = [];
    for (let i = 0; i < balances.length; i += accountsPerChunk) chunks.push({ balances: balances.slice(i, i + accountsPerChunk), sessions: [] });
    for (let i = 0; i < sessions.length; i += sessionsPerChunk) chunks.push({ balances: [], sessions: sessions.slice(i, i + sessionsPerChunk) });
    return chunks.length === 0 ? [{ balances: [], sessions: [] }] : chunks;
  }

  /** Replaces the whole state with a snapshot taken at `appliedIndex` by another replica. */
  install(appliedIndex: Slot, balances: ReadonlyArray<[AccountId, number]>, sessions: readonly Session[]): void {
    assert(appliedIndex > this.applied, 'a snapshot only moves the state forward');
    assert(balances.length === this.balances.size, 'a snapshot holds every account of the shard');
    this.balances.clear();
    for (const [a, b] of balances) this.balances.set(a, b);
    this.sessions.clear();
    for (const s of [...sessions].sort(bySessionAge)) this.sessions.set(s.clientId, s);
    this.applied = appliedIndex;
    this.replaced = true;
    this.hash = this.fullHash();
  }

  /** Hands out what changed since the last call, and forgets it. */
  takeWrites(): StateWrites {
    if (this.replaced) {
      this.replaced = false;
      this.dirtyBalances.clear();
      this.dirtySessions.clear();
      this.evicted.clear();
      return { appliedIndex: this.applied, replaceAll: true, balances: [...this.balances.entries()], sessions: [...this.sessions.values()], evictedSessions: [] };
    }
    const writes: StateWrites = {
      appliedIndex: this.applied,
      balances: [...this.dirtyBalances].map((a) => [a, this.balances.get(a) as number]),
      sessions: [...this.dirtySessions].map((c) => this.sessions.get(c) as Session),
      evictedSessions: [...this.evicted],
    };
    this.dirtyBalances.clear();
    this.dirtySessions.clear();
    this.evicted.clear();
    return writes;
  }
}
