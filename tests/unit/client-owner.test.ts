/**
 * LedgerClient follows the shard map (docs/resharding.md): a wrong-shard answer naming a newer
 * owner sends the same command (same client id and sequence: nothing ran) to that cluster; an
 * answer that brings nothing new makes it wait and ask again; a cross-shard transfer aborted
 * because its receiver moved is sent again as a new transaction.
 */
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { describe, test } from 'node:test';
import { LedgerClient } from '../../src/client/ledger-client.js';
import { decodeEnvelope, encodeEnvelope } from '../../src/codec/envelope.js';
import type { Command } from '../../src/protocol/commands.js';
import type { Response } from '../../src/protocol/client.js';
import { defaultTopology } from '../../src/ledger/topology.js';
import { alwaysConnected, BatchService } from './helpers/batch-service.js';
import { TransportTimeoutError, type Transport } from '../../src/transport/transport.js';

/** Defaults: clusters of nodes 1-3, 4-6, 7-9 holding accounts 1-3000, 3001-6000, 6001-9000. */
interface Sent {
  node: number;
  command: Command;
  atMs: number;
}

/** A broker stand-in: `answer` decides each node's response to each command. */
function fakeTransport(answer: (node: number, command: Command, k: number) => Response | 'timeout'): {
  transport: Transport;
  sent: Sent[];
} {
  const sent: Sent[] = [];
  // LedgerClient's batches, each request answered by request() below.
  const batches = new BatchService((subject, data) => transport.request(subject, data, 1));
  const transport: Transport = {
    publish: (subject, data, reply) => batches.publish(subject, data, reply),
    subscribe: (subject, handler) => batches.subscribe(subject, handler),
    async request(subject, data) {
      const node = Number(/\.n(\d+)\.req$/.exec(subject)?.[1]);
      const envelope = decodeEnvelope(data);
      if (envelope.kind !== 'request') throw new Error(`unexpected ${envelope.kind}`);
      sent.push({ node, command: envelope.command, atMs: performance.now() });
      const response = answer(node, envelope.command, sent.length);
      if (response === 'timeout') throw new TransportTimeoutError('no answer');
      return encodeEnvelope({ kind: 'response', response });
    },
    ...alwaysConnected,
  };
  return { transport, sent };
}

const clusterOfNode = (node: number) => Math.ceil(node / 3);

function wrongShard(
  node: number,
  account: number,
  owner?: { cluster: number; epoch: number },
  status: 'rejected' | 'aborted' = 'rejected',
): Response {
  return {
    kind: 'outcome',
    outcome: { status, reason: `account ${account} is not in this shard` },
    servedBy: node,
    slot: undefined,
    ...(owner === undefined ? {} : { owner: { account, ...owner } }),
  };
}

function ok(node: number, balance: number): Response {
  return { kind: 'outcome', outcome: { status: 'ok', balance }, servedBy: node, slot: undefined };
}

const committed = (node: number): Response => ({
  kind: 'outcome',
  outcome: { status: 'committed' },
  servedBy: node,
  slot: 1,
});

const options = { attemptTimeoutMs: 50, deadlineMs: 3_000 };

