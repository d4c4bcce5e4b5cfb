/**
 * Runs the simulator from the command line:
 *   npm run test:sim -- --seeds 10000            many seeds from a random start
 *   npm run test:sim -- --seed 1234 --verbose     replay one seed with its fault trace
 */
import { parseArgs } from 'node:util';
import { runSeed, SimulationFailure } from './cluster-sim.js';

const { values } = parseArgs({
  options: {
    seeds: { type: 'string', default: '1000' },
    seed: { type: 'string' },
    start: { type: 'string' },
    verbose: { type: 'boolean', default: false },
  },
});

const one = values.seed === undefined ? undefined : Number(values.seed);
const count = one === undefined ? Number(values.seeds) : 1;
const start = one ?? (values.start === undefined ? Math.floor(Math.random() * 2 ** 31) : Number(values.start));
if (!Number.isSafeInteger(count) || count < 1 || !Number.isSafeInteger(start)) {
  console.error('usage: test:sim [--seeds N] [--start S] | --seed S [--verbose]');
  process.exit(2);
}
const started = Date.now();
let slots = 0;
let snapshots = 0;
for (let i = 0; i < count; i++) {
  const seed = start + i;
  try {
    const result = runSeed({ seed, faultTicks: 600, livenessTicksMax: 3000, verbose: values.verbose });
    slots += result.chosenSlots;
    snapshots += result.snapshotsInstalled;
  } catch (error) {
    if (error instanceof SimulationFailure) {
      console.error(error.message);
      process.exit(1);
    }
    console.error(`seed ${seed}: crashed\n  replay: npm run test:sim -- --seed ${seed} --verbose`);
    throw error;
  }
}
console.log(`${count} seeds from ${start} passed (${slots} slots chosen, ${snapshots} snapshots installed) in ${((Date.now() - started) / 1000).toFixed(1)} s`);
