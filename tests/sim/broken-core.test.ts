import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { AssertionError } from '../../src/core/assert.js';
import type { Batch } from '../../src/protocol/commands.js';
import type { LogEntry } from '../../src/protocol/paxos.js';
import { Replica, type ReplicaInit } from '../../src/paxos/replica.js';
import { runSeed, SimulationFailure, type SimOptions } from './cluster-sim.js';

/**
 * The simulator is only worth its seeds if it catches a broken protocol. Each replica here
 * breaks one rule of Multi-Paxos (or the runtime's rule of what must reach the disk before a
 * message leaves); the simulator must find a run where safety fails.
 */

/** Counts one vote too few as a quorum (for 3 members: the leader alone decides). */
class QuorumTooSmall extends Replica<Batch> {
  protected override isQuorum(votes: number): boolean {
    return super.isQuorum(votes + 1);
  }
}

/** Reconciles a slot to the LOWEST ballot's value instead of the highest. */
class KeepsLowestBallot extends Replica<Batch> {
  protected override supersedes(candidate: LogEntry<unknown>, current: LogEntry<unknown>): boolean {
    return !current.chosen && (candidate.chosen || candidate.ballot.round < current.ballot.round);
  }
}

/** Promises without reporting what it accepted: the new leader fills chosen slots with NO-OPs. */
class ForgetfulPromise extends Replica<Batch> {
  protected override uncommittedEntries(): LogEntry<Batch>[] {
    return [];
  }
}

function firstFailingSeed(
  createReplica: (init: ReplicaInit<Batch>) => Replica<Batch>,
  seedsMax: number,
  mustSync?: SimOptions['mustSync'],
): number | undefined {
  for (let seed = 1; seed <= seedsMax; seed++) {
    try {
      runSeed({
        seed,
        faultTicks: 600,
        livenessTicksMax: 3000,
        createReplica,
        ...(mustSync === undefined ? {} : { mustSync }),
      });
    } catch (error) {
      if (error instanceof SimulationFailure || error instanceof AssertionError) return seed;
      throw error;
    }
  }
  return undefined;
}

describe('the simulator catches a deliberately broken core', () => {
  const cases: Array<[string, (init: ReplicaInit<Batch>) => Replica<Batch>]> = [
    ['a quorum one vote short', (init) => new QuorumTooSmall(init)],
    ['reconciliation keeping the lowest ballot', (init) => new KeepsLowestBallot(init)],
    ['promises that report no accepted entries', (init) => new ForgetfulPromise(init)],
  ];
  for (const [rule, createReplica] of cases) {
    test(`${rule} is caught within 3000 seeds`, () => {
      const seed = firstFailingSeed(createReplica, 3000);
      assert.ok(seed !== undefined, `no seed out of 3000 caught ${rule}`);
    });
  }

  test('accepted entries left off the disk (only promises fsynced) are caught by a power loss within 3000 seeds', () => {
    const seed = firstFailingSeed(
      (init) => new Replica<Batch>(init),
      3000,
      (rd) => rd.paxos.promised !== undefined,
    );
    assert.ok(seed !== undefined, 'no seed out of 3000 caught votes lost in a power loss');
  });

  test('the unbroken replica passes the same seeds the broken ones fail on', () => {
    assert.equal(
      firstFailingSeed((init) => new Replica<Batch>(init), 50),
      undefined,
    );
  });
});
