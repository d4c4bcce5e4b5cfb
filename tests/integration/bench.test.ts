import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { parseHgrm } from '../../bench/hgrm.js';
import { parseCpuProfile } from '../../bench/profile-summary.js';
import { runChromium } from './chromium.js';
import { alive, cli, ledgerBin, TestCluster, waitUntil } from './harness.js';
import { decodePng, inkOf } from './png.js';

/** The plot colours of html-plots.ts, to find the drawn lines in a screenshot. */
const seriesColours = {
  all: [0x22, 0x22, 0x22],
  read: [0x1f, 0x77, 0xb4],
  intra: [0x2c, 0xa0, 0x2c],
  cross: [0xd6, 0x27, 0x28],
} as const;

describe('ledger bench against a real 3x3 cluster', () => {
  let cluster: TestCluster;
  let out: string;
  let report: any;

  before(async () => {
    cluster = await TestCluster.start();
    out = mkdtempSync(join(tmpdir(), 'ledger-bench-it-'));
    const r = await cluster.cli([
      'bench',
      '--preset',
      'small',
      '--seed',
      '7',
      '--warmup',
      '0.5s',
      '--out',
      out,
      '--json',
    ]);
    assert.equal(r.code, 0, `bench exited ${r.code}: ${r.stderr}`);
    report = r.json;
    assert.ok(report !== undefined, `stdout is one JSON document: ${r.stdout.slice(0, 200)}`);
    // Progress and parameters go to stderr, so stdout stays parseable.
    assert.match(r.stderr, /^seed 7 {2}\(preset small\)$/m);
    assert.match(r.stderr, /^\[\s+1 s\]\s+\d+ ok\/s/m);
  });
  after(async () => {
    await cluster?.close();
    if (out !== undefined) rmSync(out, { recursive: true, force: true });
  });

  test('the JSON report is sane: 200 transactions, counts add up, throughput, ordered percentiles', () => {
    assert.equal(report.kind, 'ledger-bench-report');
    assert.equal(report.seed, 7);
    assert.equal(report.params.preset, 'small');
    // The small preset arrives at 50/s (open loop), so its 200 transactions last about 4 s.
    assert.equal(report.loop, 'open');
    assert.equal(report.params.rateTps, 50);
    // --cluster auto (the default) found the running cluster at --data-dir.
    assert.equal(report.cluster.startedByBench, false);
    assert.equal(report.all.count, 200);
    const sum = (counts: Record<string, number>) => Object.values(counts).reduce((a, b) => a + b, 0);
    assert.equal(sum(report.all.counts), 200);
    assert.equal(report.byType.read.count + report.byType.intra.count + report.byType.cross.count, 200);
    for (const type of ['read', 'intra', 'cross']) {
      assert.ok(report.byType[type].count > 0, `some ${type} transactions in 200`);
      assert.equal(sum(report.byType[type].counts), report.byType[type].count);
    }
    assert.ok(report.all.throughputPerSecond > 0);
    assert.ok(
      report.all.counts.committed > 150,
      `most of 200 uniform transfers of 1 unit commit: ${JSON.stringify(report.all.counts)}`,
    );
    for (const s of [report.all, report.byType.read, report.byType.intra, report.byType.cross]) {
      const l = s.latencyMs;
      const chain = [l.p50, l.p90, l.p95, l.p99, l.p999, l.max];
      assert.ok(l.p50 > 0, 'latencies are positive');
      for (let i = 1; i < chain.length; i++)
        assert.ok(chain[i] >= chain[i - 1], `percentiles ordered: ${JSON.stringify(l)}`);
    }
    // Whole seconds only: the part of a second the run ended in counts in the totals, not here.
    const timelineCompleted = report.timeline.reduce((a: number, i: any) => a + i.completed, 0);
    assert.ok(report.timeline.length >= 3, `about 4 s of timeline: ${JSON.stringify(report.timeline)}`);
    for (const i of report.timeline) assert.equal(i.lengthS, 1);
    assert.ok(timelineCompleted >= 100 && timelineCompleted <= 200, `${timelineCompleted} answers in whole seconds`);
  });

  test('--out wrote bench.json (the --json document) and .hgrm files that parse', () => {
    const files = readdirSync(out).sort();
    for (const f of [
      'bench.json',
      'report.html',
      'latency-all.hgrm',
      'latency-read.hgrm',
      'latency-intra.hgrm',
      'latency-cross.hgrm',
      'service-all.hgrm',
    ])
      assert.ok(files.includes(f), `${f} in ${files}`);
    const saved = JSON.parse(readFileSync(join(out, 'bench.json'), 'utf8'));
    assert.deepEqual(saved.all, report.all);
    const all = parseHgrm(readFileSync(join(out, 'latency-all.hgrm'), 'utf8'));
    assert.equal(all.totalCount, 200);
    assert.ok(Math.abs(all.maxMs - report.all.latencyMs.max) < 0.01 * report.all.latencyMs.max + 0.01);
    let perType = 0;
    for (const t of ['read', 'intra', 'cross'])
      perType += parseHgrm(readFileSync(join(out, `latency-${t}.hgrm`), 'utf8')).totalCount;
    assert.equal(perType, 200);
  });

  test('headless Chromium renders the plots: SVG paths in the DOM, coloured lines in a screenshot', async () => {
    const page = pathToFileURL(join(out, 'report.html')).href;
    const dom = await runChromium(['--dump-dom', page]);
    assert.equal(dom.code, 0, dom.stderr.slice(-500));
    assert.match(dom.stdout, /<body[^>]*data-rendered="true"/, 'the plot script ran to its end');
    const plot = (id: string) => {
      const m = new RegExp(`<svg id="${id}"[^>]*>([\\s\\S]*?)</svg>`).exec(dom.stdout);
      assert.ok(m, `${id} is in the DOM`);
      return m[1] as string;
    };
    for (const [id, series] of [
      ['latency-plot', ['all', 'read', 'intra', 'cross']],
      ['throughput-plot', ['ok']],
      ['latency-time-plot', ['p50', 'p99']],
    ] as const) {
      const svg = plot(id);
      for (const s of series) {
        const path = new RegExp(`<path d="([^"]*)"[^>]*class="series series-${s}"`).exec(svg);
        assert.ok(path, `${id} has a ${s} line`);
        const points = (path[1] as string).match(/[ML]/g)?.length ?? 0;
        assert.ok(points >= 2, `${id} ${s} line has ${points} points`);
        assert.doesNotMatch(path[1] as string, /NaN|Infinity/);
      }
    }

    const shot = join(out, 'screenshot.png');
    const r = await runChromium(['--hide-scrollbars', '--window-size=1000,1500', `--screenshot=${shot}`, page]);
    assert.equal(r.code, 0, r.stderr.slice(-500));
    assert.ok(existsSync(shot), 'the screenshot was written');
    const pixels = decodePng(readFileSync(shot));
    const ink = inkOf(pixels);
    assert.ok(ink.colours > 20 && ink.inkShare > 0.01, `the screenshot is not blank: ${JSON.stringify(ink)}`);
    for (const [name, [r0, g0, b0]] of Object.entries(seriesColours)) {
      let hits = 0;
      for (let i = 0; i < pixels.width * pixels.height; i++) {
        const o = i * pixels.channels;
        if (
          Math.abs(pixels.data[o]! - r0) + Math.abs(pixels.data[o + 1]! - g0) + Math.abs(pixels.data[o + 2]! - b0) <
          30
        )
          hits++;
      }
      assert.ok(hits > 100, `the ${name} line is drawn (${hits} pixels of its colour)`);
    }
  });

  test('bench compare of a report with itself: every ratio is 1', async () => {
    const file = join(out, 'bench.json');
    const r = await cli(['bench', 'compare', file, file, '--json']);
    assert.equal(r.code, 0, r.stderr);
    for (const values of Object.values(r.json.series) as any[])
      for (const v of values) assert.ok(v.ratio === null || v.ratio === 1, JSON.stringify(v));
    const text = await cli(['bench', 'compare', file, file]);
    assert.match(text.stdout, /B \/ A/);
  });

  test('bad input exits 2 with one error line and a hint, before any cluster is touched', async () => {
    for (const args of [
      ['--read-ratio', '2'],
      ['--preset', 'huge'],
      ['--skew', 'lots'],
    ]) {
      const r = await cli(['bench', ...args, '--data-dir', join(out, 'none')]);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      const lines = r.stderr.trim().split('\n');
      assert.equal(lines.length, 2, r.stderr);
      assert.match(lines[0]!, /^error: /);
      assert.match(lines[1]!, /^hint: /);
    }
    const missing = await cli(['bench', 'compare', join(out, 'nope.json'), join(out, 'bench.json')]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /^error: cannot read/);
  });
});

