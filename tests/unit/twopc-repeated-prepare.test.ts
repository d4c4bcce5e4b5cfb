import { isMoveMessage } from '../../src/protocol/moves.js';
/**
 * A repeated PREPARE is judged against the topology and the money like a first one, but not
 * against a balance that already holds its own tentative credit (a review finding: the resent
 * PREPARE after a lost vote was refused as forged, and a transfer that should commit aborted).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ClusterId, NodeId } from '../../src/protocol/ids.js';
import type { ShardServer } from '../../src/ledger/shard-server.js';
import type { Response } from '../../src/protocol/client.js';
import type { TwoPcMessage } from '../../src/protocol/twopc.js';
import { singleMemberLeader } from './helpers/single-member-shard.js';

const clusterOfAccount = (a: number): ClusterId | undefined =>
  a >= 1 && a <= 3 ? 1 : a >= 7 && a <= 9 ? 2 : undefined;

function server(self: NodeId, cluster: ClusterId, balances: Array<[number, number]>): ShardServer {
  return singleMemberLeader(self, balances, {
    cluster,
    clusterOfAccount,
    twoPc: { lockWaitTicks: 5, voteTimeoutTicks: 60, resendTicks: 10, queryTicks: 30 },
    twoPcBounds: { clusters: 2, moneyTotal: 600 },
  });
}

describe('the money bound on a repeated PREPARE', () => {
  test('a PREPARE resent after a lost vote, while the balance holds its credit, is not refused: the transfer commits', () => {
    // All the money: 600. Account 7 holds 350, account 1 holds 250; transfer 200 from 1 to 7.
    const c = server(1, 1, [
      [1, 250],
      [2, 0],
      [3, 0],
    ]);
    const p = server(7, 2, [
      [7, 350],
      [8, 0],
      [9, 0],
    ]);
    const replies = new Map<number, Response>();
    let dropVotes = true;
    const pumpBoth = () => {
      for (let i = 0; i < 20; i++) {
        for (const [from, to] of [
          [c, p],
          [p, c],
        ] as const) {
          for (from.propose(); from.hasReady(); from.propose()) {
            const rd = from.ready();
            for (const r of rd.replies) replies.set(r.reqId, r.response);
            const msgs: TwoPcMessage[] = rd.twoPc.flatMap((m) => (isMoveMessage(m.message) ? [] : [m.message]));
            from.advance();
            for (const m of msgs) if (!(dropVotes && m.type === 'vote')) to.stepTwoPc(m);
          }
        }
      }
    };
    c.request({
      reqId: 1,
      command: { clientId: 'S', seq: 1, op: { kind: 'transfer', from: 1, to: 7, amount: 200 } },
      hops: 0,
    });
    pumpBoth(); // prepared on both sides (7 holds 550 with the tentative credit); the vote is lost
    assert.equal(p.state.balanceOf(7), 550, 'precondition: prepared at the participant');
    dropVotes = false;
    for (let t = 0; t < 100 && !replies.has(1); t++) {
      c.tick();
      p.tick();
      pumpBoth();
    }
    assert.deepEqual((replies.get(1) as Extract<Response, { kind: 'outcome' }>)?.outcome, { status: 'committed' });
    assert.deepEqual(
      Object.fromEntries(p.refusals()),
      {},
      "the coordinator's resent PREPARE (550 + 200 > 600) was refused as forged",
    );
  });
});
