import type { NodeId, Slot } from '../../../src/protocol/ids.js';
import { SeededRandom } from '../../../src/core/random.js';
import { ballotZero } from '../../../src/paxos/ballot.js';
import type { Ballot, LogEntry, Outbound, PaxosMessage } from '../../../src/protocol/paxos.js';
import { Replica, type PaxosReady, type ReplicaSettings } from '../../../src/paxos/replica.js';

/**
 * A small hand-driven harness for the Paxos core: no network, no clock. Tests decide which
 * messages are delivered and when ticks happen, so every scenario is explicit.
 */

export const testSettings: ReplicaSettings = {
  heartbeatTicks: 2,
  electionTicksMin: 10,
  electionTicksMax: 20,
  retransmitTicks: 4,
  slotsInFlightMax: 4,
  entriesPerMessageMax: 64,
};

export function ballot(round: number, node: NodeId): Ballot {
  return { round, node };
}

export function logEntry<V>(slot: Slot, b: Ballot, value: V | null, chosen = false): LogEntry<V> {
  return { slot, ballot: b, value, chosen };
}

export interface ReplicaOptions<V> {
  members?: NodeId[];
  settings?: Partial<ReplicaSettings>;
  seed?: number;
  promised?: Ballot;
  log?: LogEntry<V>[];
  appliedIndex?: Slot;
}

export function newReplica<V = string>(self: NodeId, options: ReplicaOptions<V> = {}): Replica<V> {
  return new Replica<V>({
    self,
    members: options.members ?? [1, 2, 3],
    settings: { ...testSettings, ...options.settings },
    random: new SeededRandom(options.seed ?? self),
    promised: options.promised ?? ballotZero,
    log: options.log ?? [],
    appliedIndex: options.appliedIndex ?? 0,
  });
}

/** Takes the ready and acknowledges it, as a runtime does after persisting and sending. */
export function drain<V>(r: Replica<V>): PaxosReady<V> {
  const rd = r.ready();
  r.advance();
  return rd;
}

type MessageOf<V, T extends PaxosMessage<V>['type']> = Extract<PaxosMessage<V>, { type: T }>;

/** The outbound messages of one type, narrowed to that type. */
export function messagesOf<V, T extends PaxosMessage<V>['type']>(
  outbound: readonly Outbound<V>[],
  type: T,
): Array<{ to: NodeId | 'all'; message: MessageOf<V, T> }> {
  return outbound.filter((o): o is { to: NodeId | 'all'; message: MessageOf<V, T> } => o.message.type === type);
}

/** Ticks a follower until its election timeout fires (it leaves the follower role). */
export function tickUntilPreVote<V>(r: Replica<V>, ticksMax = 1000): number {
  for (let i = 1; i <= ticksMax; i++) {
    r.tick();
    if (r.role !== 'follower') return i;
  }
  throw new Error(`node ${r.self} did not start a pre-vote within ${ticksMax} ticks`);
}

/** Brings a lone replica to candidate: timeout, then granted pre-votes from `grantors`.
 *  Returns the ballot of the prepare it broadcast (its ready is drained). */
export function makeCandidate<V>(r: Replica<V>, grantors: NodeId[]): Ballot {
  tickUntilPreVote(r);
  const prevote = messagesOf(drain(r).messages, 'prevote')[0];
  if (prevote === undefined) throw new Error(`node ${r.self} did not send a pre-vote`);
  const attempt = prevote.message.attempt;
  for (const from of grantors) r.step({ type: 'prevote-reply', from, attempt, granted: true });
  const prepare = messagesOf(drain(r).messages, 'prepare')[0];
  if (prepare === undefined) throw new Error(`node ${r.self} did not send a prepare`);
  return prepare.message.ballot;
}

export interface Envelope<V> {
  from: NodeId;
  to: NodeId;
  message: PaxosMessage<V>;
}

/** What a member has persisted: exactly what its readies asked for, nothing more. */
export interface Durable<V> {
  promised: Ballot;
  log: Map<Slot, LogEntry<V>>;
}

/**
 * A cluster of replicas wired by hand. `collect` runs every member's ready loop (persist into
 * `durable`, then queue the messages); `deliver` hands queued messages to their targets.
 */
export class Group<V = string> {
  readonly members: NodeId[];
  readonly nodes = new Map<NodeId, Replica<V>>();
  readonly durable = new Map<NodeId, Durable<V>>();
  /** Sent, not yet delivered. */
  inFlight: Envelope<V>[] = [];
  /** Every message ever delivered, in order (for assertions about what was said). */
  readonly delivered: Envelope<V>[] = [];
  private readonly options: ReplicaOptions<V>;

  constructor(members: NodeId[] = [1, 2, 3], options: ReplicaOptions<V> = {}) {
    this.members = members;
    this.options = options;
    for (const id of members) {
      this.nodes.set(id, newReplica<V>(id, { ...options, members }));
      this.durable.set(id, { promised: ballotZero, log: new Map() });
    }
  }

  get(id: NodeId): Replica<V> {
    const r = this.nodes.get(id);
    if (r === undefined) throw new Error(`no member ${id}`);
    return r;
  }

  /** Every member's ready loop: persist, then send, then advance. */
  collect(): void {
    for (const [id, r] of this.nodes) {
      if (!r.hasReady()) continue;
      const rd = drain(r);
      const d = this.durable.get(id) as Durable<V>;
      if (rd.promised !== undefined) d.promised = rd.promised;
      for (const e of rd.entries) d.log.set(e.slot, { ...e });
      for (const { to, message } of rd.messages) {
        const targets = to === 'all' ? this.members.filter((m) => m !== id) : [to];
        for (const t of targets) this.inFlight.push({ from: id, to: t, message });
      }
    }
  }

  /** Delivers the queued messages accepted by `keep` once (others are dropped), then collects. */
  deliver(keep: (e: Envelope<V>) => boolean = () => true): void {
    this.collect();
    const batch = this.inFlight;
    this.inFlight = [];
    for (const e of batch) {
      if (!keep(e)) continue;
      this.delivered.push(e);
      this.get(e.to).step(e.message);
    }
    this.collect();
  }

  /** Delivers until nothing is in flight; `keep` decides which messages survive. */
  settle(keep: (e: Envelope<V>) => boolean = () => true, roundsMax = 100): void {
    this.collect();
    for (let i = 0; i < roundsMax && this.inFlight.length > 0; i++) this.deliver(keep);
    if (this.inFlight.length > 0) throw new Error(`messages still in flight after ${roundsMax} rounds`);
  }

  /** Drops whatever is queued (a lost round of messages). */
  dropAll(): void {
    this.collect();
    this.inFlight = [];
  }

  /** Makes `id` leader: its election timeout fires, then every message is delivered. */
  elect(id: NodeId): Replica<V> {
    tickUntilPreVote(this.get(id));
    this.settle();
    const r = this.get(id);
    if (r.role !== 'leader') throw new Error(`node ${id} did not become leader (role ${r.role})`);
    return r;
  }

  /** Replaces a member by a new replica built only from what it persisted. */
  restart(id: NodeId, appliedIndex: Slot, seed = 1000 + id): Replica<V> {
    const d = this.durable.get(id) as Durable<V>;
    const r = newReplica<V>(id, {
      ...this.options,
      members: this.members,
      seed,
      promised: d.promised,
      log: [...d.log.values()].map((e) => ({ ...e })),
      appliedIndex,
    });
    this.nodes.set(id, r);
    return r;
  }
}
