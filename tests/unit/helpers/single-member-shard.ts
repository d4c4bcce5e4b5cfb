import assert from 'node:assert/strict';
import { SeededRandom } from '../../../src/core/random.js';
import { ShardServer, type ShardServerInit } from '../../../src/ledger/shard-server.js';
import { ballotZero } from '../../../src/paxos/ballot.js';
import { testSettings } from './replica-harness.js';

/**
 * A one-member cluster's ShardServer, ticked until it leads: it chooses what it proposes at
 * once, so a test drives a whole shard by hand. `self` is the node and the cluster id unless
 * `init` says otherwise.
 */
export function singleMemberLeader(
  self: number,
  balances: Array<[number, number]>,
  init: Partial<ShardServerInit> & Pick<ShardServerInit, 'clusterOfAccount' | 'twoPc'>,
): ShardServer {
  const s = new ShardServer({
    self,
    members: [self],
    settings: testSettings,
    random: new SeededRandom(self),
    cluster: self,
    checkpoint: { intervalSlots: 1000, logTailSlots: 1000 },
    promised: ballotZero,
    log: [],
    appliedIndex: 0,
    balances: new Map(balances),
    sessions: [],
    ...init,
  });
  for (let i = 0; i < 100 && s.role !== 'leader'; i++) {
    s.tick();
    for (s.propose(); s.hasReady(); s.propose()) {
      s.ready();
      s.advance();
    }
  }
  assert.equal(s.role, 'leader');
  return s;
}
