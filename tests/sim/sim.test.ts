import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runSeed } from './cluster-sim.js';

/** Seeds run by `npm test`; `npm run test:sim -- --seeds N` runs more. The start changes every
 *  run so that CI explores new seeds; a failure prints its seed for replay. */
const seedCount = Number(process.env.LEDGER_SIM_SEEDS ?? 2000);
const start = Number(process.env.LEDGER_SIM_START ?? Math.floor(Math.random() * 2 ** 31));

test(`one cluster stays safe and live under loss, duplication, reordering, partitions and crashes (${seedCount} seeds from ${start})`, () => {
  let slots = 0;
  let committed = 0;
  let compactions = 0;
  let snapshots = 0;
  let sessionsEvicted = 0;
  let forgotten = 0;
  let repreparations = 0;
  let givenUp = 0;
  let heavySeeds = 0;
  let fullSlots = 0;
  let reads = 0;
  let forged = 0;
  let previousGeneration = 0;
  let reshardSeeds = 0;
  let movesApplied = 0;
  for (let seed = start; seed < start + seedCount; seed++) {
    const result = runSeed({ seed, faultTicks: 600, livenessTicksMax: 3000 });
    slots += result.chosenSlots;
    committed += result.committedTransfers;
    compactions += result.compactions;
    snapshots += result.snapshotsInstalled;
    sessionsEvicted += result.sessionsEvicted;
    forgotten += result.participantRecordsForgotten;
    repreparations += result.repreparations;
    givenUp += result.requestsGivenUp;
    if (result.heavy) heavySeeds++;
    fullSlots += result.fullSlots;
    reads += result.readsChecked;
    forged += result.forgedInjected;
    previousGeneration += result.previousGenerationInjected;
    if (result.reshard) reshardSeeds++;
    movesApplied += result.movesApplied;
  }
  // The runs must have done real work, not converged on nothing.
  assert.ok(slots > seedCount, `only ${slots} slots chosen over ${seedCount} seeds`);
  assert.ok(committed > seedCount, `only ${committed} transfers committed over ${seedCount} seeds`);
  // Checkpoints are tiny in the simulator so that lagging replicas need snapshots.
  assert.ok(compactions > seedCount, `only ${compactions} compactions`);
  assert.ok(snapshots > seedCount / 20, `only ${snapshots} snapshots installed over ${seedCount} seeds`);
  // The bounds are low so that eviction happens, and impatient clients give up (issue 10).
  assert.ok(sessionsEvicted > seedCount, `only ${sessionsEvicted} sessions evicted`);
  assert.ok(forgotten > seedCount, `only ${forgotten} decided participant records forgotten`);
  assert.ok(givenUp > seedCount, `only ${givenUp} requests given up`);
  // About one seed in 70 prepares a forgotten transaction again from a replayed PREPARE.
  assert.ok(repreparations >= Math.floor(seedCount / 1000), `only ${repreparations} second preparations`);
  // Heavy-traffic seeds (one in 64) filled slots to their byte budget (tests/sim/heavy-traffic.ts).
  if (seedCount >= 500)
    assert.ok(
      heavySeeds > 0 && fullSlots > heavySeeds * 20,
      `${heavySeeds} heavy seeds filled only ${fullSlots} slots`,
    );
  // Reads at all three levels were checked, and forged messages reached the shards.
  assert.ok(reads > seedCount, `only ${reads} reads checked over ${seedCount} seeds`);
  assert.ok(forged > seedCount, `only ${forged} forged messages over ${seedCount} seeds`);
  // About one seed in five moves accounts (tests/sim/reshard-driver.ts), a few moves each.
  if (seedCount >= 100)
    assert.ok(
      reshardSeeds > 0 && movesApplied > seedCount / 10,
      `${reshardSeeds} seeds moved only ${movesApplied} times`,
    );
  // Messages of the previous flush generation reached the nodes' runtimes (previous-generation.ts).
  assert.ok(
    previousGeneration > seedCount,
    `only ${previousGeneration} messages of the previous generation over ${seedCount} seeds`,
  );
});

test('the same seed replays the same run', () => {
  const a = runSeed({ seed: 42, faultTicks: 600, livenessTicksMax: 3000 });
  const b = runSeed({ seed: 42, faultTicks: 600, livenessTicksMax: 3000 });
  assert.deepEqual(a, b);
});
