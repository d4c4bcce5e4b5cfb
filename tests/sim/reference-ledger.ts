import type { Command, Outcome } from '../../src/ledger/commands.js';

/**
 * The specification of a shard's state machine, written independently of src/ledger/state.ts:
 * a transfer (client, seq) runs the first time it appears in the chosen log with a sequence
 * above the client's last one, and only if the sender has the funds. The simulator replays the
 * chosen log through it and compares every replica's balances with it.
 */
export class ReferenceLedger {
  readonly balances: Map<number, number>;
  private readonly lastSeq = new Map<string, number>();
  /** The outcome of each transfer's first execution, by "client#seq". */
  readonly outcomes = new Map<string, Outcome>();

  constructor(accounts: number[], initialBalance: number) {
    this.balances = new Map(accounts.map((a) => [a, initialBalance]));
  }

  apply(commands: readonly Command[]): void {
    for (const c of commands) {
      if (c.op.kind !== 'transfer') continue;
      const last = this.lastSeq.get(c.clientId) ?? 0;
      if (c.seq <= last) continue;
      this.lastSeq.set(c.clientId, c.seq);
      const { from, to, amount } = c.op;
      const have = this.balances.get(from) ?? 0;
      let outcome: Outcome;
      if (have >= amount) {
        this.balances.set(from, have - amount);
        this.balances.set(to, (this.balances.get(to) ?? 0) + amount);
        outcome = { status: 'committed' };
      } else {
        outcome = { status: 'insufficient-funds', balance: have };
      }
      this.outcomes.set(`${c.clientId}#${c.seq}`, outcome);
    }
  }

  snapshot(): string {
    return [...this.balances.entries()].sort((a, b) => a[0] - b[0]).map(([a, b]) => `${a}:${b}`).join(',');
  }
}
