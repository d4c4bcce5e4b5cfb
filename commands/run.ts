import { Args, Flags } from '@oclif/core';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { LedgerCommand } from '../src/cli/base-command.js';
import type { StopSignal } from '../src/process/exit.js';
import { afterSetMenu } from '../src/cli/run-menu.js';
import { performanceLines, RunView } from '../src/cli/run-view.js';
import { badInput } from '../src/core/errors.js';
import { consistencies, type Consistency } from '../src/protocol/commands.js';
import { parseTestFile } from '../src/testfile/parse.js';
import { parseSetShape, planRun } from '../src/testfile/plan.js';
import { TestRunner, type RunReport } from '../src/testfile/runner.js';
import { pickSets } from '../src/testfile/pick-sets.js';
import { setReshardLines } from '../src/testfile/set-reshard.js';

export default class Run extends LedgerCommand<typeof Run> {
  static override summary = 'Run the test sets of a CSV file, with the menu after each set';
  static override description = `Reads the whole file first: a malformed row, an account or node that does not exist, stops the run with the line and what was expected before anything runs.

Test files come in two dialects (also in the README, "Test files"):
- 3 columns: Set Number,Transactions,Live Nodes (header optional). Before each set the whole system is flushed to its initial state (balances, logs, locks, sessions, views), nodes missing from the live list start failed, and the first live node of each cluster leads.
- 4 columns: Set,Transactions,Live Servers,Contact Servers. State carries over from set to set; each set recovers its live servers, fails the others, and makes each cluster's contact server its leader, which receives that cluster's requests.

Commands: "(s, r, amt)" transfer, (s) or -s balance read, F(nK) fail, R(nK) recover. Before F(nK) the run waits, at most 2 s, until no live node has a cross-shard transfer in flight: a transfer is answered committed before its decision is chosen (docs/test-files.md).

The run starts its own local cluster in <data-dir>/run (wiped first) and stops it at the end. A set naming more nodes than 3 x 3 (the Fall-2025 file's set 15 lists n1..n23) runs on a cluster reconfigured for it: of 3, 5 and 7 nodes per cluster, the shape in which its live list gives the most clusters a majority (set 15: 5 clusters x 5); --set-shape overrides the guess.

On a terminal, each command's outcome appears as it completes and a menu follows each set (PrintBalance, PrintDB, PrintView, Performance, PrintReshard, next, skip, quit). PrintReshard reshards over the set's history (after a flush it holds only that set's transfers; METIS seed 1, as \`ledger reshard\`), carries the moves out and prints them as triplets, (account, cSOURCE, cDESTINATION), with the cross-shard share before → after; PrintBalance then reads a moved account at its new home. --reshard-after-each-set does the same after every set without a terminal. The next set's flush returns every account to its initial cluster. A restart of the run's nats-server does not end it: requests wait for the connection (up to --deadline-ms) and the set goes on. --json prints one document: {"sets":[{"set":N,"results":[...],"performance":{...}}]} with one result per command row, and with --reshard-after-each-set a "reshard" per set: {"moves":[{"account","from","to"}],"triplets":["(4001, c2, c1)"],"historyTransfers","crossShareBefore","crossShareAfter"} (or {"error"} when it could not be done; the run goes on).`;
  static override examples = [
    '<%= config.bin %> run infra/demo-tests.csv',
    '<%= config.bin %> run tests.csv --no-interactive',
    '<%= config.bin %> run tests.csv --concurrent --json > results.json',
    '<%= config.bin %> run tests.csv --set-shape 15=5x5',
    '<%= config.bin %> run tests.csv --sets 9 --reshard-after-each-set',
  ];
  static override args = { file: Args.string({ description: 'the CSV test file', required: true }) };
  static override flags = {
    concurrent: Flags.boolean({
      description: 'run the transactions between two F/R commands in parallel (F/R order is kept)',
      default: false,
    }),
    concurrency: Flags.integer({
      description: 'with --concurrent, at most this many transactions at once',
      default: 64,
      min: 1,
      max: 1024,
    }),
    interactive: Flags.boolean({
      description: 'show the menu after each set (only on a terminal, never with --json)',
      default: true,
      allowNo: true,
    }),
    flush: Flags.boolean({
      description: 'flush to the initial state before each set (three-column files)',
      default: true,
      allowNo: true,
    }),
    consistency: Flags.string({
      description: 'how balance reads are served: linearizable, leader or any (see `ledger balance --help`)',
      options: [...consistencies],
      default: 'linearizable',
    }),
    'deadline-ms': Flags.integer({
      description:
        'a transfer with no answer by then is reported unknown (unavailable if never sent, for want of a connection to NATS), and so is a read left unanswered',
      default: 3_000,
      min: 100,
    }),
    accounts: Flags.integer({
      description: 'total accounts, split evenly between clusters [default: 9000; 3000 for four-column files]',
      min: 1,
    }),
    'initial-balance': Flags.integer({ description: 'what every account starts with', default: 10, min: 0 }),
    'reshard-after-each-set': Flags.boolean({
      description:
        'after each set, reshard over its history and carry the moves out (PrintReshard without the menu): the triplets print under the set and go into --json under it',
      default: false,
    }),
    sets: Flags.string({
      description:
        'run only these sets, by the number in the file, e.g. 9 or 2,9,10 (four-column files: the state the skipped sets would leave is missing)',
    }),
    'set-shape': Flags.string({
      description: 'the shape of one set, SET=CLUSTERSxNODES (repeatable), e.g. 15=5x5',
      multiple: true,
    }),
  };

