#!/usr/bin/env node
/**
 * One benchmark sitting for bench/results (the targets of issue 14): the etcd baseline, then each
 * build's runs of the target workloads, alternating builds run by run so that the machine's drift
 * falls on both alike. Each run is `ledger bench` with a fresh cluster of its own (--cluster own,
 * synchronous=FULL), --read-ratio 0, --duration; the CPU per transfer comes from bench/quick.ts
 * --cpu (the same tool on both sides). Prints a Markdown table of medians and writes every run to
 * --out as JSON.
 *
 *   node scripts/perf-sitting.mjs --build before=/work/wt-base --build after=. \
 *     [--runs 3] [--duration 20s] [--clients 1,4] [--etcd RUN_SH] [--out /tmp/sitting.json]
 *     [--only "one client, cross-shard" | --only "cross,one client,cpu"]
 *
 * A build is a checkout with dist/ built (`npx tsc -p tsconfig.json`). --clients takes effect only
 * on builds whose `ledger bench` has that flag; others run as one client.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    build: { type: 'string', multiple: true, default: [] },
    runs: { type: 'string', default: '3' },
    duration: { type: 'string', default: '20s' },
    clients: { type: 'string', default: '1' },
    // The etcd baseline's run.sh (kept outside the repository), run first when given.
    etcd: { type: 'string' },
    only: { type: 'string' },
    out: { type: 'string', default: '/tmp/perf-sitting.json' },
  },
});

const builds = values.build.map((b) => {
  const [label, dir] = b.split('=');
  if (!label || !dir) throw new Error(`--build wants LABEL=DIR, got ${b}`);
  const root = resolve(dir);
  if (!existsSync(join(root, 'dist/bench/quick.js'))) throw new Error(`${root} has no dist/: build it first`);
  const help = spawnSync(process.execPath, [join(root, 'bin/run.js'), 'bench', '--help'], { encoding: 'utf8' }).stdout;
  const commit = execFileSync('git', ['-C', root, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
  const dirty = execFileSync('git', ['-C', root, 'status', '--porcelain', '--untracked-files=no'], {
    encoding: 'utf8',
  }).trim();
  return { label, root, commit: dirty === '' ? commit : `${commit}+changes`, hasClients: help.includes('--clients') };
});
const runs = Number(values.runs);
const clientCounts = values.clients.split(',').map(Number);

/** The workloads of issue 14's table. */
const allWorkloads = [
  { name: 'intra, 192 in flight', args: ['--cross-shard', '0', '--concurrency', '192'], many: true },
  { name: '20 % cross-shard, 192 in flight', args: ['--cross-shard', '0.2', '--concurrency', '192'], many: true },
  { name: 'all cross-shard, 64 in flight', args: ['--cross-shard', '1', '--concurrency', '64'], many: true },
  { name: 'one client, intra', args: ['--cross-shard', '0', '--concurrency', '1'], many: false },
  { name: 'one client, cross-shard', args: ['--cross-shard', '1', '--concurrency', '1'], many: false },
];
/**
 * What --only names: one workload (or part of a name) as given, since names hold commas ("one
 * client, cross-shard"), or else a comma-separated list of parts ("cross,one client,cpu").
 */
const onlyParts = (() => {
  if (values.only === undefined) return undefined;
  const names = [...allWorkloads.map((w) => w.name), 'cpu'];
  if (names.some((name) => name.includes(values.only))) return [values.only];
  return values.only.split(',').map((part) => part.trim());
})();
const workloads = allWorkloads.filter((w) => onlyParts === undefined || onlyParts.some((o) => w.name.includes(o)));

