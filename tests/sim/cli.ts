/**
 * Runs the simulator from the command line:
 *   npm run test:sim -- --seeds 100000             many seeds from a random start, on every core
 *   npm run test:sim -- --seeds 5000 --jobs 1      the same in this process only
 *   npm run test:sim -- --seed 1234 --verbose      replay one seed with its fault trace
 *
 * Seeds are independent runs, so a long run is cut into contiguous ranges, one per worker thread
 * (`--jobs`, default: the cores this process may use). The first failure stops every worker and
 * prints its seed; the seed alone replays it, whatever the number of jobs.
 */
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { runSeed, SimulationFailure } from './cluster-sim.js';

/** What a worker is asked to run. */
interface Range {
  start: number;
  count: number;
  verbose: boolean;
}

/** What a worker says: progress every `progressEverySeeds` seeds, then done or failed. */
type WorkerReport =
  | { kind: 'progress'; seeds: number; slots: number; snapshots: number }
  | { kind: 'failed'; seed: number; message: string };

const progressEverySeeds = 100;
const simOptions = { faultTicks: 600, livenessTicksMax: 3000 } as const;

function usage(problem: string): never {
  console.error(`test:sim: ${problem}\nusage: test:sim [--seeds N] [--start S] [--jobs J] | --seed S [--verbose]`);
  process.exit(2);
}

/** Runs seeds start..start+count-1, reporting through `report`; stops at the first failure. */
function runRange(range: Range, report: (r: WorkerReport) => void): void {
  let seeds = 0;
  let slots = 0;
  let snapshots = 0;
  for (let i = 0; i < range.count; i++) {
    const seed = range.start + i;
    try {
      const result = runSeed({ seed, ...simOptions, verbose: range.verbose });
      slots += result.chosenSlots;
      snapshots += result.snapshotsInstalled;
    } catch (error) {
      const message =
        error instanceof SimulationFailure
          ? error.message
          : `seed ${seed}: crashed: ${(error as Error).stack ?? String(error)}\n  replay: npm run test:sim -- --seed ${seed} --verbose`;
      report({ kind: 'failed', seed, message });
      return;
    }
    seeds++;
    if (seeds === progressEverySeeds || i === range.count - 1) {
      report({ kind: 'progress', seeds, slots, snapshots });
      seeds = slots = snapshots = 0;
    }
  }
}

if (!isMainThread) {
  runRange(workerData as Range, (r) => parentPort?.postMessage(r));
} else {
  const { values } = parseArgs({
    options: {
      seeds: { type: 'string', default: '1000' },
      seed: { type: 'string' },
      start: { type: 'string' },
      jobs: { type: 'string' },
      verbose: { type: 'boolean', default: false },
    },
  });
  const one = values.seed === undefined ? undefined : Number(values.seed);
  const count = one === undefined ? Number(values.seeds) : 1;
  const start = one ?? (values.start === undefined ? Math.floor(Math.random() * 2 ** 31) : Number(values.start));
  const jobsWanted = values.jobs === undefined ? availableParallelism() : Number(values.jobs);
  if (!Number.isSafeInteger(count) || count < 1) usage(`--seeds must be a whole number >= 1, got ${values.seeds}`);
  if (!Number.isSafeInteger(start)) usage('--start and --seed must be whole numbers');
  if (!Number.isSafeInteger(jobsWanted) || jobsWanted < 1)
    usage(`--jobs must be a whole number >= 1, got ${values.jobs}`);
  // A verbose trace from several threads at once would interleave: one seed, one thread.
  const jobs = values.verbose ? 1 : Math.min(jobsWanted, count);

  const started = Date.now();
  let done = 0;
  let slots = 0;
  let snapshots = 0;
  let lastProgressAt = started;
  const onReport = (r: WorkerReport): void => {
    if (r.kind === 'failed') {
      console.error(r.message);
      process.exit(1);
    }
    done += r.seeds;
    slots += r.slots;
    snapshots += r.snapshots;
    // Long runs say how far they are every 30 s, on stderr so stdout keeps the one result line.
    if (Date.now() - lastProgressAt >= 30_000) {
      lastProgressAt = Date.now();
      process.stderr.write(
        `test:sim: ${done} of ${count} seeds passed after ${((lastProgressAt - started) / 1000).toFixed(0)} s\n`,
      );
    }
  };
  const finish = (): void => {
    const seconds = (Date.now() - started) / 1000;
    const perMinute = Math.round((count / seconds) * 60);
    console.log(
      `${count} seeds from ${start} passed (${slots} slots chosen, ${snapshots} snapshots installed) in ${seconds.toFixed(1)} s on ${jobs} thread(s): ${perMinute} seeds/min`,
    );
  };

  if (jobs === 1) {
    runRange({ start, count, verbose: values.verbose }, onReport);
    finish();
  } else {
    const base = Math.floor(count / jobs);
    let next = start;
    let running = jobs;
    for (let j = 0; j < jobs; j++) {
      const size = base + (j < count % jobs ? 1 : 0);
      const worker = new Worker(new URL(import.meta.url), {
        workerData: { start: next, count: size, verbose: false } satisfies Range,
      });
      next += size;
      worker.on('message', onReport);
      worker.on('error', (error) => {
        console.error(`test:sim: a worker crashed: ${error.stack ?? String(error)}`);
        process.exit(1);
      });
      worker.on('exit', () => {
        if (--running === 0) {
          if (done !== count) {
            console.error(`test:sim: only ${done} of ${count} seeds reported`);
            process.exit(1);
          }
          finish();
        }
      });
    }
  }
}
