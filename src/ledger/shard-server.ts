import { assert } from '../core/assert.js';
import type { AccountId, NodeId, Slot } from '../core/ids.js';
import { limits } from '../core/limits.js';
import type { Random } from '../core/random.js';
import type { Ballot } from '../paxos/ballot.js';
import type { LogEntry, PaxosMessage } from '../paxos/messages.js';
import { Replica, type PaxosReady, type ReplicaSettings, type Role } from '../paxos/replica.js';
import { accountsOf, commandKey, type Command, type Outcome } from './commands.js';
import { LockTable } from './lock-table.js';
import { LedgerState, type Session, type StateWrites } from './state.js';

/** The value chosen in one Paxos slot: a batch of client commands (null is a NO-OP). */
export type Batch = Command[];

/** A client request as the runtime hands it in; `reqId` is the runtime's handle for the reply. */
export interface ClientRequest {
  reqId: number;
  command: Command;
  /** How many nodes already forwarded it. */
  hops: number;
}

export type Response =
  | { kind: 'outcome'; outcome: Outcome; servedBy: NodeId; slot: Slot | undefined }
  /** Not the leader: ask `leaderHint` (or any other member when unknown). Not a final answer. */
  | { kind: 'redirect'; leaderHint: NodeId | undefined }
  /** The leader's queues are full: back off and retry. Not a final answer. */
  | { kind: 'busy' };

export interface ShardReady {
  paxos: PaxosReady<Batch>;
  /** Present when commands were applied: persist with the Paxos state, in one transaction. */
  state: StateWrites | undefined;
  /** Send after persisting. */
  replies: Array<{ reqId: number; response: Response }>;
  forwards: Array<{ reqId: number; to: NodeId }>;
}

export interface ShardServerInit {
  self: NodeId;
  members: NodeId[];
  settings: ReplicaSettings;
  random: Random;
  promised: Ballot;
  log: LogEntry<Batch>[];
  appliedIndex: Slot;
  balances: Map<AccountId, number>;
  sessions: Session[];
  firstElectionTicks?: number;
}

/**
 * One replica of a shard: the Multi-Paxos replica plus the ledger state machine it feeds, the
 * leader's lock table and the client requests waiting for an answer. Pure: the runtime (or the
 * simulator) feeds it inputs and carries out its ready.
 */
export class ShardServer {
  readonly self: NodeId;
  readonly replica: Replica<Batch>;
  readonly state: LedgerState;
  private readonly locks = new LockTable();
  /** Requests waiting for their command to apply, by command key. */
  private readonly waiters = new Map<string, number[]>();
  /** Commands admitted by the leader, waiting for locks (FIFO). */
  private queue: Command[] = [];
  /** Commands holding their locks, waiting for room in the pipeline. */
  private batch: Command[] = [];
  private replies: ShardReady['replies'] = [];
  private forwards: ShardReady['forwards'] = [];
  private applied = false;
  /** The state writes handed out by ready(), kept until advance() so ready() can be repeated. */
  private readyWrites: StateWrites | undefined;
  private lastRole: Role;

  constructor(init: ShardServerInit) {
    this.self = init.self;
    this.state = new LedgerState({ balances: init.balances, sessions: init.sessions, appliedIndex: init.appliedIndex });
    this.replica = new Replica<Batch>({
      self: init.self,
      members: init.members,
      settings: init.settings,
      random: init.random,
      promised: init.promised,
      log: init.log,
      appliedIndex: init.appliedIndex,
      ...(init.firstElectionTicks === undefined ? {} : { firstElectionTicks: init.firstElectionTicks }),
    });
    this.lastRole = this.replica.role;
  }

  get role(): Role {
    return this.replica.role;
  }

  /** Commands waiting at this leader (queued for locks or for the pipeline). */
  get pendingCommands(): number {
    return this.queue.length + this.batch.length;
  }

  // ---- inputs ------------------------------------------------------------------------------

