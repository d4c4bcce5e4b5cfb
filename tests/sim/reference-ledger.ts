import type { Command, Outcome } from '../../src/protocol/commands.js';
import type { OutboundMove } from '../../src/protocol/moves.js';

/** A move of accounts as the specification of its source chose it (see applyOne 'move-out'). */
export interface SpecMove {
  epoch: number;
  from: number;
  to: number;
  balances: Array<[number, number]>;
}

/**
 * The specification of a shard's state machine, written independently of src/ledger/state.ts:
 * a client's command (client, seq) runs the first time it appears in the chosen log with a
 * sequence above the client's last one; a cross-shard transfer debits at its coordinator's
 * PREPARE and credits at its participant's, each side undone by an abort, and an account held
 * by a prepared transaction refuses other transfers. The simulator replays each cluster's
 * chosen log through it and compares every replica's balances with it after every slot.
 */
export class ReferenceLedger {
  readonly balances: Map<number, number>;
  private readonly lastSeq = new Map<string, number>();
  /** The outcome each client command got, by "client#seq". */
  readonly outcomes = new Map<string, Outcome>();
  /** Transactions prepared here as coordinator: the debited account and amount. */
  private readonly outgoing = new Map<string, { from: number; amount: number }>();
  /** Transactions into this shard, by "client#seq", with the slot that last wrote each and the
   *  slot that prepared it. Decided ones are forgotten beyond `recordsMax`, as the bound allows
   *  (the least recently written first, then the smallest key), so a late PREPARE copy of a
   *  forgotten one prepares it again: a second preparation, which must never be credited. */
  private readonly incoming = new Map<
    string,
    {
      seq: number;
      to: number;
      amount: number;
      coordinator: number;
      state: 'prepared' | 'committed' | 'aborted';
      slot: number;
      prepareSlot: number;
    }
  >();
  /** Transactions credited for good here, never forgotten (the checker's memory). */
  private readonly committedHere = new Set<string>();
  /** Second preparations of a transaction this shard had committed and forgotten. */
  repreparations = 0;
  /** Decided incoming records forgotten (the bound reached). */
  forgotten = 0;
  private readonly held = new Set<number>();
  /** Money that left this shard in a cross-shard transfer (debited, not undone), by txn. */
  readonly debited = new Map<string, number>();
  /** Money that arrived in this shard in a cross-shard transfer (credited, not undone), by
   *  preparation ("client#seq@slot"). */
  readonly credited = new Map<string, number>();
  /** Called when a participant's decision takes effect, to check it against the coordinator;
   *  `committedBefore`: this shard had already credited the transaction for good. */
  onParticipantDecision: (
    key: string,
    decision: 'commit' | 'abort',
    coordinator: number,
    committedBefore: boolean,
  ) => void = () => undefined;

  /** Resharding (docs/resharding.md), specified here without src/ledger/moves.ts: the epoch of
   *  each account's last move this shard knows of, the moves it gave away that its log has not
   *  closed (move-done), and the moves it took in, by "from/epoch". */
  readonly epochs = new Map<number, number>();
  readonly givenAway: SpecMove[] = [];
  readonly takenIn = new Set<string>();
  /** Move-outs that took effect here. */
  movesOut = 0;
  /** Called when a move-in takes effect here, to check it against the source's log. */
  onMoveIn: (move: OutboundMove, slot: number) => void = () => undefined;

  constructor(
    accounts: number[],
    initialBalance: number,
    private readonly recordsMax: number,
    /** This shard's cluster (moves go to another one). */
    private readonly cluster = 0,
  ) {
    this.balances = new Map(accounts.map((a) => [a, initialBalance]));
  }

  /** The participant decisions the last apply() took, by transaction key: what each decided,
   *  even when a later command of the same slot forgot the record (the bound reached; seed
   *  846461918, two decisions of one client in one slot with room for one record). */
  readonly decidedInLastApply = new Map<string, 'commit' | 'abort'>();

  apply(commands: readonly Command[], slot: number): void {
    this.decidedInLastApply.clear();
    for (const c of commands) this.applyOne(c, slot);
  }

