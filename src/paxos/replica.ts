import { assert } from '../core/assert.js';
import { encodedBytesMax } from '../core/encoded-size.js';
import type { NodeId, Slot } from '../protocol/ids.js';
import { limits, payloadBudgets } from '../core/limits.js';
import { fittingCount, packByBytes } from '../core/pack.js';
import { randomInt, type Random } from '../core/random.js';
import type { ReplicaRole } from '../core/roles.js';
import { ballotEquals, ballotZero, compareBallots, initialBallot } from './ballot.js';
import type { Ballot, LogEntry, Outbound, PaxosMessage, SlotValue } from '../protocol/paxos.js';
import { farSlot, paxosRefusal } from './message-bounds.js';
import { isMajority } from './quorum.js';

/** Timing and size settings of the protocol, in ticks and counts (never in wall time). */
export interface ReplicaSettings {
  heartbeatTicks: number;
  electionTicksMin: number;
  electionTicksMax: number;
  /** How long a leader waits for an accepted before sending an accept again. */
  retransmitTicks: number;
  slotsInFlightMax: number;
  /** Commands a batch must hold to be proposed while another slot is still in flight; a
   *  smaller one waits for the pipeline to empty (src/ledger/proposer.ts) [default: 1, any]. */
  commandsPerSlotBehindMin?: number;
  entriesPerMessageMax: number;
  /** The broker's max_payload [default: limits.natsMaxPayloadBytes]: accept batches, catch-up
   *  replies and promise pages are packed under its budget (payloadBudgets in limits.ts). */
  payloadBytesMax?: number;
}

export interface ReplicaInit<V> {
  self: NodeId;
  /** Every member of the cluster, self included. */
  members: NodeId[];
  settings: ReplicaSettings;
  random: Random;
  /** Durable state from storage (empty on first start). */
  promised: Ballot;
  log: LogEntry<V>[];
  /** Slots up to here were applied by the state machine before the restart. */
  appliedIndex: Slot;
  /** Slots up to here were compacted out of the log (they are in the state machine's state). */
  logFloor?: Slot;
  /** Ticks before the first election, instead of a random timeout: lets a deployment prefer a
   *  first leader (the first node of each cluster) without changing any protocol rule. */
  firstElectionTicks?: number;
  /**
   * A fresh instance whose first leader was agreed in advance (a flush, docs/test-files.md): storage
   * holds `promised` = (round 1, leader) and an empty log. The leader stands at once in ballot
   * (1, itself), without a pre-vote, and the members follow it. It still runs Phase 1: two
   * flushes that drew the same generation can reach the members in different orders and name
   * two leaders, and each must learn what the other may have had chosen. The Phase 1 of a flush
   * is not a view change: no NEW-VIEW is recorded for it (PrintView starts empty).
   */
  initialLeader?: NodeId;
}

/** A NEW-VIEW: the new leader's ballot and the entries it re-proposed from the promises. */
export interface NewView<V> {
  ballot: Ballot;
  leader: NodeId;
  /** Highest commit index reported by the promises. */
  commitIndex: Slot;
  entries: SlotValue<V>[];
}

/**
 * What the runtime must do after a step, in this order: persist `promised` and `entries` (and
 * `newViews`) durably, then send `messages`. Persist before send: a promise or an accepted that
 * leaves the node before its ballot and entries are on disk could be forgotten by a crash, and
 * then the same node could promise or accept something contradicting it, choosing two values.
 */
export interface PaxosReady<V> {
  promised: Ballot | undefined;
  entries: LogEntry<V>[];
  /** Delete log entries at or below this slot (compaction, or a snapshot installed). */
  compactedThrough: Slot | undefined;
  messages: Outbound<V>[];
  newViews: NewView<V>[];
  /** Members that asked for slots we compacted away: the state machine must send them a snapshot. */
  snapshotsFor: NodeId[];
}

interface LeaderState {
  /** Next slot to propose into. */
  nextSlot: Slot;
  /** Who accepted each slot in this ballot, for slots not yet chosen. */
  acceptedBy: Map<Slot, Set<NodeId>>;
  /** Tick of the last accept sent for each slot not yet chosen (retransmission). */
  sentAtTick: Map<Slot, number>;
  /** Reconciled slots must be chosen before new work is served (they may precede it). */
  servingFromCommit: Slot;
  ticksSinceBroadcast: number;
  /** While we lack decided slots that a promise reported, the member to fetch them from. */
  catchupFrom: NodeId | undefined;
  catchupUpTo: Slot;
  /** Ticks since this view began; a leader that cannot finish its view change in an election
   *  timeout (say the only member that knew the decided prefix died) steps down, so that a new
   *  view without that member's report can form. */
  viewTicks: number;
}

interface CandidateState {
  ballot: Ballot;
  promises: Map<NodeId, { commitIndex: Slot; entries: LogEntry<unknown>[] }>;
  /** The first slot the promises report: the one above our commit index. The NEW-VIEW only
   *  reconciles slots above the highest commit index reported, which is at least ours. */
  fromSlot: Slot;
  /** Promises that came in pages and are not complete yet: what arrived, and the page asked for. */
  paging: Map<NodeId, { commitIndex: Slot; entries: LogEntry<unknown>[]; nextSlot: Slot }>;
  /** The Phase 1 of a flush's agreed leader (not a view change: no NEW-VIEW recorded). */
  flush?: true;
  /** When the prepare was last sent: a candidate asks the silent members again. */
  preparedAtTick: number;
  forced?: true;
}

