import type { AccountId, ClientId, ClusterId, Slot } from '../protocol/ids.js';
import {
  duplicatePrepare,
  lockedReason,
  supersededReason,
  wrongShardReason,
  type Command,
  type Outcome,
} from '../protocol/commands.js';
import type { TwoPcMessage, TxnId, CoordinatorRecord, ParticipantRecord } from '../protocol/twopc.js';
import { twoPcRefusal, type TwoPcBounds } from './message-bounds.js';
import { txnKey, stepKey } from './steps.js';
import type { TwoPcState } from './twopc-state.js';

/** Two-Phase Commit timing, in ticks (the runtime's tick is 10 ms by default). */
export interface TwoPcSettings {
  /** How long a command waits at the leader for locks held by others before it is refused
   *  with `locked`. Long enough to outlast the tail of the previous transaction on the same
   *  account (a commit round or two), short enough that opposite transfers cannot hang. */
  lockWaitTicks: number;
  /** How long the coordinator waits for the participant's vote before it aborts (`timeout`). */
  voteTimeoutTicks: number;
  /** Resend a PREPARE or a decision not yet answered after this long. */
  resendTicks: number;
  /** A participant that voted yes and heard no decision asks the coordinator after this long. */
  queryTicks: number;
}

/** The replicated state as the driver reads it (LedgerState implements it): the 2PC records,
 *  and of the ledger only what a decision depends on. */
export interface DriverView {
  readonly twoPc: TwoPcState;
  readonly appliedIndex: Slot;
  balanceOf(account: AccountId): number | undefined;
  /** The map epoch of the account's last move (0: it never moved). */
  epochOf(account: AccountId): number;
  sessionOf(clientId: ClientId): { seq: number } | undefined;
}

/** What the driver needs from the shard server it runs in. */
export interface DriverHost {
  readonly cluster: ClusterId;
  readonly state: DriverView;
  readonly now: number;
  /** While leading: the last slot it recovered from earlier leaders (Replica.recoveredUpTo).
   *  A PREPARE chosen above it was proposed by this leader, in this term. */
  readonly recoveredUpTo: Slot | undefined;
  /** Queues a step for the log; false when the leader's queues are full (the driver asks again
   *  on a later message or tick). The driver proposes each step once until it is applied. A
   *  step waits in the leader's queue with the clients' commands (Admission.offer), so a
   *  PREPARE takes the lock of its account through the same lock rule and lock wait.
   *  `waitForCompany`: the step may wait to share a slot with other commands (see
   *  TwoPcDriver.propose). */
  propose(command: Command, waitForCompany?: boolean): boolean | void;
  send(toCluster: ClusterId, message: TwoPcMessage): void;
  /** Marks a step of the protocol (for failpoints and logs): `coordinator:decision-chosen`, … */
  event(name: TwoPcEvent): void;
  /** Answers the clients waiting for this transaction now, before its decision is chosen (a
   *  parallel commit: both PREPAREs are chosen with yes, so the outcome can no longer change). */
  answer(txn: TxnId, outcome: Outcome): void;
}

/** The reason of a participant's tombstone: an ABORT it chose for a transaction it had no
 *  record of, when the coordinator heard no vote in time (`orAbort`). */
export const tombstoneReason = 'timeout';

/** A participant's no to a PREPARE from another coordinator than its record's (see onPrepare). */
export const otherCoordinatorReason = 'other-coordinator';

/** The steps a failpoint can stop a leader at (see src/node/failpoints.ts). */
export type TwoPcEvent =
  | 'coordinator:prepare-proposed'
  | 'coordinator:prepare-chosen'
  /** Both PREPAREs chosen with yes: the client is told committed; the decision is not chosen yet. */
  | 'coordinator:committed'
  | 'coordinator:decision-chosen'
  | 'participant:prepare-proposed'
  | 'participant:prepare-chosen'
  /** An ABORT chosen for a transaction it had no record of, at the coordinator's request. */
  | 'participant:tombstone-chosen'
  | 'participant:decision-applied'
  /** A commit for a transaction this participant refused: not applied, not acknowledged. */
  | 'participant:decision-refused';