  private applyOne(c: Command, slot: number): void {
    const key = `${c.clientId}#${c.seq}`;
    const op = c.op;
    // A client's sequence only moves forward: a decision that comes after the client's later
    // requests answers its own command and leaves the client's last sequence where it is.
    const isNew = c.seq > (this.lastSeq.get(c.clientId) ?? 0);
    const finish = (outcome: Outcome) => {
      if (this.outcomes.has(key)) throw new Error(`specification: ${key} executed twice`);
      this.lastSeq.set(c.clientId, Math.max(c.seq, this.lastSeq.get(c.clientId) ?? 0));
      this.outcomes.set(key, outcome);
    };
    switch (op.kind) {
      case 'balance':
        return;
      case 'transfer': {
        // Also nothing while the same (client, seq) is a transaction in flight here: it is a
        // retry of that transfer, answered by its decision (seed 1326674604: sent again within
        // one shard once the receiver had moved here, while its cross-shard PREPARE was prepared).
        if (!isNew || this.outgoing.has(key)) return;
        // An account moved away: nothing runs, nothing is recorded (the client asks its owner).
        if (!this.balances.has(op.from) || !this.balances.has(op.to)) return;
        // Sent before its account arrived here: the same (the client's live attempt says so).
        if ((c.mapEpoch ?? 0) < (this.epochs.get(op.from) ?? 0)) return;
        if (op.abort !== undefined) return finish({ status: 'aborted', reason: op.abort });
        if (this.held.has(op.from) || this.held.has(op.to)) return finish({ status: 'aborted', reason: 'locked' });
        const have = this.balances.get(op.from) as number;
        if (have < op.amount) return finish({ status: 'insufficient-funds', balance: have });
        this.move(op.from, -op.amount);
        this.move(op.to, op.amount);
        return finish({ status: 'committed' });
      }
      case 'x-prepare-coordinator': {
        if (!isNew || this.outgoing.has(key)) return;
        if (!this.balances.has(op.from)) return;
        if ((c.mapEpoch ?? 0) < (this.epochs.get(op.from) ?? 0)) return;
        if (op.abort !== undefined) return finish({ status: 'aborted', reason: op.abort });
        if (this.held.has(op.from)) return finish({ status: 'aborted', reason: 'locked' });
        const have = this.balances.get(op.from) as number;
        if (have < op.amount) return finish({ status: 'insufficient-funds', balance: have });
        this.move(op.from, -op.amount);
        this.debited.set(key, op.amount);
        this.outgoing.set(key, { from: op.from, amount: op.amount });
        this.held.add(op.from);
        return;
      }
      case 'x-prepare-participant': {
        if (this.incoming.has(key)) return;
        const aborted = op.abort !== undefined || this.held.has(op.to) || !this.balances.has(op.to);
        if (this.committedHere.has(key)) this.repreparations++;
        this.writeIncoming(key, {
          seq: c.seq,
          to: op.to,
          amount: op.amount,
          coordinator: op.coordinator,
          state: aborted ? 'aborted' : 'prepared',
          slot,
          prepareSlot: slot,
        });
        if (!aborted) {
          this.move(op.to, op.amount);
          this.credited.set(`${key}@${slot}`, op.amount);
          this.held.add(op.to);
        }
        return;
      }
      case 'x-decide': {
        if (op.role === 'coordinator') {
          const out = this.outgoing.get(key);
          // A presumed abort (a participant asked, the leader had no record): nothing where the
          // PREPARE was chosen before it or the client's sequence is past it; else a tombstone,
          // the transaction's outcome, so that its PREPARE chosen later does nothing.
          if (op.presumed === true) {
            // Here, and not arrived again since the PREPARE the participant holds was sent.
            const here =
              op.from === undefined ||
              (this.balances.has(op.from) &&
                (op.fromEpoch === undefined || (this.epochs.get(op.from) ?? 0) <= op.fromEpoch));
            if (out === undefined && isNew && here) finish({ status: 'aborted', reason: op.reason ?? 'timeout' });
            return;
          }
          // An abort for a transaction with no record here (a presumed abort, only after its
          // session was forgotten): its outcome is unknown, nothing is recorded.
          if (out === undefined) return;
          this.outgoing.delete(key);
          this.held.delete(out.from);
          if (op.decision === 'commit') return finish({ status: 'committed' });
          this.move(out.from, out.amount);
          this.debited.delete(key);
          return finish({ status: 'aborted', reason: op.reason ?? 'participant-aborted' });
        }
        const inc = this.incoming.get(key);
        if (inc === undefined || inc.state !== 'prepared') return;
        this.held.delete(inc.to);
        // A commit names the preparation it commits; any other one is undone.
        const decision =
          op.decision === 'commit' && (op.prepareSlot === undefined || op.prepareSlot === inc.prepareSlot)
            ? 'commit'
            : 'abort';
        this.onParticipantDecision(key, decision, inc.coordinator, this.committedHere.has(key));
        this.decidedInLastApply.set(key, decision);
        this.writeIncoming(key, { ...inc, state: decision === 'commit' ? 'committed' : 'aborted', slot });
        if (decision === 'commit') this.committedHere.add(key);
        else {
          this.move(inc.to, -inc.amount);
          this.credited.delete(`${key}@${inc.prepareSlot}`);
        }
        return;
      }
      case 'x-end':
        return;
      case 'move-out': {
        // Given away all or none: accounts held here, each once, none held by a prepared
        // transfer, each at an epoch below the move's, to another cluster.
        const { accounts, to, epoch } = op;
        const ok =
          to !== this.cluster &&
          accounts.length > 0 &&
          new Set(accounts).size === accounts.length &&
          // An epoch names one move: above every epoch this shard knows.
          [...this.epochs.values()].every((e) => e < epoch) &&
          accounts.every((a) => this.balances.has(a) && !this.held.has(a) && (this.epochs.get(a) ?? 0) < epoch);
        if (!ok) return;
        const balances: Array<[number, number]> = accounts.map((a) => [a, this.balances.get(a) as number]);
        for (const a of accounts) {
          this.balances.delete(a);
          this.epochs.set(a, epoch);
        }
        this.givenAway.push({ epoch, from: this.cluster, to, balances });
        this.movesOut++;
        return;
      }
      case 'move-in': {
        const { move } = op;
        if (move.to !== this.cluster || this.takenIn.has(`${move.from}/${move.epoch}`)) return;
        if (move.balances.some(([a]) => this.balances.has(a) || (this.epochs.get(a) ?? 0) >= move.epoch)) return;
        this.onMoveIn(move, slot);
        this.takenIn.add(`${move.from}/${move.epoch}`);
        for (const [a, b] of move.balances) {
          this.balances.set(a, b);
          this.epochs.set(a, move.epoch);
        }
        // The sessions it carries: a client's sequence only moves forward.
        for (const session of move.sessions)
          this.lastSeq.set(session.clientId, Math.max(session.seq, this.lastSeq.get(session.clientId) ?? 0));
        return;
      }
      case 'move-done': {
        const i = this.givenAway.findIndex((m) => m.epoch === op.epoch);
        if (i >= 0) this.givenAway.splice(i, 1);
        return;
      }
      case 'map-merge':
        for (const e of op.entries)
          if (
            !this.balances.has(e.account) &&
            e.cluster !== this.cluster &&
            (this.epochs.get(e.account) ?? 0) < e.epoch
          )
            this.epochs.set(e.account, e.epoch);
        return;
    }
  }