/**
 * One Multi-Paxos replica of a cluster: proposer, acceptor and learner. A pure state machine in
 * the etcd-io/raft shape: feed it messages (`step`), time (`tick`) and values (`propose`); read
 * what to persist and send from `ready()` and call `advance()` once that is done; take the
 * chosen values, in slot order, from `takeCommitted()`.
 */
export class Replica<V> {
  readonly self: NodeId;
  private readonly members: NodeId[];
  private readonly peers: NodeId[];
  private readonly settings: ReplicaSettings;
  private readonly random: Random;

  private promised: Ballot;
  /** Highest round seen in any ballot, so our next ballot is above everything we know. */
  private roundSeen: number;
  private readonly log = new Map<Slot, LogEntry<V>>();
  private commit: Slot;
  private appliedUpTo: Slot;

  private currentRole: ReplicaRole = 'follower';
  private leaderId: NodeId | undefined;
  /** Ballot of the leader we follow (or lead with). */
  private leaderBallot: Ballot = ballotZero;
  private ticks = 0;
  private ticksSinceLeader = 0;
  private electionTimeoutTicks: number;
  private electionElapsed = 0;
  private leader: LeaderState | undefined;
  private candidate: CandidateState | undefined;
  private preVotes = new Set<NodeId>();
  private preVoteAttempt = 0;
  private readonly peerHeardAtTick = new Map<NodeId, number>();
  /** Catch-up: tick of the last request, so we ask at most once a retransmit period. */
  private catchupAskedAtTick = -Infinity;

  private pending: PaxosReady<V> = emptyReady<V>();
  /** Slots at or below this are gone from the log: their effect lives in the state machine. */
  private floor: Slot;
  private readonly dirtySlots = new Set<Slot>();
  /** Entries compacted in the current step before their change was handed out. */
  private readonly compactedDirty = new Map<Slot, LogEntry<V>>();
  /** Bytes of entries one message may carry: the message budget less its envelope and fields. */
  private readonly entryBytesMax: number;
  /** Sizes of the values measured so far. A value is never changed once proposed (the log and
   *  every message share it), and one is measured again for each accept, resend, catch-up reply
   *  and promise page that carries it. */
  private readonly valueBytes = new WeakMap<object, number>();
  /** An upper bound of one entry's encoding (a LogEntry, or the smaller SlotValue). */
  private readonly entryBytes = (e: { value: V | null }): number => {
    const v = e.value;
    if (typeof v !== 'object' || v === null) return entryFieldsBytesMax + encodedBytesMax(v);
    let bytes = this.valueBytes.get(v);
    if (bytes === undefined) {
      bytes = encodedBytesMax(v);
      this.valueBytes.set(v, bytes);
    }
    return entryFieldsBytesMax + bytes;
  };
  private readonly refused = new Map<string, number>();

  constructor(init: ReplicaInit<V>) {
    assert(init.members.includes(init.self), 'a replica must be a member of its cluster');
    assert(init.members.length % 2 === 1, 'clusters have an odd number of members');
    assert(init.settings.electionTicksMin > init.settings.heartbeatTicks, 'election timeout must exceed the heartbeat');
    assert(init.settings.electionTicksMax >= init.settings.electionTicksMin, 'election range is empty');
    this.self = init.self;
    this.members = [...init.members];
    this.peers = init.members.filter((m) => m !== init.self);
    this.settings = init.settings;
    this.entryBytesMax =
      payloadBudgets(init.settings.payloadBytesMax ?? limits.natsMaxPayloadBytes).messageBytesMax -
      limits.messageOverheadBytes;
    assert(this.entryBytesMax > 0, 'the payload limit leaves no room for entries');
    this.random = init.random;
    this.promised = init.promised;
    this.roundSeen = init.promised.round;
    this.floor = init.logFloor ?? 0;
    assert(this.floor <= init.appliedIndex, 'the log is only compacted below the applied index');
    for (const e of init.log) if (e.slot > this.floor) this.log.set(e.slot, e);
    this.appliedUpTo = init.appliedIndex;
    this.commit = init.appliedIndex;
    this.advanceCommit();
    this.electionTimeoutTicks = init.firstElectionTicks ?? this.randomElectionTimeout();
    if (init.initialLeader !== undefined) this.installInitialLeader(init.initialLeader);
  }

  private installInitialLeader(leader: NodeId): void {
    assert(this.members.includes(leader), 'the initial leader must be a member');
    assert(
      this.log.size === 0 && this.commit === 0 && this.floor === 0,
      'an initial leader is only for an empty instance',
    );
    assert(ballotEquals(this.promised, initialBallot(leader)), 'every member must have promised the initial ballot');
    this.leaderBallot = this.promised;
    if (leader !== this.self) {
      this.becomeFollower(leader);
      return;
    }
    this.leaderId = this.self;
    this.currentRole = 'candidate';
    this.candidate = {
      ballot: this.promised,
      promises: new Map(),
      fromSlot: this.commit + 1,
      paging: new Map(),
      flush: true,
      preparedAtTick: this.ticks,
    };
    this.candidate.promises.set(this.self, { commitIndex: this.commit, entries: [] });
    this.broadcast({ type: 'prepare', from: this.self, ballot: this.promised, fromSlot: this.candidate.fromSlot });
    this.maybeWinElection();
  }