  request(req: ClientRequest): void {
    const { command } = req;
    const unknown = accountsOf(command.op).find((a) => !this.state.hasAccount(a));
    if (unknown !== undefined) {
      this.reply(req.reqId, { status: 'rejected', reason: `account ${unknown} is not in this shard` }, undefined);
      return;
    }
    if (this.replica.role !== 'leader') {
      const hint = this.replica.leaderHint;
      if (hint !== undefined && hint !== this.self && req.hops < limits.forwardHopsMax) this.forwards.push({ reqId: req.reqId, to: hint });
      else this.replies.push({ reqId: req.reqId, response: { kind: 'redirect', leaderHint: hint } });
      return;
    }
    if (command.op.kind === 'transfer') {
      const session = this.state.sessionOf(command.clientId);
      if (session !== undefined && command.seq <= session.seq) {
        const outcome: Outcome = command.seq === session.seq ? session.outcome : { status: 'rejected', reason: 'stale-sequence' };
        this.reply(req.reqId, outcome, session.slot);
        return;
      }
    }
    const key = commandKey(command.clientId, command.seq);
    const waiting = this.waiters.get(key);
    if (waiting !== undefined) {
      // A retry of a command already in flight: answer both when it applies.
      waiting.push(req.reqId);
      return;
    }
    if (this.pendingCommands >= limits.pendingCommandsMax) {
      this.replies.push({ reqId: req.reqId, response: { kind: 'busy' } });
      return;
    }
    this.waiters.set(key, [req.reqId]);
    this.queue.push(command);
    this.pump();
  }

  step(message: PaxosMessage<Batch>): void {
    this.replica.step(message);
    this.pump();
  }

  tick(): void {
    this.replica.tick();
    this.pump();
  }

  // ---- outputs -----------------------------------------------------------------------------

  hasReady(): boolean {
    return this.replica.hasReady() || this.applied || this.replies.length > 0 || this.forwards.length > 0;
  }

  ready(): ShardReady {
    if (this.applied && this.readyWrites === undefined) this.readyWrites = this.state.takeWrites();
    return {
      paxos: this.replica.ready(),
      state: this.readyWrites,
      replies: this.replies,
      forwards: this.forwards,
    };
  }

  advance(): void {
    this.replica.advance();
    this.applied = false;
    this.readyWrites = undefined;
    this.replies = [];
    this.forwards = [];
  }

  // ---- internals ---------------------------------------------------------------------------

  /** After every input: notice a lost leadership, apply what was chosen, propose what waits. */
  private pump(): void {
    if (this.lastRole === 'leader' && this.replica.role !== 'leader') this.dropLeaderWork();
    this.lastRole = this.replica.role;
    for (const { slot, value } of this.replica.takeCommitted()) this.apply(slot, value ?? []);
    if (this.replica.role === 'leader') {
      this.proposeWaiting();
      // A single-member cluster chooses as it proposes: apply that at once too.
      for (const { slot, value } of this.replica.takeCommitted()) this.apply(slot, value ?? []);
    }
  }

  private apply(slot: Slot, commands: Batch): void {
    this.applied = true;
    for (const { command, outcome } of this.state.applySlot(slot, commands)) {
      const key = commandKey(command.clientId, command.seq);
      this.locks.releaseAll(key, accountsOf(command.op));
      const waiting = this.waiters.get(key);
      if (waiting === undefined) continue;
      this.waiters.delete(key);
      for (const reqId of waiting) this.reply(reqId, outcome, slot);
    }
  }

  private proposeWaiting(): void {
    if (this.queue.length > 0) {
      const still: Command[] = [];
      for (const command of this.queue) {
        const key = commandKey(command.clientId, command.seq);
        // Reads take no locks: a read proposed after a transfer is applied after it.
        if (command.op.kind === 'balance' || this.locks.tryAcquireAll(key, accountsOf(command.op))) this.batch.push(command);
        else still.push(command);
      }
      this.queue = still;
    }
    while (this.batch.length > 0 && this.replica.proposalRoom > 0) {
      const slotCommands = this.batch.splice(0, limits.commandsPerSlotMax);
      const slot = this.replica.propose(slotCommands);
      assert(slot !== undefined, 'propose must succeed when the pipeline has room');
    }
  }

  /** We are no longer the leader: whatever we proposed may still be chosen by the next one,
   *  so tell the waiting clients to retry there; their (client, seq) keeps it exactly-once. */
  private dropLeaderWork(): void {
    const hint = this.replica.leaderHint;
    for (const reqIds of this.waiters.values()) {
      for (const reqId of reqIds) this.replies.push({ reqId, response: { kind: 'redirect', leaderHint: hint } });
    }
    this.waiters.clear();
    this.queue = [];
    this.batch = [];
    this.locks.clear();
  }

  private reply(reqId: number, outcome: Outcome, slot: Slot | undefined): void {
    this.replies.push({ reqId, response: { kind: 'outcome', outcome, servedBy: this.self, slot } });
  }
}