interface CoordinatorProgress {
  /** Tick of the last PREPARE or decision sent for it. */
  sentAtTick: number;
  voteDeadlineTick: number;
  /** The participant's cluster told us it has no leader (so a timeout means `no-quorum`). */
  participantLeaderless: boolean;
  /** The vote timeout passed: the PREPARE is resent as a tombstone request (`orAbort`). */
  tombstoneAsked: boolean;
  /** This leader proposed an abort on the participant's silence (mayAbortOnSilence): a yes
   *  that arrives now is too late to be answered committed. */
  abortedOnSilence: boolean;
}

/**
 * The leader's side of Two-Phase Commit: what to send and what to propose next, for every
 * transaction whose record is in the replicated state. Everything it keeps is volatile and
 * rebuilt from those records, so a new leader simply carries on: the state says which
 * transactions are prepared, decided or waiting for a decision.
 *
 * Rules that make it atomic: the coordinator chooses its decision in its own log before anyone
 * hears it; a participant votes only after its PREPARE (or ABORT) is chosen in its log, never
 * aborts on its own after voting yes, and asks the coordinator when it hears nothing.
 */
export class TwoPcDriver {
  private readonly coordinator = new Map<string, CoordinatorProgress>();
  /** Participant records we voted yes on: tick of the last query sent. */
  private readonly queriedAtTick = new Map<string, number>();
  /** Steps this leader proposed and has not applied yet (see steps.ts): each is proposed once. */
  private readonly proposing = new Set<string>();
  /** Transactions whose coordinator PREPARE this leader admitted and sent to the participant at
   *  once (parallel commit), not applied yet, with the participant it went to. Bounded by the
   *  leader's queue. */
  private readonly preparing = new Map<string, ClusterId>();
  /** Votes that arrived for a transaction in `preparing`, before its PREPARE was applied here. */
  private readonly earlyVotes = new Map<string, Extract<TwoPcMessage, { type: 'vote' }>>();
  /** Transactions whose clients this leader told committed (their commit is on its way). */
  protected readonly answered = new Set<string>();
  /** Messages refused as out of range, by reason (see receive). */
  readonly refused = new Map<string, number>();

  /** `bounds`: the topology and the money, to refuse messages out of range (twoPcRefusal);
   *  without them (unit tests) every well-formed message is taken. */
  constructor(
    protected readonly host: DriverHost,
    private readonly settings: TwoPcSettings,
    private readonly bounds?: TwoPcBounds,
  ) {}

  /** The leader lost its leadership: forget every timer and every step on its way (a new
   *  leader rebuilds them from the records). */
  reset(): void {
    this.coordinator.clear();
    this.queriedAtTick.clear();
    this.proposing.clear();
    this.preparing.clear();
    this.earlyVotes.clear();
    this.answered.clear();
  }

  /**
   * A message from another cluster's leader, as the shard receives it (`fromCluster`: the
   * envelope's sender). Out of range: refused and counted. On a serving leader it is handled;
   * elsewhere only a PREPARE gets an answer, and only when this cluster knows of no leader
   * (a `no-leader` vote, so the coordinator can tell `no-quorum` from `timeout`).
   */
  receive(m: TwoPcMessage, fromCluster: ClusterId, here: { serving: boolean; leaderless: boolean }): void {
    const twoPc = this.host.state.twoPc;
    const refusal =
      this.bounds === undefined
        ? undefined
        : twoPcRefusal(
            m,
            fromCluster,
            this.bounds,
            (a) => this.host.state.balanceOf(a),
            (p) => twoPc.participantRecord(txnKey(p.txn.clientId, p.txn.seq)) !== undefined,
          );
    if (refusal !== undefined) {
      this.refused.set(refusal, (this.refused.get(refusal) ?? 0) + 1);
      return;
    }
    if (here.serving) this.onMessage(m);
    else if (here.leaderless && m.type === 'prepare')
      this.host.send(m.coordinator, {
        type: 'vote',
        txn: m.txn,
        participant: this.host.cluster,
        vote: 'no',
        reason: 'no-leader',
      });
  }

