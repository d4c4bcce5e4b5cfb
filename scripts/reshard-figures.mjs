// The figures of a reshard under load (docs/resharding.md): how long a reshard of ~1,000 accounts
// takes, and the longest gap between commits while it runs. On a running cluster (built first:
// `npm run build`, then `ledger cluster start --detach --data-dir D`):
//   node scripts/reshard-figures.mjs D          (GROUPS=250 WARM=4000 by default; DRY=1 also
//                                               times a dry run)
// It warms the histories with a community workload (tests/integration/community-load.ts: groups
// of accounts that trade only among themselves, spread over the clusters), keeps three clients
// sending while `ledger reshard` runs, then replays every transfer against the final balances
// and audits the money.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
const [dataDir] = process.argv.slice(2);
if (dataDir === undefined) {
  console.error('usage: node scripts/reshard-figures.mjs DATA_DIR (of a running cluster)');
  process.exit(2);
}
const wt = join(dirname(fileURLToPath(import.meta.url)), '..');
const { Communities, CommunityLoad, replayViolations } = await import(`${wt}/dist/tests/integration/community-load.js`);
const { checkConsistency } = await import(`${wt}/dist/src/client/consistency.js`);
const { defaultTopology } = await import(`${wt}/dist/src/ledger/topology.js`);
const natsUrl = JSON.parse(readFileSync(`${dataDir}/cluster.json`, 'utf8')).natsUrl;
const groups = Number(process.env.GROUPS ?? 250),
  warm = Number(process.env.WARM ?? 4000);
const communities = new Communities(groups, 2, 100, 0); // uniform over groups
const warmup = await CommunityLoad.connect(natsUrl, communities, 1);
let t0 = performance.now();
await warmup.run(warm, 16);
console.log(`warm-up: ${warm} transfers in ${Math.round(performance.now() - t0)} ms`);
if (process.env.DRY) {
  const d0 = performance.now();
  const dry = spawn(process.execPath, [`${wt}/bin/run.js`, 'reshard', '--dry-run', '--json', '--data-dir', dataDir], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let dout = '';
  dry.stdout.on('data', (d) => (dout += d));
  await new Promise((r) => dry.on('exit', r));
  const p = JSON.parse(dout).plan;
  console.log(
    `dry run (CLI wall time, no load): ${Math.round(performance.now() - d0)} ms, ${p.moves.length} moves planned`,
  );
}
const loads = await Promise.all([2, 3, 4].map((s) => CommunityLoad.connect(natsUrl, communities, s)));
for (const l of loads) l.start(2);
await new Promise((r) => setTimeout(r, 2000));
const start = performance.now();
const child = spawn(process.execPath, [`${wt}/bin/run.js`, 'reshard', '--data-dir', dataDir], {
  stdio: ['ignore', 'pipe', 'inherit'],
});
let out = '';
child.stdout.on('data', (d) => (out += d));
await new Promise((r) => child.on('exit', r));
const end = performance.now();
await new Promise((r) => setTimeout(r, 2000));
for (const l of loads) await l.stop();
const all = [warmup, ...loads].flatMap((l) => l.transfers);
const times = all
  .filter((x) => x.status === 'committed')
  .map((x) => x.answeredAtMs)
  .sort((a, b) => a - b);
const s = times.filter((x) => x <= start).pop() ?? start,
  e = times.find((x) => x >= end) ?? end;
const inside = [s, ...times.filter((x) => x > s && x < e), e];
let gap = 0;
for (let i = 1; i < inside.length; i++) gap = Math.max(gap, inside[i] - inside[i - 1]);
const lines = out.split('\n');
console.log(lines.filter((l) => !l.startsWith('(')).join('\n'));
console.log(`triplets printed: ${lines.filter((l) => l.startsWith('(')).length}`);
console.log(
  `reshard CLI wall time ${Math.round(end - start)} ms; commits during it ${times.filter((x) => x >= start && x <= end).length}; longest commit gap ${Math.round(gap)} ms`,
);
const finals = new Map();
for (const a of communities.accounts) finals.set(a, (await warmup.client.balance(a)).balance);
console.log('replay violations', replayViolations(communities.groups, all, finals, 10).length);
const audit = await checkConsistency(warmup.client, defaultTopology, 20000);
console.log('audit ok', audit.ok, JSON.stringify(audit.money));
const counts = {};
for (const x of all) counts[x.status] = (counts[x.status] ?? 0) + 1;
console.log(counts);
for (const l of [warmup, ...loads]) await l.close();