  // ---- queries -----------------------------------------------------------------------------

  get role(): ReplicaRole {
    return this.currentRole;
  }
  get commitIndex(): Slot {
    return this.commit;
  }
  get promisedBallot(): Ballot {
    return this.promised;
  }
  get ballot(): Ballot {
    return this.leaderBallot;
  }
  /** Who we believe leads, if anyone. */
  get leaderHint(): NodeId | undefined {
    return this.leaderId;
  }
  /** True when this replica leads and has finished its view change: new work may be proposed. */
  get isServing(): boolean {
    return this.currentRole === 'leader' && this.leader !== undefined && this.commit >= this.leader.servingFromCommit;
  }
  /** While leading: the last slot this leader recovered from its predecessors when it took
   *  over. Every slot above it that is chosen while it still leads holds its own proposal: a
   *  value of a later leader reaches it only in an accept, which makes it a follower first. */
  get recoveredUpTo(): Slot | undefined {
    return this.currentRole === 'leader' && this.leader !== undefined ? this.leader.servingFromCommit : undefined;
  }
  /** Slots this leader proposed that are not chosen yet (0 when not leading). */
  get slotsInFlight(): number {
    if (this.currentRole !== 'leader' || this.leader === undefined) return 0;
    return this.leader.nextSlot - 1 - this.commit;
  }
  /** See ReplicaSettings.commandsPerSlotBehindMin. */
  get commandsPerSlotBehindMin(): number {
    return this.settings.commandsPerSlotBehindMin ?? 1;
  }
  /** How many more slots the pipeline takes right now. */
  get proposalRoom(): number {
    if (!this.isServing || this.leader === undefined) return 0;
    return Math.max(0, this.settings.slotsInFlightMax - (this.leader.nextSlot - 1 - this.commit));
  }
  get memberCount(): number {
    return this.members.length;
  }
  isMember(node: NodeId): boolean {
    return this.members.includes(node);
  }
  entry(slot: Slot): LogEntry<V> | undefined {
    return this.log.get(slot);
  }
  get lastSlot(): Slot {
    let last = this.commit;
    for (const s of this.log.keys()) if (s > last) last = s;
    return last;
  }

  // ---- inputs ------------------------------------------------------------------------------

  /** Proposes a value into the next slot; returns the slot, or undefined when not serving or
   *  the pipeline is full (the caller keeps the value and tries again later). */
  /**
   * Leadership transfer (`ledger node lead`; a test file's contact server): stand now, without
   * the pre-vote, and ask the members to set aside their stable-leader rule for this prepare.
   * Ballots and quorums work as ever, so this can delay progress but never choose two values.
   */
  campaign(): void {
    if (this.currentRole === 'leader') return;
    this.becomeFollower(undefined);
    this.startCandidacy(true);
  }

  propose(value: V): Slot | undefined {
    if (this.proposalRoom <= 0 || this.leader === undefined) return undefined;
    const slot = this.leader.nextSlot++;
    this.acceptOwn(slot, value);
    this.sendAccepts([{ slot, value }]);
    return slot;
  }

  tick(): void {
    this.ticks++;
    if (this.currentRole === 'leader') {
      this.tickLeader();
      return;
    }
    this.ticksSinceLeader++;
    this.electionElapsed++;
    this.resendPrepare();
    if (this.electionElapsed >= this.electionTimeoutTicks) this.startPreVote();
  }

  step(message: PaxosMessage<V>): void {
    // Our own broadcasts come back on the cluster's subject: not a refusal.
    if (message.from === this.self) return;
    if (!this.members.includes(message.from)) return this.refuse('sender-not-a-member');
    const refusal = paxosRefusal(message, {
      members: this.members,
      commit: this.commit,
      roundSeen: Math.max(this.roundSeen, this.promised.round),
    });
    if (refusal !== undefined) return this.refuse(refusal);
    if ('ballot' in message) this.roundSeen = Math.max(this.roundSeen, message.ballot.round);
    switch (message.type) {
      case 'prevote':
        return this.onPreVote(message);
      case 'prevote-reply':
        return this.onPreVoteReply(message);
      case 'prepare':
        return this.onPrepare(message);
      case 'promise':
        return this.onPromise(message);
      case 'accept':
        return this.onAccept(message);
      case 'accepted':
        return this.onAccepted(message);
      case 'nack':
        return this.onNack(message);
      case 'catchup-request':
        return this.onCatchupRequest(message);
      case 'catchup-reply':
        return this.onCatchupReply(message);
    }
  }

  // ---- outputs -----------------------------------------------------------------------------

  hasReady(): boolean {
    const p = this.pending;
    return (
      p.promised !== undefined ||
      this.dirtySlots.size > 0 ||
      p.compactedThrough !== undefined ||
      p.messages.length > 0 ||
      p.newViews.length > 0 ||
      p.snapshotsFor.length > 0
    );
  }

