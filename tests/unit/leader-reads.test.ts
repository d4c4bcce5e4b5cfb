import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Group, testSettings } from './helpers/replica-harness.js';

/**
 * What README "Reads" promises for `leader` reads (issue 10, bug 3): no lease, so a leader cut
 * off from its majority keeps serving them, but for at most 2 x electionTicksMin +
 * heartbeatTicks of its own clock after it last heard from a majority. (A leader read of an
 * account held by an undecided cross-shard transfer goes through the log: tests/unit/
 * twopc-shard-server.test.ts; the simulator checks the whole promise in real time.)
 */
describe('leader reads: the documented staleness window', () => {
  const windowTicks = 2 * testSettings.electionTicksMin + testSettings.heartbeatTicks;

  for (const offset of [0, 3, 7]) {
    test(`a leader cut off ${offset} ticks into its check-quorum period stops serving within ${windowTicks} ticks of last hearing a majority`, () => {
      const g = new Group([1, 2, 3]);
      const leader = g.elect(1);
      // Normal operation for a while, with heartbeats answered.
      for (let i = 0; i < offset; i++) {
        leader.tick();
        g.settle();
      }
      g.dropAll();
      let served = 0;
      for (let i = 1; i <= 10 * windowTicks && leader.isServing; i++) {
        leader.tick();
        g.dropAll();
        if (leader.isServing) served = i;
      }
      assert.equal(leader.isServing, false, 'it steps down');
      assert.ok(
        served <= windowTicks,
        `served leader reads ${served} ticks after it last heard a majority (documented: at most ${windowTicks})`,
      );
      assert.ok(
        served >= testSettings.electionTicksMin - testSettings.heartbeatTicks,
        `no lease: it does serve for a while (${served} ticks)`,
      );
    });
  }
});
