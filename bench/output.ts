import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { LedgerError } from '../src/core/errors.js';
import { formatHgrm } from './hgrm.js';
import { htmlReport } from './html-report.js';
import type { RecordedRun } from '../src/load/merge.js';
import { seriesNames, type BenchReport } from './report.js';

/**
 * `--out DIR`: bench.json (the --json document), report.html, and per series (all, read,
 * intra, cross; those with answers) latency-SERIES.hgrm and service-SERIES.hgrm.
 */
export function writeOutputs(dir: string, report: BenchReport, recorder: RecordedRun): string[] {
  const out = resolve(dir);
  const written: string[] = [];
  const write = (name: string, text: string) => {
    const file = join(out, name);
    writeFileSync(file, text);
    written.push(file);
  };
  try {
    mkdirSync(out, { recursive: true });
    write('bench.json', `${JSON.stringify(report, null, 2)}\n`);
    for (const s of seriesNames) {
      const r = s === 'all' ? recorder.all : recorder.byType[s];
      if (r.latency.totalCount === 0) continue;
      write(`latency-${s}.hgrm`, formatHgrm(r.latency));
      write(`service-${s}.hgrm`, formatHgrm(r.service));
    }
    write('report.html', htmlReport(report));
  } catch (error) {
    throw new LedgerError('storage', `cannot write the report to ${out}: ${(error as Error).message}`, {
      hint: 'pass --out a directory you can write to',
      cause: error,
    });
  }
  return written;
}
