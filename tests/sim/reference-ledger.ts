import type { Command, Outcome } from '../../src/ledger/commands.js';

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
  /** Transactions into this shard, by "client#seq". */
  private readonly incoming = new Map<string, { seq: number; to: number; amount: number; coordinator: number; state: 'prepared' | 'committed' | 'aborted' }>();
  private readonly held = new Set<number>();
  /** Money that left this shard in a cross-shard transfer (debited, not undone), by txn. */
  readonly debited = new Map<string, number>();
  /** Money that arrived in this shard in a cross-shard transfer (credited, not undone). */
  readonly credited = new Map<string, number>();
  /** Called when a participant's decision takes effect, to check it against the coordinator. */
  onParticipantDecision: (key: string, decision: 'commit' | 'abort', coordinator: number) => void = () => undefined;

  constructor(accounts: number[], initialBalance: number) {
    this.balances = new Map(accounts.map((a) => [a, initialBalance]));
  }

  apply(commands: readonly Command[]): void {
    for (const c of commands) this.applyOne(c);
  }

  private applyOne(c: Command): void {
    const key = `${c.clientId}#${c.seq}`;
    const op = c.op;
    const isNew = (c.seq > (this.lastSeq.get(c.clientId) ?? 0));
    const finish = (outcome: Outcome) => {
      this.lastSeq.set(c.clientId, c.seq);
      this.outcomes.set(key, outcome);
    };
    switch (op.kind) {
      case 'balance':
        return;
      case 'transfer': {
        if (!isNew) return;
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
        const aborted = op.abort !== undefined || this.held.has(op.to);
        this.incoming.set(key, { seq: c.seq, to: op.to, amount: op.amount, coordinator: op.coordinator, state: aborted ? 'aborted' : 'prepared' });
        if (!aborted) {
          this.move(op.to, op.amount);
          this.credited.set(key, op.amount);
          this.held.add(op.to);
        }
        return;
      }
      case 'x-decide': {
        if (op.role === 'coordinator') {
          const out = this.outgoing.get(key);
          if (out === undefined) {
            if (op.decision === 'abort' && isNew) finish({ status: 'aborted', reason: op.reason ?? 'timeout' });
            return;
          }
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
        this.onParticipantDecision(key, op.decision, inc.coordinator);
        inc.state = op.decision === 'commit' ? 'committed' : 'aborted';
        if (op.decision === 'abort') {
          this.move(inc.to, -inc.amount);
          this.credited.delete(key);
        }
        return;
      }
      case 'x-end':
        return;
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
    return [...this.balances.entries()].sort((a, b) => a[0] - b[0]).map(([a, b]) => `${a}:${b}`).join(',');
  }
}