  /** A step went into the leader's batch (its locks taken): mark it for failpoints and logs. */
  onAdmitted(command: Command): void {
    const { op } = command;
    if (op.kind === 'x-prepare-coordinator') {
      this.host.event('coordinator:prepare-proposed');
      // Parallel commit: the participant prepares while our PREPARE is being chosen. Only when
      // it will be prepared here: the sender's account is locked from now until it is applied,
      // so its applied balance is the one the PREPARE will find (else it is sent once applied).
      // Nor for a late copy sent before the account's last arrival here: it is refused at apply
      // (an old map epoch, LedgerState.applyCommand) and recorded nowhere, while the same
      // transfer may have run at the account's other home meanwhile.
      const key = txnKey(command.clientId, command.seq);
      const fromEpoch = this.host.state.epochOf(op.from);
      if (
        op.abort === undefined &&
        (command.mapEpoch ?? 0) >= fromEpoch &&
        (this.host.state.balanceOf(op.from) ?? 0) >= op.amount &&
        !this.preparing.has(key)
      ) {
        this.preparing.set(key, op.participant);
        const txn = { clientId: command.clientId, seq: command.seq };
        this.host.send(op.participant, {
          type: 'prepare',
          txn,
          coordinator: this.host.cluster,
          to: op.to,
          amount: op.amount,
          from: op.from,
          fromEpoch,
        });
      }
    }
    if (op.kind === 'x-prepare-participant') this.host.event('participant:prepare-proposed');
  }

  /**
   * Proposes a step once: a step already on its way is not queued twice.
   *
   * `waitForCompany` for a step nobody waits on while nobody waits in this leader's queue:
   * Admission holds it until another command goes into a slot, something queues, or a tick or
   * two passed (Admission.joinCompany). Alone, each such step costs a consensus round (a disk
   * write on every replica) that one client's next cross-shard transfer meets on the disk. They
   * are: END (it only forgets a finished record); a participant's decision (it releases the
   * receiver's account, which only a command queued here can want); and a commit whose client
   * was already told (onVote; it releases the sender's account here, and the participant's,
   * whose waiters this leader cannot see: they wait a tick or two more at most). Not an abort,
   * nor a commit whose client still waits for it.
   */
  private propose(command: Command, waitForCompany = false): void {
    const key = stepKey(command);
    if (this.proposing.has(key)) return;
    if (this.host.propose(command, waitForCompany) !== false) this.proposing.add(key);
  }

  /** Once per tick on a serving leader: resend, time out, ask. */
  onTick(): void {
    const now = this.host.now;
    const live = new Set<string>();
    for (const r of this.host.state.twoPc.coordinatorRecords()) {
      const key = txnKey(r.clientId, r.seq);
      live.add(key);
      let p = this.coordinator.get(key);
      if (p === undefined) {
        p = this.newProgress();
        this.coordinator.set(key, p);
      }
      // No vote in time. The PREPARE this leader chose in its own term, and whose client it has
      // not told committed, it aborts now (no-quorum when the participant's cluster said it has
      // no leader). Otherwise the participant may still choose its PREPARE, and an earlier
      // leader may have told the client committed on its yes, so abort only on its no. Ask it
      // for one: a tombstone where it has no record (onPrepare), its vote where it has one.
      if (r.state === 'prepared' && now >= p.voteDeadlineTick && this.mayAbortOnSilence(r)) {
        p.abortedOnSilence = true;
        this.decide(r, 'abort', p.participantLeaderless ? 'no-quorum' : 'timeout');
      } else if (r.state === 'prepared' && now >= p.voteDeadlineTick && !p.tombstoneAsked) {
        p.tombstoneAsked = true;
        p.sentAtTick = -Infinity;
      }
      if (now - p.sentAtTick >= this.settings.resendTicks) {
        p.sentAtTick = now;
        this.sendFor(r, p.tombstoneAsked);
      }
    }
    for (const key of this.coordinator.keys()) if (!live.has(key)) this.coordinator.delete(key);

    const prepared = new Set<string>();
    for (const r of this.host.state.twoPc.preparedParticipantRecords()) {
      const key = txnKey(r.clientId, r.seq);
      prepared.add(key);
      const asked = this.queriedAtTick.get(key);
      if (asked === undefined) this.queriedAtTick.set(key, now);
      else if (now - asked >= this.settings.queryTicks) {
        this.queriedAtTick.set(key, now);
        this.host.send(r.coordinator, {
          type: 'query',
          txn: { clientId: r.clientId, seq: r.seq },
          participant: this.host.cluster,
          ...(r.from === undefined ? {} : { from: r.from }),
          ...(r.fromEpoch === undefined ? {} : { fromEpoch: r.fromEpoch }),
        });
      }
    }
    for (const key of this.queriedAtTick.keys()) if (!prepared.has(key)) this.queriedAtTick.delete(key);
  }