  private writeIncoming(key: string, record: NonNullable<ReturnType<typeof this.incoming.get>>): void {
    this.incoming.set(key, record);
    while (this.incoming.size > this.recordsMax) {
      let victim: [string, number] | undefined;
      for (const [k, r] of this.incoming) {
        if (k === key || r.state === 'prepared') continue;
        if (victim === undefined || r.slot < victim[1] || (r.slot === victim[1] && k < victim[0])) victim = [k, r.slot];
      }
      if (victim === undefined) return;
      this.incoming.delete(victim[0]);
      this.forgotten++;
    }
  }

  private move(account: number, delta: number): void {
    this.balances.set(account, (this.balances.get(account) as number) + delta);
  }

  /** Prepared transactions still holding accounts here. */
  get preparedCount(): number {
    return this.held.size;
  }

  incomingState(key: string): 'prepared' | 'committed' | 'aborted' | undefined {
    return this.incoming.get(key)?.state;
  }

  total(): number {
    let sum = 0;
    for (const b of this.balances.values()) sum += b;
    return sum;
  }

  /** The balance without the transactions still prepared here (what a read may return). */
  committedBalance(account: number): number {
    let balance = this.balances.get(account) as number;
    for (const out of this.outgoing.values()) if (out.from === account) balance += out.amount;
    for (const inc of this.incoming.values()) if (inc.state === 'prepared' && inc.to === account) balance -= inc.amount;
    return balance;
  }

  snapshot(): string {
    return [...this.balances.entries()]
      .sort((a, b) => a[0] - b[0])
      .map(([a, b]) => `${a}:${b}`)
      .join(',');
  }
}
