import { Flags } from '@oclif/core';
import { randomInt } from 'node:crypto';
import { LedgerCommand } from '../../src/cli/base-command.js';
import { writeOutputs } from '../../bench/output.js';
import { presets, presetNames, resolveParams } from '../../bench/params.js';
import { paramsLines, progressLine, summaryText } from '../../bench/render-text.js';
import type { BenchReport } from '../../bench/report.js';
import type { Interval } from '../../src/load/recorder.js';
import type { RecordedRun } from '../../src/load/merge.js';
import { clientName, runClients } from '../../bench/clients.js';
import { runBench } from '../../bench/run.js';
import { clusterModes, openTarget, type ClusterMode } from '../../bench/target.js';
import { WorkloadGenerator } from '../../src/load/workload.js';
import { badInput } from '../../src/core/errors.js';
import { PhaseProbe } from '../../bench/measure.js';
import { cpuText, profileText } from '../../bench/render-profile.js';
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { signalExitCodes, type StopSignal } from '../../src/process/exit.js';

export default class Bench extends LedgerCommand<typeof Bench> {
  static override summary = 'Benchmark the ledger: open- or closed-loop load, HDR latency reports';
  static override description = `Sends a seeded mix of balance reads and transfers (1 unit each, SmallBank-like) and reports throughput, latency percentiles (p50 .. p99.9, max) and outcomes, overall and per type: read, intra-shard transfer, cross-shard transfer (Two-Phase Commit). The seed and parameters are printed first (the same seed sends the same requests), a progress line each second goes to stderr, then a summary table; --json prints the report as one JSON document instead; --out DIR also writes bench.json, latency-*.hgrm and service-*.hgrm (HdrHistogram percentile distributions, in ms) and a self-contained report.html with plots. Compare two runs with \`ledger bench compare A.json B.json\`.

Load: with --rate R it is an open loop: request i is due at i/R seconds whatever the answers do, latency is measured from that intended start (no coordinated omission: a stall shows as the wait of everyone arriving meanwhile), service time (send to answer) beside it, and --concurrency bounds the requests in flight (later ones queue, and their wait counts). Without --rate it is a closed loop of --concurrency workers, each sending when its last request is answered (latency = service time); the output says which.

Skew: accounts get a popularity rank (a seeded shuffle, so the hot ones are spread over the shards) and are drawn by Zipf's law over the ranks, P(rank k) ~ 1/k^s with exponent s = --skew: 0 is uniform, 0.99 is YCSB's "zipfian", 1 is Zipf's law proper (with 9000 accounts the hottest one is about 10 % of the draws). Receivers are drawn the same way within their shard.

Presets (explicit flags override their values):
${presetNames.map((p) => `- ${p}: ${presets[p].description}`).join('\n')}

Shares accept 0.2 or 20%. Outcomes: committed (a read that returned a value counts as committed), aborted, insufficient-funds, unknown (sent, no answer in time: it may still commit; a read without a value), unavailable (not sent: no connection to NATS, so it cannot commit).

Broker outages: the run reconnects to NATS for as long as it runs. Meanwhile requests wait for the connection (the outage shows as latency; in an open loop, from each request's intended start) and are reported unavailable only if their deadline passes unsent; the progress lines say "disconnected from NATS, reconnecting (attempt N)", and the report gives the time disconnected and the longest stretch without a commit.

Cluster (--cluster): auto (default) uses the cluster running at --data-dir if one answers there, otherwise starts a local 3 x 3 cluster (nats-server and 9 nodes) in a temp dir for this run and stops it (every process, by PID) and deletes it at the end; existing insists on the running cluster; own always starts one. Accounts and shards come from the cluster's topology.

Clients (--clients N): N client processes share the run, each with its own NATS connection, an equal share of --concurrency (and of --rate) and every N-th request of the seeded stream, so together they send the requests one client would; their histograms, outcomes and seconds merge into one report. 1 (the default) sends everything from this process.

CPU: the report gives the CPU each process spent in the measured phase (nats-server and the nodes read from /proc, so for a cluster on this machine; each client process) and per committed transfer: in all, nats-server, each leader and each follower (the mean), and the client side (all client processes together).

Profiles (--profile DIR, with --cluster own): the nodes and the client processes (one unless --clients says more; the load then always comes from client processes) run under V8's CPU profiler (node --cpu-prof); DIR receives nN.cpuprofile for every node and clientK.cpuprofile for every client process, cut to the measured phase: open them in Chrome DevTools (Performance). The summary lists for the leaders, the followers and the clients the functions with the most self time, as a share of the samples in which the process was busy (a process blocked in a system call, such as SQLite's fsync, counts as busy), and the files; --json has more of each.

Ctrl-C or SIGTERM stops early: no new requests, those in flight are awaited, the report of what ran, and a cluster this run started is stopped; a second signal quits at once.

Exit code: 0 when the run completed (whatever its outcomes) or was stopped by Ctrl-C, 143 when stopped by SIGTERM, 2 for bad input, 1 when the cluster cannot be reached or started.`;
  static override examples = [
    '<%= config.bin %> bench --preset small',
    '<%= config.bin %> bench --preset skewed --rate 400 --out bench/out/skewed',
    '<%= config.bin %> bench --read-ratio 0.5 --cross-shard 10% --skew 0.99 --seed 7',
    '<%= config.bin %> bench --preset intra --json > intra.json',
    '<%= config.bin %> bench --read-ratio 0 --concurrency 192 --clients 4 --duration 20s',
    '<%= config.bin %> bench --read-ratio 0 --duration 20s --cluster own --profile prof',
  ];
  static override flags = {
    preset: Flags.string({ description: `start from a preset: ${presetNames.join(', ')} (listed under DESCRIPTION)` }),
    'read-ratio': Flags.string({
      description: 'share of requests that are read-only balance queries, 0..1 [default: 0.2]',
    }),
    'cross-shard': Flags.string({ description: 'share of transfers between two shards, 0..1 [default: 0.2]' }),
    skew: Flags.string({
      description: 'account popularity, 0 uniform .. 1 highly skewed: the Zipf exponent [default: 0]',
    }),
    rate: Flags.string({ description: 'target transactions per second: open loop [default: none, a closed loop]' }),
    concurrency: Flags.string({
      description: 'requests in flight at most (closed loop: the number of workers) [default: 16]',
    }),
    transactions: Flags.string({ description: 'measured transactions [default: 1000]', exclusive: ['duration'] }),
    duration: Flags.string({
      description: 'measure for this long instead: 30, 30s, 500ms, 2m',
      exclusive: ['transactions'],
    }),
    warmup: Flags.string({ description: 'unmeasured warm-up first, same workload from its own seed [default: 1s]' }),
    seed: Flags.string({ description: 'workload seed, 0..4294967295 [default: a random one, printed]' }),
    consistency: Flags.string({
      description: 'consistency of the reads: linearizable, leader or any (as ledger balance) [default: linearizable]',
    }),
    amount: Flags.string({ description: 'units each transfer moves [default: 1]' }),
    out: Flags.string({ description: 'also write bench.json, *.hgrm and report.html into this directory' }),
    cluster: Flags.string({
      description: 'auto, existing or own (see DESCRIPTION)',
      default: 'auto',
      options: [...clusterModes],
    }),
    clients: Flags.string({
      description: 'client processes that share the requests in flight and the request stream [default: 1]',
    }),
    profile: Flags.string({
      description: 'write CPU profiles (.cpuprofile) of every node and client into DIR; needs --cluster own',
    }),
  };