  /** A message from another cluster's leader (only a serving leader handles them). */
  onMessage(m: TwoPcMessage): void {
    switch (m.type) {
      case 'prepare':
        return this.onPrepare(m);
      case 'vote': {
        const key = txnKey(m.txn.clientId, m.txn.seq);
        const r = this.host.state.twoPc.coordinatorRecord(key);
        // Our PREPARE is still on its way: keep the vote for when it is applied (onApplied).
        if (r === undefined && this.preparing.has(key) && m.reason !== 'no-leader') this.earlyVotes.set(key, m);
        // Only the record's participant's vote counts: an early PREPARE of this leader may have
        // named another (its map had the receiver elsewhere) than the PREPARE chosen first.
        if (r === undefined || r.state !== 'prepared' || m.participant !== r.participant) return;
        this.onVote(r, m);
        return;
      }
      case 'decision': {
        const r = this.host.state.twoPc.participantRecord(txnKey(m.txn.clientId, m.txn.seq));
        if (r !== undefined && r.state === 'prepared') {
          const prepareSlot =
            m.decision === 'commit' && m.prepareSlot !== undefined ? { prepareSlot: m.prepareSlot } : {};
          this.propose(
            {
              clientId: m.txn.clientId,
              seq: m.txn.seq,
              op: { kind: 'x-decide', role: 'participant', decision: m.decision, peer: m.coordinator, ...prepareSlot },
            },
            true,
          );
        } else if (
          r !== undefined &&
          m.decision === 'commit' &&
          r.state === 'aborted' &&
          r.reason !== supersededReason &&
          !(m.prepareSlot !== undefined && m.prepareSlot < r.slot)
        ) {
          // A commit for the preparation we refused: no coordinator sends that (it commits
          // only on our yes to that preparation), so it is forged or broken. Refuse it: no
          // credit, no ack. Not this branch: a superseded record (a second preparation undone
          // because this commit credited the first one), and a commit naming a slot before
          // our record's (it answers an earlier preparation, committed here, applied and
          // forgotten before a late PREPARE copy was refused: acknowledged below, so the
          // coordinator can finish).
          this.host.event('participant:decision-refused');
        } else if (
          r === undefined &&
          m.decision === 'commit' &&
          (m.prepareSlot === undefined || this.host.state.appliedIndex < m.prepareSlot)
        ) {
          // No record, and we have not applied the slot that chose the PREPARE this commit
          // answers: we are behind (a leader deposed that does not know it yet), not done. An
          // ack from us would let the coordinator forget a transaction our cluster still holds
          // prepared; its later query would then be answered abort. Stay silent: the leader
          // that applied that slot acknowledges once the commit is chosen here.
          return;
        } else {
          // Already applied (a repeat: the ack was lost), or forgotten after it was applied
          // (see the eviction note in TwoPcState.setParticipant): nothing to do here, and the
          // coordinator may stop resending. An abort for a committed record changes nothing
          // either: it can only be a presumed abort answering a stale query (see onQuery).
          this.host.send(m.coordinator, { type: 'ack', txn: m.txn, participant: this.host.cluster });
        }
        return;
      }
      case 'ack': {
        const key = txnKey(m.txn.clientId, m.txn.seq);
        const r = this.host.state.twoPc.coordinatorRecord(key);
        if (r !== undefined && r.state !== 'prepared')
          this.propose({ clientId: r.clientId, seq: r.seq, op: { kind: 'x-end' } }, true);
        return;
      }
      case 'query':
        return this.onQuery(m.txn, m.participant, m.from, m.fromEpoch);
    }
  }

