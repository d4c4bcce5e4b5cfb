import type { Outcome } from '../../src/protocol/commands.js';

/**
 * Counts the executions of each client command (client, seq) from what the cluster reports,
 * not from the sessions the implementation keeps: every definite answer names the slot in
 * which its command took effect, and a command that took effect in two slots ran twice.
 * Definite answers to one command must also agree with each other and, at the end, with the
 * specification's outcome (see ReferenceLedger). `stale-sequence` is not an answer about the
 * outcome ("too old to tell"), so it is neither counted nor compared.
 */
export class ExecutionCount {
  private readonly slots = new Map<string, number>();
  private readonly answers = new Map<string, Outcome>();

  /** Returns a complaint when the report contradicts an earlier one. */
  report(key: string, outcome: Outcome, slot: number | undefined, cluster = 0): string | undefined {
    if (outcome.status === 'ok' || outcome.status === 'rejected') return undefined;
    const before = this.answers.get(key);
    if (before !== undefined && JSON.stringify(before) !== JSON.stringify(outcome)) {
      return `${key} was answered ${JSON.stringify(before)} and later ${JSON.stringify(outcome)}`;
    }
    this.answers.set(key, outcome);
    if (slot === undefined) return undefined;
    // Slots of one cluster's log only: a move's session answers at the destination with the
    // slot it arrived in (running in two clusters is checked on the chosen logs instead).
    const first = this.slots.get(`${key}@c${cluster}`);
    if (first !== undefined && first !== slot) return `${key} executed twice: in slot ${first} and in slot ${slot}`;
    this.slots.set(`${key}@c${cluster}`, slot);
    return undefined;
  }

  /** Every definite answer given, by command key. */
  definiteAnswers(): IterableIterator<[string, Outcome]> {
    return this.answers.entries();
  }
}