  async run(): Promise<BenchReport> {
    const f = this.flags;
    const params = resolveParams(
      {
        preset: f.preset,
        readRatio: f['read-ratio'],
        crossShard: f['cross-shard'],
        skew: f.skew,
        rate: f.rate,
        concurrency: f.concurrency,
        transactions: f.transactions,
        duration: f.duration,
        warmup: f.warmup,
        seed: f.seed,
        consistency: f.consistency,
        amount: f.amount,
        clients: f.clients,
      },
      () => randomInt(0, 2 ** 32 - 1),
    );
    const json = this.jsonEnabled();
    // Progress is for people and goes to stderr, also with --json (oclif's logToStderr is
    // silent then); with --json stdout holds the JSON document alone, so the parameters go to
    // stderr too.
    const toStderr = (line: string) => void process.stderr.write(`${line}\n`);
    const say = (line: string) => (json ? toStderr(line) : this.log(line));
    let stopped = false;
    /** The signal that stopped the run early, if one did. */
    let stoppedBy: StopSignal | undefined;
    // SIGINT (Ctrl-C) and SIGTERM (kill, a CI timeout, a supervisor) stop the run the same way:
    // no new requests, the ones in flight are awaited, the report, then a cluster this run
    // started is stopped. Without the SIGTERM handler Node would die at once and leave that
    // cluster (detached: nats-server and 9 nodes) running with nobody to stop it.
    // Taken before a cluster may be started, so a signal during its start still stops it cleanly.
    const stopListening = this.onStopSignal((signal) => {
      stopped = true;
      stoppedBy = signal;
      toStderr(
        `${signal}: stopping: no new requests; waiting for those in flight, then the report (Ctrl-C or SIGTERM again quits at once, without stopping a cluster this run started)`,
      );
      this.onStopSignal((again) => this.exitForSignal(again));
    });
    try {
      if (f.profile !== undefined && f.cluster !== 'own')
        throw badInput(
          '--profile needs --cluster own',
          'the nodes must be started under the profiler: add --cluster own',
        );
      const profileDir = f.profile === undefined ? undefined : resolve(f.profile);
      if (profileDir !== undefined) mkdirSync(profileDir, { recursive: true });
      const target = await openTarget(this.dataDir, f.cluster as ClusterMode, (line) => toStderr(line), {
        cpuProfileDir: profileDir,
      });
      let report: BenchReport;
      let recorder: RecordedRun;
      const probe = new PhaseProbe({
        client: target.client,
        dataDir: target.dataDir,
        profileDir,
      });
      try {
        // Checks the workload against the topology (e.g. cross-shard needs 2 clusters) before
        // anything is printed or sent.
        new WorkloadGenerator(target.topology, params, params.seed);
        for (const line of paramsLines(
          params,
          target.topology,
          target.startedByBench ? 'a local cluster started for this run' : target.dataDir,
        ))
          say(line);
        const hooks = {
          onInterval: (i: Interval, note: string | undefined) => toStderr(progressLine(i, note)),
          say: (line: string) => toStderr(line),
          stopped: () => stopped,
        };
        const committed = (r: BenchReport) => r.byType.intra.counts.committed + r.byType.cross.counts.committed;
        // Profiled, the load always comes from client processes (one by default) run under
        // --cpu-prof as the nodes are; otherwise one client runs in this process.
        if (params.clients === 1 && profileDir === undefined) {
          ({ report, recorder } = await runBench(target, params, {
            ...hooks,
            measure: { begin: () => probe.begin([{ name: 'client', pid: null }]), end: () => probe.end() },
          }));
          report.cpu = probe.cpu(committed(report));
        } else {
          const names = Array.from({ length: params.clients }, (_, i) => clientName(i));
          const run = await runClients(target, params, profileDir, {
            ...hooks,
            measure: { begin: () => probe.begin([], names), end: () => probe.end() },
          });
          ({ report, recorder } = run);
          report.cpu = probe.cpu(committed(report), run.cpuSeconds);
        }
      } finally {
        if (target.startedByBench) toStderr('stopping the local cluster');
        await target.close();
      }
      // The nodes write their profiles as they stop: summarised once the cluster is down.
      report.profile = probe.profiles();
      if (!json) {
        this.log(summaryText(report));
        this.log(cpuText(report.cpu));
        if (report.profile !== null) this.log(profileText(report.profile));
      }
      if (f.out !== undefined) {
        const files = writeOutputs(f.out, report, recorder);
        say(`wrote ${files.length} files to ${f.out}: ${files.map((x) => x.split('/').pop()).join(', ')}`);
      }
      // Ctrl-C is how a person ends a run early and still gets its report: exit 0 as before.
      // SIGTERM asks the process to terminate: say it was terminated (128 + 15), after the
      // cleanup, so whoever sent it does not take a cut-short run for a completed one.
      if (stoppedBy === 'SIGTERM') this.setExitCode(signalExitCodes.SIGTERM);
      return report;
    } finally {
      stopListening();
    }
  }
}