describe('LedgerClient follows the owner a node names', () => {
  test('a read refused as not in this shard with an owner at another cluster is sent there, with the same client id and sequence; the map keeps it', async () => {
    // Account 1 moved to cluster 2 at epoch 3.
    const { transport, sent } = fakeTransport((node) =>
      clusterOfNode(node) === 1 ? wrongShard(node, 1, { cluster: 2, epoch: 3 }) : ok(node, 55),
    );
    const client = new LedgerClient(transport, defaultTopology, 'ledger', options);
    assert.equal(client.ownerOf(1), 1);
    const r = await client.balance(1);
    assert.equal(r.balance, 55);
    assert.equal(r.servedBy, 4);
    assert.deepEqual(
      sent.map((s) => s.node),
      [1, 4],
    );
    // The same command (same client id, same sequence), now carrying the epoch it learned.
    assert.deepEqual(sent[0]?.command.mapEpoch, undefined);
    assert.deepEqual(sent[1]?.command, { ...sent[0]?.command, mapEpoch: 3 });
    assert.deepEqual(client.map.entryOf(1), { account: 1, cluster: 2, epoch: 3 });
    assert.equal(client.ownerOf(1), 2);
    // The next request goes straight to the new owner.
    sent.length = 0;
    await client.balance(1);
    assert.deepEqual(
      sent.map((s) => s.node),
      [4],
    );
  });

  test('a transfer whose sender moved follows it the same way', async () => {
    const { transport, sent } = fakeTransport((node) =>
      clusterOfNode(node) === 1 ? wrongShard(node, 2, { cluster: 3, epoch: 1 }) : committed(node),
    );
    const client = new LedgerClient(transport, defaultTopology, 'ledger', options);
    const r = await client.transfer(2, 3, 5);
    assert.equal(r.status, 'committed');
    assert.deepEqual(
      sent.map((s) => [s.node, s.command.seq]),
      [
        [1, 1],
        [7, 1],
      ],
    );
  });

  test('an answer that is not news (the owner named is older than the one known) makes it wait and ask the same owner again', async () => {
    // n4 has not applied the move-in yet: its map has no entry for 1 (no owner named), then
    // only an older move of it (to cluster 1 at epoch 2).
    const { transport, sent } = fakeTransport((node, _c, k) => {
      if (clusterOfNode(node) === 1) return wrongShard(node, 1, { cluster: 2, epoch: 3 });
      return k === 2 ? wrongShard(node, 1) : k === 3 ? wrongShard(node, 1, { cluster: 1, epoch: 2 }) : ok(node, 7);
    });
    const client = new LedgerClient(transport, defaultTopology, 'ledger', options);
    const r = await client.balance(1);
    assert.equal(r.balance, 7);
    assert.deepEqual(
      sent.map((s) => s.node),
      [1, 4, 4, 4],
      'it does not go back to the old owner',
    );
    // The same command each time; from the second on with the epoch learned from n1.
    for (const s of sent.slice(1)) assert.deepEqual(s.command, { ...sent[0]?.command, mapEpoch: 3 });
    // It paused before asking again (20 ms a try so far, growing).
    const gaps = sent.slice(1).map((s, i) => s.atMs - (sent[i] as Sent).atMs);
    assert.ok((gaps[1] as number) >= 30, `gaps ${gaps.map((g) => g.toFixed(1)).join(', ')} ms`);
    assert.ok((gaps[2] as number) >= 45, `gaps ${gaps.map((g) => g.toFixed(1)).join(', ')} ms`);
    assert.equal(client.ownerOf(1), 2);
  });

  test('a wrong shard without an owner also waits, and keeps asking the same cluster until the deadline, then reports no balance', async () => {
    const { transport, sent } = fakeTransport((node) => wrongShard(node, 1));
    const client = new LedgerClient(transport, defaultTopology, 'ledger', { attemptTimeoutMs: 50, deadlineMs: 300 });
    const r = await client.balance(1);
    assert.equal(r.balance, null);
    assert.equal(r.sent, true);
    assert.ok(sent.length >= 2 && sent.length <= 15, `${sent.length} attempts in 300 ms`);
    assert.ok(sent.every((s) => s.node === 1));
  });
});

describe('LedgerClient.transfer: a receiver that moved', () => {
  test('an abort because the receiver is not in its shard is tried again as a new transaction (next sequence), and its answer is the result', async () => {
    let aborts = 2;
    const { transport, sent } = fakeTransport((node) =>
      aborts-- > 0 ? wrongShard(node, 3001, undefined, 'aborted') : committed(node),
    );
    const client = new LedgerClient(transport, defaultTopology, 'ledger', options);
    const r = await client.transfer(1, 3001, 5);
    assert.equal(r.status, 'committed');
    assert.deepEqual(
      sent.map((s) => [s.node, s.command.clientId === sent[0]?.command.clientId, s.command.seq]),
      [
        [1, true, 1],
        [1, true, 2],
        [1, true, 3],
      ],
    );
  });

  test('after a handful of such retries it reports the abort', async () => {
    const { transport, sent } = fakeTransport((node) => wrongShard(node, 3001, undefined, 'aborted'));
    const client = new LedgerClient(transport, defaultTopology, 'ledger', options);
    const r = await client.transfer(1, 3001, 5);
    assert.equal(r.status, 'aborted');
    assert.equal(r.reason, 'account 3001 is not in this shard');
    assert.equal(sent.length, 6, 'the first try and five more');
  });

  test('any other abort is not retried', async () => {
    const { transport, sent } = fakeTransport((node) => ({
      kind: 'outcome',
      outcome: { status: 'aborted', reason: 'participant-aborted' },
      servedBy: node,
      slot: 1,
    }));
    const client = new LedgerClient(transport, defaultTopology, 'ledger', options);
    const r = await client.transfer(1, 3001, 5);
    assert.equal(r.status, 'aborted');
    assert.equal(sent.length, 1);
  });
});
