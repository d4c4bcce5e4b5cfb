import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { AssertionError } from '../../src/core/assert.js';
import { mustSyncBeforeSend, sendableBeforePersist } from '../../src/ledger/shard-ready.js';
import { NodeRuntime, type NodeRuntimeInit } from '../../src/node/runtime.js';
import { runSeed, SimulationFailure } from './cluster-sim.js';
import type { SimRequest } from './sim-message.js';
import type { Command } from '../../src/protocol/commands.js';

/**
 * The simulator drives the node runtime that real nodes run (src/node/runtime.ts), so it must
 * catch a broken one, as broken-core.test.ts shows for the cores. Each runtime here breaks one
 * of its rules; the simulator must find a seed where safety or liveness fails, within the
 * number of seeds each test names (the first failing seed of each, when it was written, is in
 * the comment above the cases: below the bound).
 */

/** Steps messages of any flush generation: what the previous generation left on the broker gets in. */
class NoGenerationCheck extends NodeRuntime<SimRequest> {
  override isStale(): boolean {
    return false;
  }
}

/** Takes a client's request whatever flush generation it was sent in (the check on requests removed). */
class RequestsOfAnyGeneration extends NodeRuntime<SimRequest> {
  override request(request: SimRequest, command: Command): void {
    super.request(request, command, undefined);
  }
}

/** Steps inputs into the core while a ready whose accepts left is not yet persisted. */
class NoHeldInputs extends NodeRuntime<SimRequest> {
  override input(step: () => void): void {
    step();
  }
}

/** Every Paxos message of a ready leaves before its persist, promises and accepteds (votes) included. */
function votesBeforePersist(init: NodeRuntimeInit<SimRequest>): NodeRuntime<SimRequest> {
  return new NodeRuntime({
    ...init,
    rules: {
      sendableBeforePersist: (rd) => (rd.paxos.messages.length > 0 ? rd.paxos.messages : sendableBeforePersist(rd)),
      mustSyncBeforeSend,
    },
  });
}

function firstFailingSeed(
  createRuntime: (init: NodeRuntimeInit<SimRequest>) => NodeRuntime<SimRequest>,
  seedsMax: number,
): number | undefined {
  for (let seed = 1; seed <= seedsMax; seed++) {
    try {
      runSeed({ seed, faultTicks: 600, livenessTicksMax: 3000, createRuntime });
    } catch (error) {
      if (error instanceof SimulationFailure || error instanceof AssertionError) return seed;
      throw error;
    }
  }
  return undefined;
}

describe('the simulator catches a deliberately broken node runtime', () => {
  // The bound of each, and its first failing seed when it was written: seed 1 (two values chosen
  // in one slot), seed 3 (a command of the previous generation chosen), seed 1 (a value applied
  // that was not chosen), seed 140 (two values chosen).
  const cases: Array<[string, number, (init: NodeRuntimeInit<SimRequest>) => NodeRuntime<SimRequest>]> = [
    ['the flush-generation check removed', 20, (init) => new NoGenerationCheck(init)],
    ['requests of another flush generation taken', 20, (init) => new RequestsOfAnyGeneration(init)],
    ['inputs stepped while a ready is being persisted (no held inputs)', 50, (init) => new NoHeldInputs(init)],
    ['votes sent before they are persisted', 1000, votesBeforePersist],
  ];
  for (const [rule, seedsMax, createRuntime] of cases) {
    test(`${rule} is caught within ${seedsMax} seeds`, () => {
      const seed = firstFailingSeed(createRuntime, seedsMax);
      assert.ok(seed !== undefined, `no seed out of ${seedsMax} caught ${rule}`);
    });
  }

  test('the unbroken runtime passes the seeds the broken ones first fail on (1 to 150)', () => {
    assert.equal(
      firstFailingSeed((init) => new NodeRuntime(init), 150),
      undefined,
    );
  });
});