  ready(): PaxosReady<V> {
    const entries = [...this.dirtySlots]
      .sort((a, b) => a - b)
      .flatMap((s) => {
        const e = this.log.get(s) ?? this.compactedDirty.get(s);
        return e === undefined ? [] : [e];
      });
    return { ...this.pending, snapshotsFor: [...this.pending.snapshotsFor], entries };
  }

  /** The runtime persisted and sent the last ready. */
  advance(): void {
    this.pending = emptyReady<V>();
    this.dirtySlots.clear();
    this.compactedDirty.clear();
  }

  /** Slots at or below this were compacted away. */
  get logFloor(): Slot {
    return this.floor;
  }

  /** Number of entries held in memory (and on disk). */
  get logSize(): number {
    return this.log.size;
  }

  /**
   * Forgets log entries up to `slot`, which the state machine has applied and made durable
   * (its state is the checkpoint). A member asking for them later gets a snapshot instead.
   */
  compact(slot: Slot): void {
    assert(slot <= this.appliedUpTo, `compact through ${slot} beyond the applied index ${this.appliedUpTo}`);
    if (slot <= this.floor) return;
    for (let s = this.floor + 1; s <= slot; s++) {
      const e = this.log.get(s);
      // An entry changed in this very step (say, just learned chosen) is still written before
      // the compaction deletes it: the ready reports every change, in order.
      if (e !== undefined && this.dirtySlots.has(s)) this.compactedDirty.set(s, e);
      this.log.delete(s);
    }
    this.floor = slot;
    this.pending.compactedThrough = slot;
  }

  /**
   * The state machine installed a snapshot taken at `appliedIndex` (from a member that had
   * compacted the slots we lacked): those slots are decided and applied, whatever our log held.
   */
  installSnapshot(appliedIndex: Slot): void {
    if (appliedIndex <= this.appliedUpTo) return;
    for (const s of [...this.log.keys()]) {
      if (s > appliedIndex) continue;
      this.log.delete(s);
      this.dirtySlots.delete(s);
      this.leader?.acceptedBy.delete(s);
      this.leader?.sentAtTick.delete(s);
    }
    this.floor = appliedIndex;
    this.pending.compactedThrough = appliedIndex;
    this.appliedUpTo = appliedIndex;
    this.commit = Math.max(this.commit, appliedIndex);
    this.advanceCommit();
    this.catchupAskedAtTick = -Infinity;
  }

  /** Chosen values not yet handed out, in slot order. The caller applies them exactly once. */
  takeCommitted(): SlotValue<V>[] {
    const out: SlotValue<V>[] = [];
    while (this.appliedUpTo < this.commit) {
      const slot = this.appliedUpTo + 1;
      const e = this.log.get(slot);
      assert(e !== undefined && e.chosen, `slot ${slot} below the commit index must be chosen`);
      out.push({ slot, value: e.value });
      this.appliedUpTo = slot;
    }
    return out;
  }

  // ---- election ----------------------------------------------------------------------------

  private randomElectionTimeout(): number {
    return randomInt(this.random, this.settings.electionTicksMin, this.settings.electionTicksMax);
  }

  private resetElectionTimer(): void {
    this.electionElapsed = 0;
    this.electionTimeoutTicks = this.randomElectionTimeout();
  }

  /** Whether we heard from a live leader recently enough to refuse to replace it. */
  private hearsLeader(): boolean {
    if (this.currentRole === 'leader') return true;
    return this.leaderId !== undefined && this.ticksSinceLeader < this.settings.electionTicksMin;
  }

  private startPreVote(): void {
    this.becomeFollower(undefined);
    this.currentRole = 'precandidate';
    this.preVotes = new Set([this.self]);
    this.preVoteAttempt++;
    this.resetElectionTimer();
    this.broadcast({ type: 'prevote', from: this.self, attempt: this.preVoteAttempt, commitIndex: this.commit });
    if (this.isQuorum(this.preVotes.size)) this.startCandidacy();
  }

  private onPreVote(m: Extract<PaxosMessage<V>, { type: 'prevote' }>): void {
    // Grant only when we too have lost the leader, and the asker knows at least as much as we
    // do, so a stale node does not win and then spend its first view fetching the log.
    const granted = !this.hearsLeader() && m.commitIndex >= this.commit;
    this.send(m.from, { type: 'prevote-reply', from: this.self, attempt: m.attempt, granted });
  }

  private onPreVoteReply(m: Extract<PaxosMessage<V>, { type: 'prevote-reply' }>): void {
    if (this.currentRole !== 'precandidate' || !m.granted || m.attempt !== this.preVoteAttempt) return;
    this.preVotes.add(m.from);
    if (this.isQuorum(this.preVotes.size)) this.startCandidacy();
  }

  private startCandidacy(forced = false): void {
    const ballot: Ballot = { round: Math.max(this.roundSeen, this.promised.round) + 1, node: this.self };
    this.roundSeen = ballot.round;
    this.currentRole = 'candidate';
    this.setPromised(ballot);
    this.candidate = {
      ballot,
      promises: new Map(),
      fromSlot: this.commit + 1,
      paging: new Map(),
      preparedAtTick: this.ticks,
      ...(forced ? { forced } : {}),
    };
    this.candidate.promises.set(this.self, { commitIndex: this.commit, entries: this.uncommittedEntries() });
    this.resetElectionTimer();
    const fromSlot = this.candidate.fromSlot;
    this.broadcast(
      forced
        ? { type: 'prepare', from: this.self, ballot, forced, fromSlot }
        : { type: 'prepare', from: this.self, ballot, fromSlot },
    );
    this.maybeWinElection();
  }