describe('ledger bench with a cluster of its own, stopped by SIGTERM', () => {
  test('SIGTERM stops the run and every process of the cluster it started, and exits 143', async () => {
    // The bench makes its cluster's data dir under os.tmpdir(): a TMPDIR of our own shows where.
    const tmp = mkdtempSync(join(tmpdir(), 'ledger-bench-term-'));
    const bench = spawn(
      process.execPath,
      [ledgerBin, 'bench', '--cluster', 'own', '--duration', '30s', '--warmup', '0', '--concurrency', '4'],
      {
        env: { ...process.env, TMPDIR: tmp },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stderr = '';
    bench.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    bench.stdout.resume();
    const exited = new Promise<number | null>((resolve) => bench.once('exit', (code) => resolve(code)));
    let exitCode: number | null | undefined;
    void exited.then((code) => (exitCode = code));
    const pids = new Set<number>();
    try {
      let dataDir: string | undefined;
      await waitUntil('the bench to write its cluster.json', 60_000, async () => {
        if (exitCode !== undefined) throw new Error(`bench exited ${exitCode} before its cluster started: ${stderr}`);
        dataDir ??= readdirSync(tmp).find(
          (d) => d.startsWith('ledger-bench-') && existsSync(join(tmp, d, 'cluster.json')),
        );
        return dataDir !== undefined;
      });
      const state = JSON.parse(readFileSync(join(tmp, dataDir!, 'cluster.json'), 'utf8')) as {
        natsPid: number;
        nodes: Array<{ pid: number }>;
      };
      pids.add(state.natsPid);
      for (const n of state.nodes) pids.add(n.pid);
      assert.equal(pids.size, 10, 'nats-server and 9 nodes');
      // Terminated while it measures: the cluster is up and requests are in flight.
      await waitUntil('the measured phase to run', 60_000, async () => {
        if (exitCode !== undefined) throw new Error(`bench exited ${exitCode} early: ${stderr}`);
        return /^\[\s+1 s\]/m.test(stderr);
      });
      assert.ok([...pids].every(alive), 'the cluster runs before the signal');
      bench.kill('SIGTERM');
      await waitUntil('the bench to exit', 60_000, async () => exitCode !== undefined);
      assert.equal(exitCode, 143, `exit code after SIGTERM: ${stderr}`);
      assert.match(stderr, /^SIGTERM: stopping/m);
      assert.match(stderr, /^stopping the local cluster$/m);
      await waitUntil('every process of its cluster to be gone', 15_000, async () =>
        [...pids].every((pid) => !alive(pid)),
      );
      assert.ok(!existsSync(join(tmp, dataDir!)), 'its data dir was removed');
    } finally {
      // Whatever failed above, nothing this test caused outlives it.
      if (exitCode === undefined) bench.kill('SIGKILL');
      for (const pid of pids) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
      rmSync(tmp, { recursive: true, force: true });
    }
  });
});

describe('ledger bench --clients 2 --profile DIR (a cluster of its own)', () => {
  test('two client processes share 200 transactions; every process wrote a CPU profile with samples; roles, CPU and counts add up', async () => {
    const tmp = mkdtempSync(join(tmpdir(), 'ledger-bench-prof-'));
    const profiles = join(tmp, 'profiles');
    try {
      const r = await cli(
        [
          'bench',
          '--cluster',
          'own',
          '--clients',
          '2',
          '--profile',
          profiles,
          '--transactions',
          '200',
          '--warmup',
          '0.5s',
          '--seed',
          '3',
          '--json',
        ],
        { TMPDIR: tmp },
      );
      assert.equal(r.code, 0, r.stderr);
      const report = r.json;
      assert.equal(report.params.clients, 2);
      const sum = (counts: Record<string, number>) => Object.values(counts).reduce((a, b) => a + b, 0);
      assert.equal(report.all.count, 200, 'the two clients together sent the 200 transactions');
      assert.equal(sum(report.all.counts), 200);
      assert.equal(report.byType.read.count + report.byType.intra.count + report.byType.cross.count, 200);
      assert.equal(report.all.latencyMs.count, 200, 'the merged histogram holds every answer');
      // Every transfer said how many attempts it took; the clients' counts add up.
      assert.equal(report.attempts.transfers, report.byType.intra.count + report.byType.cross.count);
      assert.ok(report.attempts.total >= report.attempts.transfers);
      const files = readdirSync(profiles).sort();
      const names = ['client1', 'client2', ...Array.from({ length: 9 }, (_, i) => `n${i + 1}`)];
      assert.deepEqual(files, names.map((n) => `${n}.cpuprofile`).sort());
      for (const file of files) {
        const profile = parseCpuProfile(readFileSync(join(profiles, file), 'utf8'));
        assert.ok(profile.samples.length > 0, `${file} has samples`);
      }
      const roles = Object.fromEntries(report.profile.roles.map((role: any) => [role.role, role]));
      assert.deepEqual(Object.keys(roles), ['leader', 'follower', 'client']);
      assert.equal(roles.leader.processes.length, 3, 'one leader a cluster');
      assert.equal(roles.follower.processes.length, 6);
      assert.deepEqual(roles.client.processes, ['client1', 'client2']);
      for (const role of Object.values(roles) as any[]) {
        assert.ok(role.busySamples > 0 && role.functions.length > 0, `${role.role} has busy samples`);
        assert.ok(role.functions.every((f: any) => f.pct > 0 && f.pct <= 100));
      }
      // Every process's CPU is counted, and per transfer is CPU over the committed transfers.
      const cpu = report.cpu;
      assert.deepEqual(Object.keys(cpu.seconds).sort(), ['nats', ...names].sort());
      assert.equal(cpu.transfers, report.byType.intra.counts.committed + report.byType.cross.counts.committed);
      assert.ok(cpu.byRole.client > 0 && cpu.byRole.leader > 0 && cpu.byRole.follower > 0, JSON.stringify(cpu.byRole));
      // The cluster it started is gone with its data dir; only the profiles stay.
      assert.deepEqual(readdirSync(tmp), ['profiles']);
    } finally {
      // Whatever failed above, no cluster of this test outlives it.
      for (const d of readdirSync(tmp).filter((x) => x.startsWith('ledger-bench-'))) {
        const state = join(tmp, d, 'cluster.json');
        if (!existsSync(state)) continue;
        const { natsPid, nodes } = JSON.parse(readFileSync(state, 'utf8')) as {
          natsPid: number;
          nodes: Array<{ pid: number }>;
        };
        for (const pid of [natsPid, ...nodes.map((n) => n.pid)])
          try {
            process.kill(pid, 'SIGKILL');
          } catch {
            // already gone
          }
      }
      rmSync(tmp, { recursive: true, force: true });
    }
  });
});
