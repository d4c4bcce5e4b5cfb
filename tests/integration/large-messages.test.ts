import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { LedgerClient } from '../../src/client/ledger-client.js';
import { decodeEnvelope, encodeEnvelope } from '../../src/codec/envelope.js';
import { limits, payloadBudgets } from '../../src/core/limits.js';
import type { Command } from '../../src/protocol/commands.js';
import { defaultTopology } from '../../src/ledger/topology.js';
import { asAdmin } from '../../src/node/nats-access.js';
import { subjects } from '../../src/transport/subjects.js';
import type { Transport } from '../../src/transport/transport.js';
import { TestCluster, waitUntil } from './harness.js';

/**
 * Issue 10, bug 2, with real processes: full slots (commands with the longest client ids, of
 * 3-byte characters) make catch-up replies and promises far larger than NATS's max_payload
 * unless they are packed under it. A follower that missed such traffic must catch up, and
 * after the leader dies the two survivors must elect a leader (the follower's promise carries
 * its uncommitted tail of full slots) and commit.
 */

const s = subjects('ledger');
/** Cluster 1 holds accounts 1..3000 in the default topology. */
const pairs = 1400;
const wideId = (burst: number, i: number) =>
  `${'€'.repeat(limits.clientIdLengthMax - 12)}${String(burst).padStart(2, '0')}${String(i).padStart(10, '0')}`;

async function status(cluster: TestCluster): Promise<any[]> {
  return (await cluster.json(['cluster', 'status'], [0, 1])).nodes.filter((n: any) => n.cluster === 1);
}

/**
 * Publishes `pairs` transfers at once to `node`, each from a new client with the widest id,
 * on disjoint account pairs so none waits for another's lock: they pile up at the leader and
 * fill slots to their byte budget. Resolves with how many got a final answer by `untilMs`.
 */
function burst(transport: Transport, node: number, n: number): { answered: () => number } {
  const inbox = `${s.userInbox(transport.user ?? 'anonymous')}.large-${n}-${Math.random().toString(36).slice(2)}`;
  let answered = 0;
  transport.subscribe(inbox, (m) => {
    const e = decodeEnvelope(m.data);
    if (e.kind === 'response' && e.response.kind === 'outcome') answered++;
  });
  for (let i = 0; i < pairs; i++) {
    const command: Command = {
      clientId: wideId(n, i),
      seq: 1,
      op: { kind: 'transfer', from: 2 * i + 1, to: 2 * i + 2, amount: 1 },
    };
    transport.publish(s.nodeRequests(node), encodeEnvelope({ kind: 'request', command, hops: 0 }), inbox);
  }
  return { answered: () => answered };
}

describe('messages over max_payload (issue 10, bug 2)', () => {
  let cluster: TestCluster;
  let transport: Transport;
  let client: LedgerClient;
  /** Largest commands-per-slot each node reported on ledger.events (its metrics snapshot). */
  const batchMax = new Map<number, number>();

  before(async () => {
    cluster = await TestCluster.start();
    transport = await cluster.connect(asAdmin, 'it-large', true);
    client = new LedgerClient(transport, defaultTopology, 'ledger', { attemptTimeoutMs: 500, deadlineMs: 15_000 });
    transport.subscribe(s.events, (m) => {
      const e = decodeEnvelope(m.data);
      if (e.kind === 'metrics')
        batchMax.set(e.snapshot.node, Math.max(batchMax.get(e.snapshot.node) ?? 0, e.snapshot.batchCommandsMax));
    });
  });
  after(async () => {
    await transport?.close();
    await cluster?.close();
  });

  test('a follower that missed full slots catches up; when the leader dies the survivors elect a leader and commit', async (t) => {
    let nodes = [] as any[];
    await waitUntil('a leader in cluster 1', 15_000, async () =>
      (nodes = await status(cluster)).some((n) => n.role === 'leader'),
    );
    const leader = nodes.find((n) => n.role === 'leader').node as number;
    const [follower, other] = nodes.map((n) => n.node as number).filter((n) => n !== leader) as [number, number];

    // 1. The follower misses bursts of full slots: more than max_payload of them.
    await cluster.json(['node', 'fail', String(follower)]);
    for (const n of [1, 2, 3]) {
      const b = burst(transport, leader, n);
      await waitUntil(`burst ${n} answered`, 30_000, async () => b.answered() >= pairs);
    }
    const missed = (await status(cluster)).find((n) => n.node === leader).commitIndex as number;

    // The traffic really made full slots: a slot holds what fits in slotBytesMax.
    const commandBytes = encodeEnvelope({
      kind: 'request',
      command: { clientId: wideId(1, 1), seq: 1, op: { kind: 'transfer', from: 1, to: 2, amount: 1 } },
      hops: 0,
    }).length;
    const fullSlotCommands = Math.floor(payloadBudgets(limits.natsMaxPayloadBytes).slotBytesMax / commandBytes);
    await waitUntil('the leader reported its batch sizes', 10_000, async () => (batchMax.get(leader) ?? 0) > 0);
    t.diagnostic(
      `${3 * pairs} commands of ~${commandBytes} bytes: largest slot ${batchMax.get(leader)} commands (a full slot holds ~${fullSlotCommands}); leader at slot ${missed}`,
    );
    assert.ok(
      3 * pairs * commandBytes > 1.5 * limits.natsMaxPayloadBytes,
      'the follower missed more than a catch-up reply could carry unpacked',
    );
    assert.ok(
      (batchMax.get(leader) ?? 0) >= fullSlotCommands * 0.8,
      `slots were not full: at most ${batchMax.get(leader)} commands`,
    );

    // 2. It comes back and catches up from the log: replies of several full slots each.
    await cluster.json(['node', 'recover', String(follower)]);
    await waitUntil(
      `n${follower} caught up to slot ${missed}`,
      20_000,
      async () => (await status(cluster)).find((n) => n.node === follower).commitIndex >= missed,
    );

    // 3. The leader dies with full slots in flight: the follower's promise carries them.
    const last = burst(transport, leader, 4);
    await waitUntil('the last burst under way', 10_000, async () => last.answered() >= 100);
    const killed = nodes.find((n) => n.node === leader).pid as number;
    process.kill(killed, 'SIGKILL');
    await waitUntil('a new leader among the survivors', 20_000, async () =>
      (await status(cluster)).some((n) => n.role === 'leader' && (n.node === follower || n.node === other)),
    );
    const result = await client.transfer(2 * pairs + 1, 2 * pairs + 2, 1);
    assert.equal(result.status, 'committed');

    // Nothing was refused by the broker on the way.
    const survivors = (await status(cluster)).filter((n) => n.node !== leader);
    assert.deepEqual(
      survivors.map((n) => [n.node, n.publishErrors]),
      survivors.map((n) => [n.node, 0]),
    );
  });
});