  /** A 2PC step was applied on this leader: tell the other side without waiting for a tick. */
  onApplied(command: Command): void {
    this.proposing.delete(stepKey(command));
    const { op } = command;
    const txn: TxnId = { clientId: command.clientId, seq: command.seq };
    const key = txnKey(txn.clientId, txn.seq);
    if (op.kind === 'x-prepare-coordinator') return this.onPrepareApplied(command, op);
    if (op.kind === 'x-decide' && op.role === 'coordinator') {
      this.answered.delete(key);
      const r = this.host.state.twoPc.coordinatorRecord(key);
      if (r !== undefined && r.state !== 'prepared') {
        this.host.event('coordinator:decision-chosen');
        const p = this.coordinator.get(key) ?? this.newProgress();
        p.sentAtTick = this.host.now;
        this.coordinator.set(key, p);
        this.sendFor(r);
      } else if (r === undefined && op.peer !== undefined) {
        this.host.event('coordinator:decision-chosen');
        // An abort chosen for a transaction that never prepared here (a participant asked).
        this.host.send(op.peer, { type: 'decision', txn, coordinator: this.host.cluster, decision: 'abort' });
      }
    } else if (op.kind === 'x-prepare-participant') {
      const r = this.host.state.twoPc.participantRecord(key);
      if (r === undefined) return;
      this.host.event(
        op.abort === tombstoneReason && r.reason === tombstoneReason
          ? 'participant:tombstone-chosen'
          : 'participant:prepare-chosen',
      );
      this.host.send(r.coordinator, voteFor(r, this.host.cluster));
    } else if (op.kind === 'x-decide' && op.role === 'participant' && op.peer !== undefined) {
      this.host.event('participant:decision-applied');
      this.host.send(op.peer, { type: 'ack', txn, participant: this.host.cluster });
    }
  }

  /**
   * Our PREPARE was applied. Prepared: decide from a vote that came before (parallel commit),
   * else wait for it (sending the PREPARE now unless it went out at admission). Refused here
   * (funds, locked, a repeat): a participant we already sent it to learns the abort now, when
   * the client's session holds the refusal, because then no PREPARE of this transaction can be
   * chosen here any more (LedgerState.priorOutcome). Otherwise it asks (onQuery).
   */
  private onPrepareApplied(command: Command, op: Extract<Command['op'], { kind: 'x-prepare-coordinator' }>): void {
    const txn: TxnId = { clientId: command.clientId, seq: command.seq };
    const key = txnKey(txn.clientId, txn.seq);
    const sentEarlyTo = this.preparing.get(key);
    this.preparing.delete(key);
    const sentEarly = sentEarlyTo !== undefined;
    const early = this.earlyVotes.get(key);
    this.earlyVotes.delete(key);
    const r = this.host.state.twoPc.coordinatorRecord(key);
    if (r === undefined) {
      const session = this.host.state.sessionOf(txn.clientId);
      if (sentEarly && session !== undefined && session.seq >= txn.seq)
        this.host.send(op.participant, { type: 'decision', txn, coordinator: this.host.cluster, decision: 'abort' });
      return;
    }
    if (r.state !== 'prepared') return;
    this.host.event('coordinator:prepare-chosen');
    const p = this.coordinator.get(key) ?? this.newProgress();
    this.coordinator.set(key, p);
    // Sent to its participant at admission or now: the next one is a resend, resendTicks from
    // now (not at the next tick: the vote may be on its way, or the commit waiting for company).
    p.sentAtTick = this.host.now;
    if (sentEarlyTo !== r.participant) this.sendFor(r);
    if (early !== undefined && early.participant === r.participant) this.onVote(r, early);
  }

  /** A vote for our prepared record. A yes: both PREPAREs are chosen, the transfer is committed:
   *  the client hears it now and the decision follows. An abort only on a no (never on a
   *  silence: the participant may hold a yes the client was told of). */
  private onVote(r: CoordinatorRecord, m: Extract<TwoPcMessage, { type: 'vote' }>): void {
    const key = txnKey(r.clientId, r.seq);
    if (m.vote === 'yes') {
      // Our abort on its silence is on its way: the participant's yes is undone by it.
      if (this.coordinator.get(key)?.abortedOnSilence === true) return;
      // Answered now only for a PREPARE of this leader's own term. One it recovered may still
      // be aborted by the leader that chose it, deposed without knowing it (its abort on
      // silence can be adopted by a later leader): that client hears the decision once chosen.
      if (!this.answered.has(key) && this.choseInOwnTerm(r)) {
        this.answered.add(key);
        this.host.event('coordinator:committed');
        this.host.answer({ clientId: r.clientId, seq: r.seq }, { status: 'committed' });
      }
      this.decide(r, 'commit', undefined, m.prepareSlot, this.answered.has(key));
    } else if (m.reason === 'no-leader') this.markLeaderless(r);
    else if (!this.answered.has(key)) {
      const leaderless = this.coordinator.get(key)?.participantLeaderless === true;
      this.decide(r, 'abort', abortReason(r, m.reason, leaderless));
    }
  }

