import { Args } from '@oclif/core';
import { LedgerCommand } from '../../src/cli/base-command.js';
import { compareReports, readReport, type Comparison } from '../../bench/compare.js';
import { comparisonText } from '../../bench/render-text.js';

export default class BenchCompare extends LedgerCommand<typeof BenchCompare> {
  static override summary = 'Compare two benchmark reports side by side, with ratios B / A';
  static override description = `Reads two reports (bench.json from \`ledger bench --out DIR\`, or saved \`ledger bench --json\`) and shows, for all transactions and per type (read, intra, cross), the count, successful throughput, latency percentiles and outcome rates of A and B with the ratio B / A ("=" where both are 0, "new" where only B has a value).`;
  static override examples = [
    '<%= config.bin %> bench compare before/bench.json after/bench.json',
    '<%= config.bin %> bench compare a.json b.json --json',
  ];
  static override args = {
    a: Args.string({ description: 'the baseline report (A)', required: true }),
    b: Args.string({ description: 'the report to compare with it (B)', required: true }),
  };

  async run(): Promise<Comparison> {
    const comparison = compareReports(readReport(this.args.a), readReport(this.args.b), {
      a: this.args.a,
      b: this.args.b,
    });
    this.log(comparisonText(comparison));
    return comparison;
  }
}