  /** A lost prepare is sent again to the members that have not promised: a flushed member
   *  drops the prepare of a leader flushed before it (another generation). */
  private resendPrepare(): void {
    const c = this.candidate;
    if (
      this.currentRole !== 'candidate' ||
      c === undefined ||
      this.ticks - c.preparedAtTick < this.settings.retransmitTicks
    )
      return;
    c.preparedAtTick = this.ticks;
    for (const p of this.peers) {
      if (c.promises.has(p)) continue;
      // A member sending its promise in pages is asked again for the page it owes.
      const fromSlot = c.paging.get(p)?.nextSlot ?? c.fromSlot;
      this.send(
        p,
        c.forced
          ? { type: 'prepare', from: this.self, ballot: c.ballot, forced: c.forced, fromSlot }
          : { type: 'prepare', from: this.self, ballot: c.ballot, fromSlot },
      );
    }
  }

  private onPrepare(m: Extract<PaxosMessage<V>, { type: 'prepare' }>): void {
    const cmp = compareBallots(m.ballot, this.promised);
    if (cmp < 0) {
      this.send(m.from, { type: 'nack', from: this.self, ballot: m.ballot, promised: this.promised });
      return;
    }
    // Stable leader: while we hear a live leader, a returning node must not depose it.
    if (cmp > 0 && m.forced !== true && this.hearsLeader() && m.from !== this.leaderId) return;
    if (cmp > 0) {
      this.becomeFollower(undefined);
      this.setPromised(m.ballot);
      this.resetElectionTimer();
    } else if (this.currentRole === 'follower') {
      // The candidate we promised asks again (a later page of our promise, or a resend): it is
      // making progress, so we do not time out and stand against it while it pages our tail.
      this.resetElectionTimer();
    }
    this.send(m.from, this.promisePage(m.ballot, m.fromSlot));
  }

  /**
   * A promise reports every entry above the commit index, from the slot the candidate asks
   * (above its own commit index: the NEW-VIEW reconciles only slots above the highest commit
   * index reported, which is at least the candidate's): the new leader must see each value that
   * may have been chosen there. That tail has no bound in bytes (a follower whose commit index
   * is stuck behind a gap keeps accepting), so it goes in pages that fit in a message: each page
   * says where the next one starts, and the candidate asks for it (a prepare with `fromSlot`,
   * in the same ballot) and counts the promise only once it holds every page.
   * Nothing is left out: the pages partition the tail by slot, and an entry can only change
   * between two pages by becoming chosen (catch-up) or compacted below a commit index that a
   * later page reports; the candidate keeps the highest commit index of the pages.
   */
  private promisePage(ballot: Ballot, fromSlot: Slot | undefined): PaxosMessage<V> {
    const tail = this.uncommittedEntries().filter((e) => fromSlot === undefined || e.slot >= fromSlot);
    const n = fittingCount(tail, 0, this.entryBytes, this.entryBytesMax, Infinity);
    const nextSlot = tail[n]?.slot;
    return {
      type: 'promise',
      from: this.self,
      ballot,
      commitIndex: this.commit,
      entries: tail.slice(0, n),
      ...(fromSlot === undefined ? {} : { fromSlot }),
      ...(nextSlot === undefined ? {} : { nextSlot }),
    };
  }

  private onPromise(m: Extract<PaxosMessage<V>, { type: 'promise' }>): void {
    const c = this.candidate;
    if (
      this.currentRole !== 'candidate' ||
      c === undefined ||
      !ballotEquals(m.ballot, c.ballot) ||
      c.promises.has(m.from)
    )
      return;
    // Only the page asked for counts: a duplicated or late copy of an earlier page is ignored.
    // (A first page without `fromSlot` holds the whole tail: more than asked, and as good.)
    const partial = c.paging.get(m.from);
    const asked = partial === undefined ? [c.fromSlot, undefined] : [partial.nextSlot];
    if (!asked.includes(m.fromSlot)) return;
    const commitIndex = Math.max(partial?.commitIndex ?? 0, m.commitIndex);
    const entries = partial === undefined ? m.entries : [...partial.entries, ...m.entries];
    if (m.nextSlot !== undefined) {
      // Pages move forward, or the exchange could loop.
      if (m.nextSlot <= (m.fromSlot ?? 0) || m.entries.some((e) => e.slot >= (m.nextSlot as Slot))) return;
      c.paging.set(m.from, { commitIndex, entries, nextSlot: m.nextSlot });
      this.send(m.from, { type: 'prepare', from: this.self, ballot: c.ballot, fromSlot: m.nextSlot });
      // A promise in pages takes a round trip a page: while they come, the election is
      // progressing, not stuck, and must not time out and start over (with a higher ballot
      // that would page the same tail again). Pages move forward over a finite tail, so this
      // cannot go on forever (short of a forged member: see issue 10, bug 5).
      this.resetElectionTimer();
      return;
    }
    c.paging.delete(m.from);
    c.promises.set(m.from, { commitIndex, entries });
    this.maybeWinElection();
  }