const results = [];
const say = (line) => process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${line}\n`);

function benchOnce(build, workload, clients, seed) {
  const args = [join(build.root, 'bin/run.js'), 'bench', '--read-ratio', '0', '--duration', values.duration];
  args.push(...workload.args, '--cluster', 'own', '--seed', String(seed), '--json');
  if (clients > 1) args.push('--clients', String(clients));
  const run = spawnSync(process.execPath, args, { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  if (run.status !== 0) {
    say(`  failed (${run.status}): ${run.stderr.split('\n').slice(-5).join(' | ')}`);
    return undefined;
  }
  const report = JSON.parse(run.stdout);
  return {
    throughput: report.all.throughputPerSecond,
    p50: report.all.latencyMs.p50,
    p99: report.all.latencyMs.p99,
    counts: report.all.counts,
  };
}

function cpuOnce(build) {
  const run = spawnSync(
    process.execPath,
    [join(build.root, 'dist/bench/quick.js'), '--runs', '1', '--concurrency', '192', '--concurrent', '30000', '--cpu'],
    { encoding: 'utf8' },
  );
  const line = run.stdout.split('\n').find((l) => l.includes('CPU s over'));
  if (line === undefined) return undefined;
  const total = Number(/\((\d+) us a transfer\)/.exec(line)?.[1]);
  const processes = Object.fromEntries(
    [...line.matchAll(/(nats|n\d|client) (\d+\.\d+)/g)].map((m) => [m[1], Number(m[2])]),
  );
  const transfers = 30000;
  const us = (names) => (names.reduce((s, n) => s + (processes[n] ?? 0), 0) / transfers) * 1e6;
  // Leaders are the nodes with the most CPU in their cluster (they coordinate); n1, n4, n7 at start.
  const leaders = ['n1', 'n4', 'n7'];
  const followers = ['n2', 'n3', 'n5', 'n6', 'n8', 'n9'];
  return {
    totalUs: total,
    clientUs: us(['client']),
    natsUs: us(['nats']),
    leaderUs: us(leaders) / 3,
    followerUs: us(followers) / 6,
  };
}

const median = (xs) => {
  const s = xs.filter((x) => x !== undefined && !Number.isNaN(x)).sort((a, b) => a - b);
  return s.length === 0 ? Number.NaN : s[Math.floor(s.length / 2)];
};

let etcd;
if (values.etcd !== undefined) {
  say('etcd baseline: run.sh 15 1,64,192');
  const run = spawnSync('bash', [resolve(values.etcd), '15', '1,64,192'], {
    encoding: 'utf8',
  });
  etcd = run.stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l));
  for (const point of etcd) say(`  ${JSON.stringify(point)}`);
}

for (const workload of workloads) {
  const counts = workload.many ? clientCounts : [1];
  for (const clients of counts) {
    for (let run = 1; run <= runs; run++) {
      for (const build of builds) {
        if (clients > 1 && !build.hasClients) continue;
        say(`${workload.name}, ${clients} client process(es), run ${run}: ${build.label}`);
        const r = benchOnce(build, workload, clients, 2025 + run);
        if (r !== undefined)
          say(`  ${r.throughput.toFixed(0)}/s p50 ${r.p50.toFixed(2)} ms p99 ${r.p99.toFixed(1)} ms`);
        results.push({ workload: workload.name, clients, run, build: build.label, commit: build.commit, ...r });
      }
    }
  }
}
const cpu = [];
if (onlyParts === undefined || onlyParts.includes('cpu')) {
  for (let run = 1; run <= runs; run++) {
    for (const build of builds) {
      say(`CPU per transfer (quick.js --cpu, 192 in flight), run ${run}: ${build.label}`);
      const r = cpuOnce(build);
      if (r !== undefined) say(`  ${r.totalUs.toFixed(0)} us a transfer`);
      cpu.push({ run, build: build.label, commit: build.commit, ...r });
    }
  }
}
writeFileSync(values.out, JSON.stringify({ builds, etcd, results, cpu }, null, 2));

const cell = (xs, f) => {
  const m = median(xs.map(f));
  return Number.isNaN(m) ? '-' : m;
};
const header = ['figure', ...builds.map((b) => `${b.label} (${b.commit})`)];
console.log(`| ${header.join(' | ')} |`);
console.log(`|${header.map((_, i) => (i === 0 ? '---' : '---:')).join('|')}|`);
for (const workload of workloads) {
  for (const clients of workload.many ? clientCounts : [1]) {
    const row = [`${workload.name}${workload.many ? `, --clients ${clients}` : ''}`];
    for (const build of builds) {
      const mine = results.filter(
        (r) => r.workload === workload.name && r.clients === clients && r.build === build.label && r.throughput,
      );
      if (mine.length === 0) {
        row.push('-');
        continue;
      }
      const t = cell(mine, (r) => r.throughput);
      const p50 = cell(mine, (r) => r.p50);
      const p99 = cell(mine, (r) => r.p99);
      row.push(`${Math.round(t)}/s, p50 ${p50.toFixed(2)} ms, p99 ${p99.toFixed(1)} ms`);
    }
    console.log(`| ${row.join(' | ')} |`);
  }
}
if (cpu.length > 0) {
  const row = ['CPU per transfer, 192 in flight (total; client, nats, each leader, each follower)'];
  for (const build of builds) {
    const mine = cpu.filter((r) => r.build === build.label && r.totalUs);
    const f = (k) => Math.round(cell(mine, (r) => r[k]));
    row.push(`${f('totalUs')} us (${f('clientUs')}, ${f('natsUs')}, ${f('leaderUs')}, ${f('followerUs')})`);
  }
  console.log(`| ${row.join(' | ')} |`);
}
console.log(`\n${runs} runs each, medians; every run's figures: ${values.out}`);
