#!/usr/bin/env node
// `npm run test:chaos -- --runs N --seconds S [--seed X]`: the chaos suite over real processes
// (docs/chaos.md). Each run starts a fresh system, drives the bank workload from 64 recording
// clients while the nemesis injects faults, heals, waits for quiescence and judges the history
// with the checkers in tests/chaos/checkers. Writes one JSON report, one readable summary and
// the compressed history per run into --out, and the suite's figures at the end. Exits 1 when
// any checker found a violation.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';
import { runAbusePhase, type AbuseReport } from './abuse-phase.js';
import { judge } from './judge.js';
import { faultKinds, type FaultKind } from './nemesis.js';
import { summarize, summaryText, type RunReport } from './report.js';
import { runChaos } from './run.js';
import { defaultShape } from './workload.js';

const usage = `usage: npm run test:chaos -- [--runs N] [--seconds S] [--seed X] [--kinds K,K...] [--every-kind]
                              [--clients C] [--abuse COUNT] [--flood-seconds S] [--out DIR]
  --runs N        runs, each on a fresh system (default 1; 0: the abuse phase alone)
  --seconds S     seconds of load per run (default 60)
  --seed X        seed of the first run; run i uses X+i (default: drawn, and printed)
  --kinds LIST    fault kinds to draw from (default: all): ${faultKinds.join(', ')}
  --every-kind    take the kinds in a shuffled cycle, so each one appears (the short version)
  --clients C     recording clients (default ${defaultShape.clients})
  --abuse COUNT   malformed client requests and mutated protocol messages, COUNT of each, on a
                  fresh system before the runs (default 100000; 0 skips it)
  --flood-seconds S  then a single-client flood: normal clients measured S s alone and S s
                  during it (default 10; 0 skips it)
  --out DIR       where the reports go (default: chaos-reports)
A failed run is replayed with --seed (the same fault schedule and operations; timing differs).`;

function fail(message: string): never {
  process.stderr.write(`test:chaos: ${message}\n${usage}\n`);
  process.exit(2);
}

function positive(name: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n <= 0)
    fail(`--${name} must be a positive whole number, got ${JSON.stringify(text)}`);
  return n;
}

async function main(): Promise<void> {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        runs: { type: 'string' },
        seconds: { type: 'string' },
        seed: { type: 'string' },
        kinds: { type: 'string' },
        'every-kind': { type: 'boolean', default: false },
        clients: { type: 'string' },
        abuse: { type: 'string' },
        'flood-seconds': { type: 'string' },
        out: { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }));
  } catch (error) {
    fail((error as Error).message);
  }
  if (values.help) {
    process.stdout.write(`${usage}\n`);
    return;
  }
  const runs = nonNegative('runs', values.runs, 1);
  const seconds = positive('seconds', values.seconds, 60);
  if (seconds < 20) fail('--seconds must be at least 20: faults stop 12 s before the end, so recovery shows');
  const firstSeed = positive('seed', values.seed, 1 + Math.floor(Math.random() * 1_000_000));
  const clients = positive('clients', values.clients, defaultShape.clients);
  const kinds = (values.kinds?.split(',') ?? [...faultKinds]) as FaultKind[];
  for (const k of kinds) if (!faultKinds.includes(k)) fail(`unknown fault kind ${JSON.stringify(k)}`);
  const abuseCount = nonNegative('abuse', values.abuse, 100_000);
  const floodSeconds = nonNegative('flood-seconds', values['flood-seconds'], 10);
  const outDir = resolve(values.out ?? 'chaos-reports');
  mkdirSync(outDir, { recursive: true });

  const log = (line: string) => process.stdout.write(`${new Date().toISOString().slice(11, 19)} ${line}\n`);
  log(`chaos: ${runs} run(s) of ${seconds} s from seed ${firstSeed}; reports in ${outDir}`);
  let abuse: AbuseReport | undefined;
  if (abuseCount > 0 || floodSeconds > 0) {
    abuse = await runAbusePhase(abuseCount, floodSeconds, firstSeed, log);
    writeFileSync(join(outDir, 'abuse.json'), `${JSON.stringify(abuse, null, 2)}\n`);
    log(`abuse: ${abuse.violations.length === 0 ? 'passed' : 'FAILED'}\n${abuseText(abuse)}`);
  }
  const reports: RunReport[] = [];
  for (let run = 1; run <= runs; run++) {
    const seed = firstSeed + run - 1;
    const started = Date.now();
    const output = await runChaos({
      seed,
      seconds,
      shape: { ...defaultShape, clients },
      kinds,
      everyKind: values['every-kind'],
      log,
    });
    const report = judge(run, seconds, Date.now() - started, output);
    reports.push(report);
    const base = join(outDir, `run-${run}-seed-${seed}`);
    writeFileSync(`${base}.json`, `${JSON.stringify(report, null, 2)}\n`);
    writeFileSync(`${base}.txt`, `${summaryText(summarize([report]))}\n${violationLines(report)}`);
    writeFileSync(`${base}.record.json.gz`, gzipSync(JSON.stringify(output.record)));
    log(`run ${run} (seed ${seed}): ${report.ok ? 'passed' : 'FAILED'}\n${violationLines(report)}`);
  }
  const summary = summarize(reports);
  const text = `${summaryText(summary)}\n${abuse === undefined ? '' : abuseText(abuse)}`;
  writeFileSync(join(outDir, 'summary.json'), `${JSON.stringify({ firstSeed, seconds, summary, abuse }, null, 2)}\n`);
  writeFileSync(join(outDir, 'summary.txt'), text);
  process.stdout.write(`\n${text}`);
  if (summary.failedRuns.length > 0 || (abuse?.violations.length ?? 0) > 0) process.exitCode = 1;
}

function nonNegative(name: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < 0)
    fail(`--${name} must be a whole number, 0 or more, got ${JSON.stringify(text)}`);
  return n;
}

/** The abuse phase's figures, readable. */
function abuseText(a: AbuseReport): string {
  const c = a.clientRequests;
  const lines = [
    `abuse: ${c.sent} malformed client requests: ${c.refused} refused with a reason, ${c.sentWithoutReply} without a reply subject, ` +
      `${c.noAnswer} unanswered, otherwise ${JSON.stringify(c.answeredOtherwise)}; ` +
      `${a.protocolMessages.sent} mutated protocol messages, ${a.protocolMessages.answered} answered`,
  ];
  if (a.flood !== null) {
    const { without, with: during } = a.flood;
    lines.push(
      `flood (one client, ${a.flood.options.floodInFlight} in flight, its own process): normal clients alone ` +
        `${without.throughputPerSecond}/s p50 ${without.p50Ms} ms p99 ${without.p99Ms} ms; during it ` +
        `${during.throughputPerSecond}/s p50 ${during.p50Ms} ms p99 ${during.p99Ms} ms max ${during.maxMs} ms; ` +
        `the flood got ${JSON.stringify(during.flood.answers)}`,
    );
  }
  lines.push(`abuse violations: ${a.violations.length}${a.violations.map((v) => `\n  ${v}`).join('')}`);
  return `${lines.join('\n')}\n`;
}

function violationLines(report: RunReport): string {
  return report.violationMessages.map((v) => `  ${v.checker}: ${v.message}\n`).join('');
}

main().catch((error: unknown) => {
  process.stderr.write(`test:chaos: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