  private maybeWinElection(): void {
    const c = this.candidate;
    if (c === undefined || !this.isQuorum(c.promises.size)) return;
    this.becomeLeader(c);
  }

  /**
   * The NEW-VIEW. Slots at or below the highest commit index reported are decided; we fetch the
   * ones we lack by catch-up. Above it, every promising acceptor reported all it accepted, so
   * per slot we keep a value known chosen, else the value of the highest ballot, else a NO-OP
   * for the hole, and re-propose them all in our ballot before serving new work.
   */
  private becomeLeader(c: CandidateState): void {
    let highestCommit = this.commit;
    let commitHolder: NodeId = this.self;
    let lastSlot = this.commit;
    for (const [node, p] of c.promises) {
      if (p.commitIndex > highestCommit) {
        highestCommit = p.commitIndex;
        commitHolder = node;
      }
      for (const e of p.entries) lastSlot = Math.max(lastSlot, e.slot);
    }
    lastSlot = Math.max(lastSlot, highestCommit);
    const best = new Map<Slot, LogEntry<unknown>>();
    for (const p of c.promises.values()) {
      for (const e of p.entries) {
        if (e.slot <= highestCommit) continue;
        const prev = best.get(e.slot);
        if (prev === undefined || this.supersedes(e, prev)) best.set(e.slot, e);
      }
    }
    this.candidate = undefined;
    this.currentRole = 'leader';
    this.leaderId = this.self;
    this.leaderBallot = c.ballot;
    this.leader = {
      nextSlot: lastSlot + 1,
      acceptedBy: new Map(),
      sentAtTick: new Map(),
      servingFromCommit: lastSlot,
      ticksSinceBroadcast: 0,
      catchupFrom: highestCommit > this.commit ? commitHolder : undefined,
      catchupUpTo: highestCommit,
      viewTicks: 0,
    };
    for (const p of this.peers) this.peerHeardAtTick.set(p, this.ticks);
    const reproposed: SlotValue<V>[] = [];
    for (let slot = highestCommit + 1; slot <= lastSlot; slot++) {
      const e = best.get(slot);
      const value = (e?.value ?? null) as V | null;
      reproposed.push({ slot, value });
      this.acceptOwn(slot, value);
    }
    if (c.flush !== true || reproposed.length > 0 || highestCommit > 0)
      this.pending.newViews.push({
        ballot: c.ballot,
        leader: this.self,
        commitIndex: highestCommit,
        entries: reproposed,
      });
    if (highestCommit > this.commit) this.requestCatchup(commitHolder);
    if (reproposed.length > 0) this.sendAccepts(reproposed);
    else this.broadcastHeartbeat();
    this.advanceCommit();
  }

  private becomeFollower(leader: NodeId | undefined): void {
    this.currentRole = 'follower';
    this.leader = undefined;
    this.candidate = undefined;
    this.leaderId = leader;
    this.ticksSinceLeader = 0;
  }

  // ---- phase 2 -----------------------------------------------------------------------------

  /** The leader accepts its own proposal as an acceptor (durable with the same ready). */
  private acceptOwn(slot: Slot, value: V | null): void {
    const l = this.leader;
    assert(l !== undefined, 'only a leader accepts its own proposals');
    const existing = this.log.get(slot);
    const chosen = existing?.chosen ?? false;
    const soleMember = this.isQuorum(1);
    this.setEntry({
      slot,
      ballot: this.leaderBallot,
      value: chosen ? (existing as LogEntry<V>).value : value,
      chosen: chosen || soleMember,
    });
    if (!chosen && !soleMember) l.acceptedBy.set(slot, new Set([this.self]));
    if (soleMember) this.advanceCommit();
  }

  private sendAccepts(entries: SlotValue<V>[]): void {
    const l = this.leader;
    assert(l !== undefined, 'only a leader sends accepts');
    for (const chunk of packByBytes(entries, this.entryBytes, this.entryBytesMax, this.settings.entriesPerMessageMax)) {
      for (const e of chunk) if (l.acceptedBy.has(e.slot)) l.sentAtTick.set(e.slot, this.ticks);
      this.broadcast({
        type: 'accept',
        from: this.self,
        ballot: this.leaderBallot,
        commitIndex: this.commit,
        entries: chunk,
      });
    }
    l.ticksSinceBroadcast = 0;
  }

  private broadcastHeartbeat(): void {
    const l = this.leader;
    assert(l !== undefined, 'only a leader sends heartbeats');
    this.broadcast({
      type: 'accept',
      from: this.self,
      ballot: this.leaderBallot,
      commitIndex: this.commit,
      entries: [],
    });
    l.ticksSinceBroadcast = 0;
  }