  private newProgress(): CoordinatorProgress {
    return {
      sentAtTick: -Infinity,
      voteDeadlineTick: this.host.now + this.settings.voteTimeoutTicks,
      participantLeaderless: false,
      tombstoneAsked: false,
      abortedOnSilence: false,
    };
  }

  /**
   * Whether this leader may abort a prepared transaction for want of a vote: only when it chose
   * the PREPARE itself, in its current term (above the slots it recovered), and has not told
   * the client committed. Then no other leader can have told it so: an earlier one never
   * applied that slot while leading, and a later one recovered it, so it answers that client
   * only once its decision is chosen (onVote), and the first decision chosen is the outcome
   * (our abort may be adopted by a later leader even after we were deposed). A participant
   * that chooses its PREPARE afterwards votes yes to a decided record and is sent the abort.
   */
  protected mayAbortOnSilence(r: CoordinatorRecord): boolean {
    return this.choseInOwnTerm(r) && !this.answered.has(txnKey(r.clientId, r.seq));
  }

  /** This leader chose the record's PREPARE itself, in its current term. */
  private choseInOwnTerm(r: CoordinatorRecord): boolean {
    const recoveredUpTo = this.host.recoveredUpTo;
    return r.slot !== undefined && recoveredUpTo !== undefined && r.slot > recoveredUpTo;
  }

  private sendFor(r: CoordinatorRecord, orAbort = false): void {
    const txn = { clientId: r.clientId, seq: r.seq };
    if (r.state === 'prepared') {
      this.host.send(r.participant, {
        type: 'prepare',
        txn,
        coordinator: this.host.cluster,
        to: r.to,
        amount: r.amount,
        from: r.from,
        fromEpoch: this.host.state.epochOf(r.from),
        ...(orAbort ? { orAbort: true as const } : {}),
      });
    } else {
      const prepareSlot = r.state === 'committed' && r.prepareSlot !== undefined ? { prepareSlot: r.prepareSlot } : {};
      this.host.send(r.participant, {
        type: 'decision',
        txn,
        coordinator: this.host.cluster,
        decision: r.state === 'committed' ? 'commit' : 'abort',
        ...prepareSlot,
      });
    }
  }

  private decide(
    r: CoordinatorRecord,
    decision: 'commit' | 'abort',
    reason?: string,
    prepareSlot?: number,
    clientTold = false,
  ): void {
    const op =
      reason === undefined
        ? { kind: 'x-decide' as const, role: 'coordinator' as const, decision, peer: r.participant }
        : { kind: 'x-decide' as const, role: 'coordinator' as const, decision, reason, peer: r.participant };
    this.propose(
      { clientId: r.clientId, seq: r.seq, op: prepareSlot === undefined ? op : { ...op, prepareSlot } },
      decision === 'commit' && clientTold,
    );
  }

  /** The participant's cluster says it has no leader: a PREPARE of our own term is aborted on
   *  silence after half the vote timeout from now (no-quorum is what its client learns, within
   *  its deadline; an election there takes well under that). */
  private markLeaderless(r: CoordinatorRecord): void {
    const p = this.coordinator.get(txnKey(r.clientId, r.seq));
    if (p === undefined) return;
    p.participantLeaderless = true;
    p.voteDeadlineTick = Math.min(p.voteDeadlineTick, this.host.now + Math.ceil(this.settings.voteTimeoutTicks / 2));
  }

  private onPrepare(m: Extract<TwoPcMessage, { type: 'prepare' }>): void {
    const r = this.host.state.twoPc.participantRecord(txnKey(m.txn.clientId, m.txn.seq));
    const cluster = this.host.cluster;
    if (r !== undefined) {
      // We already chose our answer: repeat it (the first vote may have been lost). Only to
      // the record's coordinator: another cluster sending a PREPARE of the same transaction is
      // the sender's account's new home (an early PREPARE from its old one was refused there);
      // a yes to it would commit there while the old home's presumed abort undoes our credit.
      this.host.send(
        m.coordinator,
        r.coordinator === m.coordinator
          ? voteFor(r, cluster)
          : { type: 'vote', txn: m.txn, participant: cluster, vote: 'no', reason: otherCoordinatorReason },
      );
      return;
    }
    // A tombstone request: choose an ABORT in our log, so that the PREPARE (a copy late or
    // still on its way) can never be chosen after it, and the coordinator may abort on our no.
    const tombstone = m.orAbort === true ? { abort: tombstoneReason } : {};
    const from = m.from === undefined ? {} : { from: m.from };
    const fromEpoch = m.fromEpoch === undefined ? {} : { fromEpoch: m.fromEpoch };
    this.propose({
      clientId: m.txn.clientId,
      seq: m.txn.seq,
      op: {
        kind: 'x-prepare-participant',
        to: m.to,
        amount: m.amount,
        coordinator: m.coordinator,
        ...from,
        ...fromEpoch,
        ...tombstone,
      },
    });
  }

