import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { encodeCbor } from '../../src/codec/cbor.js';
import { decodeEnvelope, envelopeVersion } from '../../src/codec/envelope.js';
import { limits } from '../../src/core/limits.js';
import { connectNats } from '../../src/transport/nats.js';
import { sendMalformedClientRequests, sendMutatedProtocolMessages } from '../chaos/abuse.js';
import { measureFlood } from '../chaos/flood.js';
import { alive, TestCluster, waitUntil } from './harness.js';

/**
 * Abuse of a real cluster (issue 12, item 6): garbage on every node's request, Paxos and 2PC
 * subjects. The nodes keep running and serving, no state moves, and every malformed client
 * request that can be answered is refused with a reason. The full 100k of each runs in the
 * chaos suite; this sends 5k of each.
 */
describe('malformed client requests and mutated protocol messages against a real cluster', () => {
  let cluster: TestCluster;
  before(async () => {
    cluster = await TestCluster.start();
  });
  after(async () => {
    await cluster?.close();
  });

  /** The money and what moved, as the replicas hold it. */
  async function ledgerState(): Promise<{ totals: number[]; accounts: unknown }> {
    const consistency = await cluster.json(['check', 'consistency']);
    assert.equal(consistency.ok, true, JSON.stringify(consistency));
    return {
      totals: consistency.clusters.map((c: any) => c.replicas.map((r: any) => r.total)),
      accounts: (await cluster.json(['db'])).accounts,
    };
  }

  test('5k of each: every node still runs and answers, nothing moved, every answerable client request refused with a reason', async () => {
    for (const [from, to] of [
      [5, 6],
      [3005, 3006],
      [6005, 6006],
    ])
      assert.equal((await cluster.json(['transfer', String(from), String(to), '2'])).status, 'committed');
    const before = await ledgerState();
    const statusBefore = (await cluster.json(['cluster', 'status'])).nodes;
    const { natsUrl, nodes } = cluster.state;
    const ids = nodes.map((n) => n.node);

    const client = await sendMalformedClientRequests(natsUrl, 'ledger', ids, 5_000, 12);
    const protocol = await sendMutatedProtocolMessages(natsUrl, 'ledger', ids, 5_000, 12);

    assert.equal(client.sent, 5_000);
    assert.equal(client.noAnswer, 0, 'every request with a reply subject was answered');
    // A well-formed request for an account no shard holds is the one answered otherwise: a
    // definite `rejected`, without effect.
    assert.deepEqual(Object.keys(client.answeredOtherwise), ['unknown-accounts -> outcome:rejected']);
    assert.ok((client.byCase['unknown-accounts'] ?? 0) > 0 && (client.byCase['over-size-bound'] ?? 0) > 0);
    assert.equal(
      client.refused +
        (client.answeredOtherwise['unknown-accounts -> outcome:rejected'] ?? 0) +
        client.sentWithoutReply,
      client.sent,
    );
    assert.equal(protocol.sent, 5_000);
    assert.equal(protocol.answered, 0, 'a peer message is never answered');

    for (const { node, pid } of nodes) assert.ok(alive(pid), `n${node} (pid ${pid}) still runs`);
    const statusAfter = (await cluster.json(['cluster', 'status'])).nodes;
    assert.deepEqual(
      statusAfter.map((n: any) => n.role === 'down'),
      ids.map(() => false),
      'every node answers its status',
    );
    const malformedBefore = statusBefore.reduce((sum: number, n: any) => sum + n.malformedMessages, 0);
    const malformedAfter = statusAfter.reduce((sum: number, n: any) => sum + n.malformedMessages, 0);
    assert.ok(
      malformedAfter - malformedBefore >= client.refused,
      `the refusals are counted as malformed (${malformedAfter - malformedBefore} >= ${client.refused})`,
    );
    assert.deepEqual(await ledgerState(), before, 'no balance moved, the money is the same');
    assert.equal((await cluster.json(['transfer', '7', '8', '1'])).status, 'committed', 'and a real transfer commits');
  });

  test("over the payload limits: a request over the node's bound is refused with the reason; one over max_payload is refused by the client library, and the connection stays", async () => {
    const transport = await connectNats({ url: cluster.state.natsUrl, name: 'it-abuse-big', longRunning: false });
    try {
      const request = {
        v: envelopeVersion,
        kind: 'request',
        hops: 0,
        command: { clientId: 'big-1', seq: 1, op: { kind: 'transfer', from: 1, to: 2, amount: 1 } },
      };
      const big = encodeCbor({ ...request, pad: 'p'.repeat(500_000) });
      assert.ok(big.length > limits.clientRequestBytesMax && big.length < limits.natsMaxPayloadBytes);
      const answer = decodeEnvelope(await transport.request('ledger.n1.req', big, 5_000));
      assert.deepEqual(answer, {
        kind: 'response',
        response: {
          kind: 'refused',
          reason: `request too large: ${big.length} bytes, at most ${limits.requestBatchBytesMax}`,
        },
      });
      await assert.rejects(
        transport.request('ledger.n1.req', new Uint8Array(limits.natsMaxPayloadBytes + 1), 2_000),
        /max_payload/,
      );
      assert.equal(transport.connection().connected, true);
      // The same request within the bound runs.
      const fits = decodeEnvelope(await transport.request('ledger.n1.req', encodeCbor(request), 5_000));
      assert.equal(fits.kind === 'response' && fits.response.kind, 'outcome');
    } finally {
      await transport.close();
    }
    await waitUntil('the cluster still commits', 10_000, async () => {
      return (await cluster.json(['transfer', '9', '10', '1'], [0, 1])).status === 'committed';
    });
  });

  test('one client flooding a leader is told busy beyond its share, and the other clients keep committing', async () => {
    // No timing threshold: on a loaded machine only the shape is robust. The flood keeps more
    // requests unanswered than its share of the leader's queue, but fewer than the whole queue
    // holds: only the per-origin bound makes the leader say busy.
    const floodInFlight = 8_000;
    assert.ok(limits.pendingCommandsPerOriginMax < floodInFlight && floodInFlight < limits.pendingCommandsMax);
    // Sent at once and not refilled: a flood that refills as fast as it is answered takes the
    // leader's CPU, which no queue bound shares out (see the figures in tests/chaos/flood.ts).
    const r = await measureFlood({
      natsUrl: cluster.state.natsUrl,
      seconds: 2,
      normalClients: 4,
      floodInFlight,
      floodTotal: floodInFlight,
    });
    assert.ok(
      (r.with.outcomes.committed ?? 0) > 0,
      `the normal clients commit during the flood: ${JSON.stringify(r.with)}`,
    );
    assert.ok((r.with.flood.answers.busy ?? 0) > 0, `the flood is told busy: ${JSON.stringify(r.with.flood)}`);
  });
});
