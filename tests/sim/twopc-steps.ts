import type { Batch, Outcome } from '../../src/protocol/commands.js';

/**
 * Counts the steps of cross-shard transfers a seed reached, from the chosen logs and the
 * answers, so a replay (`--seed S --verbose`) shows that the parallel-commit paths ran:
 * answers given before the decision was chosen, participants' tombstones, presumed aborts.
 * Only counts: the checks that judge these steps are the reference ledger's and the answers'.
 */
export class TwoPcStepCount {
  readonly counts = new Map<string, number>();

  /** A slot chosen in some cluster's log (each slot once). */
  onChosen(value: Batch | null): void {
    for (const { op } of value ?? []) {
      if (op.kind === 'x-prepare-coordinator')
        this.add(op.abort === undefined ? 'coordinator-prepare' : 'coordinator-prepare-refused');
      else if (op.kind === 'x-prepare-participant')
        this.add(
          op.abort === 'timeout'
            ? 'participant-tombstone'
            : op.abort === undefined
              ? 'participant-prepare'
              : 'participant-prepare-refused',
        );
      else if (op.kind === 'x-decide') this.add(`${op.role}-${op.decision}${op.presumed === true ? '-presumed' : ''}`);
    }
  }

  /** A client's answer to a transfer; `decided`: its coordinator's log holds its outcome. A
   *  commit answered before that was given once both PREPAREs were chosen (parallel commit). */
  onAnswer(outcome: Outcome, decided: boolean): void {
    if (outcome.status === 'committed' && !decided) this.add('answered-committed-before-decision');
  }

  text(): string {
    return [...this.counts.entries()]
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([k, n]) => `${k}=${n}`)
      .join(' ');
  }

  private add(key: string): void {
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
  }
}