  /** A participant that voted yes asks what was decided. */
  private onQuery(
    txn: TxnId,
    participant: ClusterId,
    from: AccountId | undefined,
    fromEpoch: number | undefined,
  ): void {
    const key = txnKey(txn.clientId, txn.seq);
    const r = this.host.state.twoPc.coordinatorRecord(key);
    if (r !== undefined) {
      if (r.state !== 'prepared') this.sendFor(r);
      return; // still collecting the vote: the decision comes when it is chosen
    }
    const session = this.host.state.sessionOf(txn.clientId);
    if (session !== undefined && session.seq >= txn.seq) {
      // Decided and forgotten: the participant acknowledged the decision before we forgot it,
      // so a prepared record there now is a repeated PREPARE that arrived after it forgot the
      // transaction. Abort undoes that repeat (a real commit was applied long ago and ignores it).
      this.host.send(participant, { type: 'decision', txn, coordinator: this.host.cluster, decision: 'abort' });
      return;
    }
    // Our own PREPARE of it is on its way (sent to the participant in parallel): once applied
    // it is decided from the vote; the participant asks again meanwhile.
    if (this.preparing.has(key)) return;
    // No record and no session covering it: presumed abort. It goes through our log before the
    // participant hears it, so it is sent by the leader that chose it (onApplied). Applied, it
    // is the tombstone that a PREPARE chosen after it (one a deposed leader proposed) finds in
    // the session, or nothing where a PREPARE was chosen before it (decideCoordinator).
    this.propose({
      clientId: txn.clientId,
      seq: txn.seq,
      op: {
        kind: 'x-decide',
        role: 'coordinator',
        decision: 'abort',
        reason: 'timeout',
        peer: participant,
        presumed: true,
        ...(from === undefined ? {} : { from }),
        ...(fromEpoch === undefined ? {} : { fromEpoch }),
      },
    });
  }
}

/**
 * The participant's vote, from its record (the same whether the PREPARE was just chosen or is
 * a repeat). Committed means the coordinator decided commit: its record is no longer prepared,
 * so this is a stale copy (any vote is ignored there) or a second PREPARE of the same transfer
 * by a coordinator that forgot it. A yes would make that second debit commit with no credit
 * here: vote no (`duplicate`), so it is undone. A yes names the slot that chose the PREPARE,
 * which the commit carries back (see decideParticipant in apply-step.ts: `superseded`).
 */
function voteFor(r: ParticipantRecord, participant: ClusterId): TwoPcMessage {
  const txn: TxnId = { clientId: r.clientId, seq: r.seq };
  if (r.state === 'committed') return { type: 'vote', txn, participant, vote: 'no', reason: duplicatePrepare };
  if (r.state === 'aborted') return { type: 'vote', txn, participant, vote: 'no', reason: r.reason ?? 'aborted' };
  return { type: 'vote', txn, participant, vote: 'yes', prepareSlot: r.slot };
}

/**
 * The reason a coordinator aborts with after a no vote, rebuilt from its own record rather than
 * copied from the message: `locked` and `duplicate` as they are, a receiver the participant does
 * not hold (resharding moved it) as a wrong shard for that receiver, so the client sends the
 * transfer again as a new transaction once the map has the move; anything else
 * `participant-aborted`.
 */
function abortReason(record: CoordinatorRecord, reason: string | undefined, leaderless: boolean): string {
  // A tombstone the coordinator asked for after its vote timeout: the old timeout abort.
  if (reason === tombstoneReason) return leaderless ? 'no-quorum' : 'timeout';
  if (reason === lockedReason || reason === duplicatePrepare) return reason;
  if (reason === wrongShardReason(record.to)) return reason;
  return 'participant-aborted';
}