  async run(): Promise<RunReport> {
    const file = resolve(this.args.file);
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (error) {
      throw badInput(
        `cannot read ${this.args.file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
        'give the path of a CSV test file',
      );
    }
    const parsed = parseTestFile(text, this.args.file);
    const allPlans = planRun(parsed, this.args.file, {
      flush: this.flags.flush,
      initialBalance: this.flags['initial-balance'],
      setShapes: new Map((this.flags['set-shape'] ?? []).map(parseSetShape)),
      ...(this.flags.accounts === undefined ? {} : { accounts: this.flags.accounts }),
    });
    const plans = this.flags.sets === undefined ? allPlans : pickSets(allPlans, this.flags.sets);
    const quiet = this.jsonEnabled();
    const terminal = !quiet && process.stdout.isTTY === true;
    const menu = terminal && process.stdin.isTTY === true && this.flags.interactive;
    const out = (line: string) => quiet || this.log(line);
    const view = new RunView(out, terminal);
    const runner = new TestRunner(
      {
        clusterDir: join(this.dataDir, 'run'),
        concurrent: this.flags.concurrent,
        concurrencyMax: this.flags.concurrency,
        consistency: this.flags.consistency as Consistency,
        deadlineMs: this.flags['deadline-ms'],
        leadTimeoutMs: 10_000,
        reshardAfterEachSet: this.flags['reshard-after-each-set'],
      },
      {
        ...view.hooks(),
        afterSet: async (plan, report, session, last) => {
          view.close();
          for (const line of performanceLines(report.performance)) out(line);
          if (report.reshard !== undefined) for (const line of setReshardLines(report.reshard)) out(line);
          return menu ? afterSetMenu(plan, report, session, out, last) : 'next';
        },
      },
    );
    // The cluster is the run's: a signal stops it before the process goes (Ctrl-C in the menu
    // ends the prompt instead, and the run returns normally).
    let signalled: StopSignal | undefined;
    const stopListening = this.onStopSignal((signal) => {
      signalled = signal;
      void runner.close().finally(() => this.exitForSignal(signal));
    });
    try {
      return await runner.run(this.args.file, parsed.dialect, plans);
    } catch (error) {
      // Requests in flight fail as the signal closes the connection: that is the signal's exit,
      // not an error of the run.
      if (signalled !== undefined) {
        await runner.close();
        this.exitForSignal(signalled);
      }
      throw error;
    } finally {
      stopListening();
      view.close();
    }
  }
}
