import assert from 'node:assert/strict';
import { test } from 'node:test';
import { judge } from './judge.js';
import { faultKinds } from './nemesis.js';
import { runChaos } from './run.js';
import { defaultShape } from './workload.js';

// The short version of the chaos suite inside `npm test` (docs/chaos.md): one run on a fresh
// system with every fault kind at least once, judged by every checker. The long version is
// `npm run test:chaos -- --runs 20 --seconds 60`.
test('a short chaos run: every fault kind, every checker, no violation', async () => {
  const seed = Number(process.env.LEDGER_CHAOS_SEED ?? 1);
  // The load lasts until every kind was injected (Nemesis.run), however long that takes here.
  const seconds = 50;
  const started = Date.now();
  const output = await runChaos({
    seed,
    seconds,
    shape: defaultShape,
    kinds: faultKinds,
    everyKind: true,
    log: (line) => process.stdout.write(`# ${line}\n`),
  });
  const report = judge(1, seconds, Date.now() - started, output);
  process.stdout.write(`# ${JSON.stringify({ ...report, violationMessages: undefined })}\n`);
  assert.deepEqual(report.violationMessages, [], 'the checkers found violations');
  assert.ok(report.ok);
  for (const kind of faultKinds) assert.ok((report.faultsByKind[kind] ?? 0) >= 1, `no ${kind} fault was injected`);
  assert.ok((report.operations.committed ?? 0) > 0, 'nothing committed');
});