  private onAccept(m: Extract<PaxosMessage<V>, { type: 'accept' }>): void {
    if (compareBallots(m.ballot, this.promised) < 0) {
      this.send(m.from, { type: 'nack', from: this.self, ballot: m.ballot, promised: this.promised });
      return;
    }
    if (compareBallots(m.ballot, this.promised) > 0) this.setPromised(m.ballot);
    if (this.currentRole !== 'follower' || this.leaderId !== m.from) this.becomeFollower(m.from);
    this.leaderBallot = m.ballot;
    this.ticksSinceLeader = 0;
    this.resetElectionTimer();
    const slots: Slot[] = [];
    for (const e of m.entries) {
      // Not stored, not acknowledged: a slot this far ahead is forged, or we are so far behind
      // that catch-up must come first (requested below).
      if (farSlot(e.slot, { commit: this.commit })) {
        this.refuse('slot-out-of-range');
        continue;
      }
      slots.push(e.slot);
      // Below the floor the slot is decided, applied and compacted: nothing to store.
      if (e.slot <= this.floor) continue;
      const existing = this.log.get(e.slot);
      // A chosen value never changes; an accept in a ballot we already hold is a duplicate.
      if (existing !== undefined && (existing.chosen || ballotEquals(existing.ballot, m.ballot))) continue;
      this.setEntry({ slot: e.slot, ballot: m.ballot, value: e.value, chosen: false });
    }
    this.learnCommit(m.ballot, m.commitIndex);
    this.send(m.from, { type: 'accepted', from: this.self, ballot: m.ballot, slots, commitIndex: this.commit });
    if (m.commitIndex > this.commit) this.requestCatchup(m.from);
  }

  /** The leader of `ballot` says slots up to `leaderCommit` are chosen. Our entry at such a
   *  slot is that chosen value exactly when we accepted it in the same ballot: one ballot has
   *  one proposer, which proposes one value per slot. Others we fetch by catch-up. */
  private learnCommit(ballot: Ballot, leaderCommit: Slot): void {
    for (let slot = this.commit + 1; slot <= leaderCommit; slot++) {
      const e = this.log.get(slot);
      if (e === undefined) break;
      if (!e.chosen && ballotEquals(e.ballot, ballot)) this.setEntry({ ...e, chosen: true });
      if (!(this.log.get(slot) as LogEntry<V>).chosen) break;
    }
    this.advanceCommit();
  }

  private onAccepted(m: Extract<PaxosMessage<V>, { type: 'accepted' }>): void {
    const l = this.leader;
    if (this.currentRole !== 'leader' || l === undefined || !ballotEquals(m.ballot, this.leaderBallot)) return;
    this.peerHeardAtTick.set(m.from, this.ticks);
    let newlyChosen = false;
    for (const slot of m.slots) {
      const voters = l.acceptedBy.get(slot);
      if (voters === undefined) continue;
      voters.add(m.from);
      if (this.isQuorum(voters.size)) {
        l.acceptedBy.delete(slot);
        l.sentAtTick.delete(slot);
        const e = this.log.get(slot);
        assert(e !== undefined, `accepted slot ${slot} missing from the leader's log`);
        if (!e.chosen) this.setEntry({ ...e, chosen: true });
        newlyChosen = true;
      }
    }
    if (newlyChosen) this.advanceCommit();
  }

  private onNack(m: Extract<PaxosMessage<V>, { type: 'nack' }>): void {
    this.roundSeen = Math.max(this.roundSeen, m.promised.round);
    const mine = this.currentRole === 'leader' ? this.leaderBallot : this.candidate?.ballot;
    if (mine === undefined || !ballotEquals(m.ballot, mine) || compareBallots(m.promised, mine) <= 0) return;
    // Someone promised a higher ballot: our ballot can no longer choose anything new.
    this.becomeFollower(undefined);
    this.resetElectionTimer();
  }

  private tickLeader(): void {
    const l = this.leader;
    assert(l !== undefined, 'leader state missing');
    // Check quorum: a leader that has not heard a majority for an election timeout steps down,
    // so a partitioned leader stops serving and cannot hold clients forever.
    if (this.ticks % this.settings.electionTicksMin === 0) {
      let heard = 1;
      for (const p of this.peers)
        if (this.ticks - (this.peerHeardAtTick.get(p) ?? -Infinity) <= this.settings.electionTicksMin) heard++;
      if (!this.isQuorum(heard)) {
        this.becomeFollower(undefined);
        this.resetElectionTimer();
        return;
      }
    }
    l.viewTicks++;
    if (!this.isServing && l.viewTicks > this.settings.electionTicksMax) {
      this.becomeFollower(undefined);
      this.resetElectionTimer();
      return;
    }
    if (
      l.catchupFrom !== undefined &&
      this.commit < l.catchupUpTo &&
      this.ticks - this.catchupAskedAtTick >= this.settings.retransmitTicks
    ) {
      // Ask the member that reported the decided prefix first, then the others in turn: any of
      // them may have learned it since.
      const asked = l.catchupFrom;
      this.requestCatchup(asked);
      l.catchupFrom = this.peers[(this.peers.indexOf(asked) + 1) % this.peers.length];
    }
    const resend: SlotValue<V>[] = [];
    for (const [slot, at] of l.sentAtTick) {
      if (this.ticks - at >= this.settings.retransmitTicks) {
        const e = this.log.get(slot) as LogEntry<V>;
        resend.push({ slot, value: e.value });
      }
    }
    if (resend.length > 0) {
      resend.sort((a, b) => a.slot - b.slot);
      this.sendAccepts(resend);
      return;
    }
    l.ticksSinceBroadcast++;
    if (l.ticksSinceBroadcast >= this.settings.heartbeatTicks) this.broadcastHeartbeat();
  }

