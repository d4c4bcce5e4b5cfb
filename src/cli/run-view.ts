import cliProgress from 'cli-progress';
import type { SetPlan } from '../testfile/plan.js';
import type { CommandResult, RunnerHooks, SetPerformance } from '../testfile/runner.js';
import type { TestCommand } from '../testfile/types.js';
import { fixedRow, stdoutLayout, type Layout } from './render.js';

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
    private readonly layout: Layout = stdoutLayout(),
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
    const live = [...plan.live]
      .sort((a, b) => a - b)
      .map((n) => `n${n}`)
      .join(', ');
    this.out('');
    // Two lines: with nine live nodes, one would pass 80 columns.
    this.out(`Set ${plan.set.set} (line ${plan.set.line})${plan.flush ? ', flushed' : ''}: live [${live}]`);
    this.out(`  leaders ${leaders}`);
    this.out(runHead(this.layout));
    this.done = 0;
    if (this.terminal && plan.set.commands.length > progressBarFromCommands) {
      const multi = new cliProgress.MultiBar(
        {
          stream: process.stdout,
          format: '  set {set} [{bar}] {value}/{total} commands',
          hideCursor: true,
          clearOnComplete: true,
        },
        cliProgress.Presets.shades_classic,
      );
      this.bar = { multi, bar: multi.create(plan.set.commands.length, 0, { set: plan.set.set }) };
    }
  }

  private result(plan: SetPlan, index: number, result: CommandResult): void {
    const command = plan.set.commands[index] as TestCommand;
    const row = runRow(command, result, this.notes[command.line], this.layout);
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

/** The run's columns: an outcome takes what is left of the width (at least 24, at most 44). */
function runCells(layout: Layout, texts: [string, string, string, string, string]) {
  const fixed = 2 + 5 + 17 + 10 + 6 + 2 * 4;
  const outcome = Math.max(24, Math.min(44, layout.width - fixed));
  const [line, command, outcomeCell, latency, served] = texts;
  return fixedRow(
    [
      { text: '', width: 0 },
      { text: line, width: 5 },
      { text: command, width: 17 },
      { text: outcomeCell, width: outcome },
      { text: latency, width: 10, right: true },
      { text: served, width: 6 },
    ],
    { cut: !layout.plain },
  );
}

export function runHead(layout: Layout): string {
  return runCells(layout, ['line', 'command', 'outcome', 'latency', 'served']);
}

/** One command's row; a note (the demo's) follows on the row, or under it when the row would
 *  pass the terminal's width. */
export function runRow(command: TestCommand, result: CommandResult, note: string | undefined, layout: Layout): string {
  const row = runCells(layout, [
    String(command.line),
    commandText(command),
    outcomeText(result),
    latencyText(result),
    servedText(result),
  ]);
  if (note === undefined) return row;
  const width = [...row].length;
  return width + 2 + note.length <= layout.width ? `${row.padEnd(width)}  ${note}` : `${row}\n${' '.repeat(9)}${note}`;
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
      return result.status === 'committed'
        ? 'committed'
        : `${result.status}${result.reason === undefined ? '' : `: ${result.reason}`}`;
    case 'balance':
      if (result.balance !== null) return `balance ${result.balance}`;
      return `${result.notSent === true ? 'unavailable' : 'no answer'}: ${result.reason ?? ''}`;
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
  return (result.op === 'transfer' || result.op === 'balance') && result.servedBy !== undefined
    ? `n${result.servedBy}`
    : '';
}

/** The Performance view of a set. */
export function performanceLines(p: SetPerformance): string[] {
  const l = p.latencyMs;
  const t = p.transfers;
  return [
    `  ${p.transactions} transactions in ${p.seconds.toFixed(2)} s: ${p.throughputPerSecond.toFixed(1)} per second`,
    `  latency p50 ${l.p50.toFixed(1)} ms, p90 ${l.p90.toFixed(1)} ms, p99 ${l.p99.toFixed(1)} ms, max ${l.max.toFixed(1)} ms`,
    `  transfers: committed ${t.committed}, insufficient-funds ${t['insufficient-funds']}, aborted ${t.aborted},`,
    `    unknown ${t.unknown}, unavailable (not sent) ${t.unavailable}`,
    `  reads: answered ${p.reads.answered}, unanswered ${p.reads.unanswered}, not sent ${p.reads.notSent}`,
  ];
}
