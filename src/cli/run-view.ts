import cliProgress from 'cli-progress';
import type { SetPlan } from '../testfile/plan.js';
import type { CommandResult, RunnerHooks, SetPerformance } from '../testfile/runner.js';
import type { TestCommand } from '../testfile/types.js';

/** Sets with more commands than this get a progress bar on a terminal. */
const progressBarFromCommands = 40;

/**
 * What `ledger run` shows as a set runs: a header, then one table row per command as it
 * completes (command, outcome, latency, the node that served it), with a progress bar above
 * the rows for long sets on a terminal.
 */
export class RunView {
  private bar: { multi: cliProgress.MultiBar; bar: cliProgress.SingleBar } | undefined;
  private done = 0;

  constructor(
    private readonly out: (line: string) => void,
    private readonly terminal: boolean,
    /** A note to show beside the row of a line (the demo says what each row shows). */
    private readonly notes: Record<number, string> = {},
  ) {}

  /** Stops the progress bar, if one runs (an error mid-set, or the set's end): the cursor
   *  it hid comes back. */
  close(): void {
    this.bar?.multi.stop();
    this.bar = undefined;
  }

  hooks(): Pick<RunnerHooks, 'say' | 'onSetStart' | 'onResult'> {
    return {
      say: (line) => this.out(line),
      onSetStart: (plan) => this.setStart(plan),
      onResult: (plan, index, result) => this.result(plan, index, result),
    };
  }

  private setStart(plan: SetPlan): void {
    const leaders = [...plan.leaders].map(([c, n]) => `c${c}: n${n}`).join(', ');
    const live = [...plan.live].sort((a, b) => a - b).map((n) => `n${n}`).join(', ');
    this.out('');
    this.out(`Set ${plan.set.set} (line ${plan.set.line})${plan.flush ? ', flushed' : ''}: live [${live}], leaders ${leaders}`);
    this.out(`  ${'line'.padEnd(5)} ${'command'.padEnd(20)} ${'outcome'.padEnd(44)} ${'latency'.padStart(10)}  served by`);
    this.done = 0;
    if (this.terminal && plan.set.commands.length > progressBarFromCommands) {
      const multi = new cliProgress.MultiBar({ stream: process.stdout, format: '  set {set} [{bar}] {value}/{total} commands', hideCursor: true, clearOnComplete: true }, cliProgress.Presets.shades_classic);
      this.bar = { multi, bar: multi.create(plan.set.commands.length, 0, { set: plan.set.set }) };
    }
  }

  private result(plan: SetPlan, index: number, result: CommandResult): void {
    const command = plan.set.commands[index] as TestCommand;
    const note = this.notes[command.line];
    const row = `  ${String(command.line).padEnd(5)} ${commandText(command).padEnd(20)} ${outcomeText(result).padEnd(44)} ${latencyText(result).padStart(10)}  ${servedText(result).padEnd(9)}${note === undefined ? '' : `  ${note}`}`.trimEnd();
    this.done++;
    if (this.bar === undefined) {
      this.out(row);
      return;
    }
    this.bar.multi.log(`${row}\n`);
    this.bar.bar.update(this.done);
    if (this.done === plan.set.commands.length) {
      this.bar.multi.stop();
      this.bar = undefined;
    }
  }
}

export function commandText(command: TestCommand): string {
  switch (command.op) {
    case 'transfer':
      return `(${command.from}, ${command.to}, ${command.amount})`;
    case 'balance':
      return `(${command.account})`;
    case 'fail':
      return `F(n${command.node})`;
    case 'recover':
      return `R(n${command.node})`;
  }
}

export function outcomeText(result: CommandResult): string {
  switch (result.op) {
    case 'transfer':
      return result.status === 'committed' ? 'committed' : `${result.status}${result.reason === undefined ? '' : `: ${result.reason}`}`.slice(0, 44);
    case 'balance':
      if (result.balance !== null) return `balance ${result.balance}`;
      return `${result.notSent === true ? 'unavailable' : 'no answer'}: ${result.reason ?? ''}`.slice(0, 44);
    case 'fail':
      return `n${result.node} failed`;
    case 'recover':
      return `n${result.node} recovered`;
  }
}

function latencyText(result: CommandResult): string {
  return result.op === 'transfer' || result.op === 'balance' ? `${result.latencyMs.toFixed(1)} ms` : '';
}

function servedText(result: CommandResult): string {
  return (result.op === 'transfer' || result.op === 'balance') && result.servedBy !== undefined ? `n${result.servedBy}` : '';
}

/** The Performance view of a set. */
export function performanceLines(p: SetPerformance): string[] {
  const l = p.latencyMs;
  const t = p.transfers;
  return [
    `  ${p.transactions} transactions in ${p.seconds.toFixed(2)} s: ${p.throughputPerSecond.toFixed(1)} per second`,
    `  latency p50 ${l.p50.toFixed(1)} ms, p90 ${l.p90.toFixed(1)} ms, p99 ${l.p99.toFixed(1)} ms, max ${l.max.toFixed(1)} ms`,
    `  transfers: committed ${t.committed}, insufficient-funds ${t['insufficient-funds']}, aborted ${t.aborted}, unknown ${t.unknown}, unavailable (not sent) ${t.unavailable}; reads: answered ${p.reads.answered}, unanswered ${p.reads.unanswered}, not sent ${p.reads.notSent}`,
  ];
}
