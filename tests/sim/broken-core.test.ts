import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { AssertionError } from '../../src/core/assert.js';
import type { Batch } from '../../src/protocol/commands.js';
import type { LogEntry } from '../../src/protocol/paxos.js';
import { Replica, type ReplicaInit } from '../../src/paxos/replica.js';
import { runSeed, SimulationFailure, type SimOptions } from './cluster-sim.js';
import { NodeRuntime, type NodeRuntimeInit } from '../../src/node/runtime.js';
import type { Command } from '../../src/protocol/commands.js';
import type { SimRequest } from './sim-message.js';
import { TwoPcDriver } from '../../src/twopc/driver.js';
import { txnKey } from '../../src/twopc/steps.js';
import type { CoordinatorRecord } from '../../src/protocol/twopc.js';

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

/**
 * A source whose leader sends a move to its destination when it receives the move-out, not once
 * the move-out is applied: the destination credits the accounts before the source gave them up
 * (or when it never does: a move-out refused, or moves raced). The real runtime and core run;
 * only this extra message is the mutant's.
 */
function movesBeforeChosen(init: NodeRuntimeInit<SimRequest>): NodeRuntime<SimRequest> {
  return new (class extends NodeRuntime<SimRequest> {
    override request(request: SimRequest, command: Command, generation: number | undefined): void {
      const { op } = command;
      const server = init.server;
      if (op.kind === 'move-out' && server.role === 'leader' && op.accounts.every((a) => server.state.hasAccount(a))) {
        const balances = op.accounts.map((a) => [a, server.state.balanceOf(a) as number] as [number, number]);
        const move = { epoch: op.epoch, from: server.cluster, to: op.to, balances, sessions: [] };
        init.outbox.twoPc(op.to, { type: 'move', move }, init.generation);
      }
      super.request(request, command, generation);
    }
  })(init);
}

/**
 * A coordinator that tells its client committed as soon as its own PREPARE is chosen, without
 * waiting for the participant's PREPARE to be chosen with yes (parallel commit's rule). The
 * real driver runs; only this early answer is the mutant's.
 */
class AnswersBeforeParticipant extends TwoPcDriver {
  override onApplied(command: Command): void {
    super.onApplied(command);
    const key = txnKey(command.clientId, command.seq);
    if (
      command.op.kind === 'x-prepare-coordinator' &&
      this.host.state.twoPc.coordinatorRecord(key)?.state === 'prepared'
    )
      this.host.answer({ clientId: command.clientId, seq: command.seq }, { status: 'committed' });
  }
}

/**
 * A coordinator that aborts on the participant's silence any PREPARE it has not answered, also
 * one an earlier leader chose (and may have answered committed on the participant's yes): the
 * real rule allows it only for a PREPARE chosen in the leader's own term.
 */
class AbortsOnSilenceInAnyTerm extends TwoPcDriver {
  protected override mayAbortOnSilence(r: CoordinatorRecord): boolean {
    return !this.answered.has(txnKey(r.clientId, r.seq));
  }
}

/** The first of seeds 1..seedsMax on which the simulator fails with this 2PC driver. */
function firstFailingSeedOfDriver(
  createTwoPcDriver: NonNullable<SimOptions['createTwoPcDriver']>,
  seedsMax: number,
  seedFirst = 1,
): number | undefined {
  for (let seed = seedFirst; seed <= seedsMax; seed++) {
    try {
      runSeed({ seed, faultTicks: 600, livenessTicksMax: 3000, createTwoPcDriver });
    } catch (error) {
      if (error instanceof SimulationFailure || error instanceof AssertionError) return seed;
      throw error;
    }
  }
  return undefined;
}

/** The first of seeds 1..seedsMax on which the simulator fails with this runtime. */
function firstFailingSeedOfRuntime(
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

  // Seed 2 (the first seed that runs moves) caught it when it was written: the destination took in a move its source had not chosen.
  test('a destination credited before the source chose the move-out is caught within 60 seeds', () => {
    const seed = firstFailingSeedOfRuntime(movesBeforeChosen, 60);
    assert.ok(seed !== undefined, 'no seed out of 60 caught a move sent before its move-out was chosen');
    // The real runtime passes the seeds up to the one that caught it.
    assert.equal(
      firstFailingSeedOfRuntime((init) => new NodeRuntime<SimRequest>(init), seed),
      undefined,
    );
  });

  test('a coordinator that answers committed before the participant chose its PREPARE is caught within 30 seeds', () => {
    const seed = firstFailingSeedOfDriver((...args) => new AnswersBeforeParticipant(...args), 30);
    assert.ok(seed !== undefined, 'no seed out of 30 caught an answer given before the participant voted');
    // The real driver passes the seeds up to the one that caught it.
    assert.equal(
      firstFailingSeedOfDriver((...args) => new TwoPcDriver(...args), seed),
      undefined,
    );
  });

  // It needs a leader deposed after it told a client committed, and the next one timing out on
  // a participant that is slow to answer: seed 622 was the first of 1..1000 to catch it when it
  // was written (the real driver passes 1..622). The range starts at 601 to keep the stage short.
  test('a coordinator that aborts on silence a PREPARE chosen in an earlier term is caught within seeds 601-1000', () => {
    const seed = firstFailingSeedOfDriver((...args) => new AbortsOnSilenceInAnyTerm(...args), 1000, 601);
    assert.ok(seed !== undefined, 'no seed of 601-1000 caught an abort on silence of an earlier term');
    assert.equal(
      firstFailingSeedOfDriver((...args) => new TwoPcDriver(...args), seed, 601),
      undefined,
    );
  });

  test('the unbroken replica passes the same seeds the broken ones fail on', () => {
    assert.equal(
      firstFailingSeed((init) => new Replica<Batch>(init), 50),
      undefined,
    );
  });
});