  // ---- catch-up ----------------------------------------------------------------------------

  private requestCatchup(from: NodeId): void {
    if (this.ticks - this.catchupAskedAtTick < this.settings.retransmitTicks) return;
    this.catchupAskedAtTick = this.ticks;
    this.send(from, { type: 'catchup-request', from: this.self, fromSlot: this.commit + 1 });
  }

  private onCatchupRequest(m: Extract<PaxosMessage<V>, { type: 'catchup-request' }>): void {
    if (m.fromSlot <= this.floor) {
      // Compacted: only the state machine's snapshot can bring the asker up to date.
      if (!this.pending.snapshotsFor.includes(m.from)) this.pending.snapshotsFor.push(m.from);
      return;
    }
    const entries: SlotValue<V>[] = [];
    let bytes = 0;
    for (let slot = m.fromSlot; slot <= this.commit && entries.length < this.settings.entriesPerMessageMax; slot++) {
      const e = this.log.get(slot);
      if (e === undefined) break;
      const entry = { slot, value: e.value };
      // Within the message budget (the rest comes with the next request); at least one entry.
      bytes += this.entryBytes(entry);
      if (entries.length > 0 && bytes > this.entryBytesMax) break;
      entries.push(entry);
    }
    this.send(m.from, { type: 'catchup-reply', from: this.self, commitIndex: this.commit, entries });
  }

  private onCatchupReply(m: Extract<PaxosMessage<V>, { type: 'catchup-reply' }>): void {
    for (const e of m.entries) {
      if (e.slot > m.commitIndex || farSlot(e.slot, { commit: this.commit })) {
        this.refuse('slot-out-of-range');
        continue;
      }
      const existing = this.log.get(e.slot);
      if (existing?.chosen || e.slot <= this.floor) continue;
      // The sender had these at or below its commit index: they are the chosen values.
      this.setEntry({ slot: e.slot, ballot: existing?.ballot ?? ballotZero, value: e.value, chosen: true });
    }
    const before = this.commit;
    this.advanceCommit();
    if (this.commit < m.commitIndex && this.commit > before) {
      this.catchupAskedAtTick = -Infinity;
      this.requestCatchup(m.from);
    }
  }

  // ---- helpers -----------------------------------------------------------------------------

  private advanceCommit(): void {
    while (this.log.get(this.commit + 1)?.chosen) this.commit++;
  }

  // ---- the rules a simulator test flips (tests/sim/broken-core.test.ts) ------------------
  // Protected so that a test can subclass the replica with one rule broken and show that the
  // simulator catches it; nothing else overrides them.

  /** Enough votes out of the members to decide: a strict majority. */
  protected isQuorum(votes: number): boolean {
    return isMajority(votes, this.members.length);
  }

  /** Reconciliation: a value known chosen wins, else the higher ballot. */
  protected supersedes(candidate: LogEntry<unknown>, current: LogEntry<unknown>): boolean {
    return !current.chosen && (candidate.chosen || compareBallots(candidate.ballot, current.ballot) > 0);
  }

  /** What a promise reports: everything accepted above the commit index. */
  protected uncommittedEntries(): LogEntry<V>[] {
    const out: LogEntry<V>[] = [];
    for (const e of this.log.values()) if (e.slot > this.commit) out.push(e);
    return out.sort((a, b) => a.slot - b.slot);
  }

  private setEntry(e: LogEntry<V>): void {
    const existing = this.log.get(e.slot);
    assert(
      !(existing?.chosen && e.chosen && existing.value !== e.value && !sameValue(existing.value, e.value)),
      `slot ${e.slot} chosen twice with different values`,
    );
    this.log.set(e.slot, e);
    this.dirtySlots.add(e.slot);
  }

  private setPromised(b: Ballot): void {
    assert(compareBallots(b, this.promised) >= 0, 'the promised ballot never goes down');
    this.promised = b;
    this.pending.promised = b;
  }

  /** Messages refused by reason (forged, corrupted, or absurd), for the runtime's metrics. */
  get refusals(): ReadonlyMap<string, number> {
    return this.refused;
  }

  private refuse(reason: string): void {
    this.refused.set(reason, (this.refused.get(reason) ?? 0) + 1);
  }

  private send(to: NodeId, message: PaxosMessage<V>): void {
    this.pending.messages.push({ to, message });
  }

  private broadcast(message: PaxosMessage<V>): void {
    this.pending.messages.push({ to: 'all', message });
  }
}

/** A log entry's fields other than its value, at their widest. */
const entryFieldsBytesMax =
  encodedBytesMax({
    slot: Number.MAX_SAFE_INTEGER,
    ballot: { round: Number.MAX_SAFE_INTEGER, node: Number.MAX_SAFE_INTEGER },
    chosen: false,
    value: undefined,
  }) - 1;

function emptyReady<V>(): PaxosReady<V> {
  return {
    promised: undefined,
    entries: [],
    compactedThrough: undefined,
    messages: [],
    newViews: [],
    snapshotsFor: [],
  };
}

/** Structural equality for the chosen-twice assertion (values may be copies after decoding). */
function sameValue(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
