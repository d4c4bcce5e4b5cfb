import { setTimeout as pause } from 'node:timers/promises';
import { performance } from 'node:perf_hooks';
import { decodeCbor, encodeCbor } from '../../src/codec/cbor.js';
import { decodeEnvelope, encodeEnvelope, envelopeVersion } from '../../src/codec/envelope.js';
import { SeededRandom } from '../../src/core/random.js';
import type { ClusterId, NodeId } from '../../src/protocol/ids.js';
import { clusterOfNode, defaultTopology, nodesOfCluster, type Topology } from '../../src/ledger/topology.js';
import { asAdmin, asClient } from '../../src/node/nats-access.js';
import type { NatsRole } from '../../src/node/nats-permissions.js';
import { subjects } from '../../src/transport/subjects.js';
import type { IncomingMessage, Transport } from '../../src/transport/transport.js';

/**
 * Abuse of a running cluster (issue 12, item 6): garbage on the nodes' subjects. Client requests
 * that no correct node may take, and protocol messages (Paxos, snapshot pieces, 2PC) mutated
 * from valid ones into forms a node must refuse: out-of-range ballots, slots and clusters,
 * senders that are not members, fields of the wrong type, flipped and cut bytes. Seeded: one
 * seed sends the same messages again.
 *
 * What a correct node does (checked by the caller, not here): answers each client request that
 * has a reply subject with a `refused` response and a reason (an unknown account, which is a
 * well-formed request, with a `rejected` outcome), drops the protocol messages and counts them,
 * keeps running, and changes no state.
 *
 * Each protocol message goes out with a node's own credentials (a compromised node: with logins
 * on, nobody else may publish on a protocol subject), on a subject that names that node as the
 * sender. One claiming another sender in its envelope is dropped as forged (docs/security.md).
 *
 * What this does not send: well-formed protocol messages from a member with in-range values:
 * a compromised member may say what it likes as itself, which no node can tell from the truth.
 */

/** Connects to the cluster under attack as `role` (with that role's credentials, if any). */
export type Connector = (role: NatsRole, name: string) => Promise<Transport>;

/** Client requests of each case, and what came back. */
export interface ClientAbuseCounts {
  sent: number;
  /** Sent without a reply subject (a node can only count and drop them). */
  sentWithoutReply: number;
  /** Answered with a refusal that says why. */
  refused: number;
  /** Answered otherwise, by `${case} -> ${answer}` (answer: `outcome:<status>`, `busy`,
   *  `redirect`, `refused-without-reason`, `undecodable`). */
  answeredOtherwise: Record<string, number>;
  /** Sent with a reply subject, and no answer came. */
  noAnswer: number;
  /** Sent, by case. */
  byCase: Record<string, number>;
}

export interface ProtocolAbuseCounts {
  sent: number;
  /** Sent, by case. */
  byCase: Record<string, number>;
  /** Anything that came back on a reply subject (nothing should: peers do not wait for one). */
  answered: number;
}

export interface AbuseOptions {
  /** The deployment's topology (the default one otherwise). */
  topology?: Topology;
  /** Messages published between two flushes to the broker. */
  chunk?: number;
  /** Client requests awaiting their answer before more are sent. */
  inFlightMax?: number;
  /** How long to wait for the last answers. */
  settleMs?: number;
}

const defaults = { chunk: 500, inFlightMax: 2_000, settleMs: 5_000 };

// ---- client requests -----------------------------------------------------------------------

const clientCases = [
  'random-bytes',
  'truncated',
  'bit-flipped',
  'wrong-types',
  'huge-numbers',
  'negative-amounts',
  'unknown-accounts',
  'twopc-step-as-op',
  'oversized-strings',
  'over-size-bound',
  'wrong-envelope-kind',
  'not-a-map',
  'deep-nesting',
] as const;
type ClientCase = (typeof clientCases)[number];

/**
 * Sends `count` malformed client requests to the nodes' request subjects, one in twenty without
 * a reply subject, and counts the answers. Bounded: at most `inFlightMax` unanswered at a time
 * (or until they time out), with a flush to the broker every `chunk` messages.
 */
export async function sendMalformedClientRequests(
  connect: Connector,
  prefix: string,
  nodes: readonly NodeId[],
  count: number,
  seed: number,
  options: AbuseOptions = {},
): Promise<ClientAbuseCounts> {
  const { chunk, inFlightMax, settleMs } = { ...defaults, ...options };
  const topology = options.topology ?? defaultTopology;
  const rng = new SeededRandom(seed);
  const s = subjects(prefix);
  const transport = await connect(asClient, `abuse-client-${seed}`);
  // Below the client's own inbox: the only subjects the broker lets it read.
  const inbox = `${s.userInbox(transport.user ?? 'anonymous')}.abuse-${seed}-${Date.now().toString(36)}`;
  const caseOf = new Map<number, ClientCase>();
  const counts: ClientAbuseCounts = {
    sent: 0,
    sentWithoutReply: 0,
    refused: 0,
    answeredOtherwise: {},
    noAnswer: 0,
    byCase: {},
  };
  let answers = 0;
  let lastAnswerMs = performance.now();
  transport.subscribe(`${inbox}.*`, (m: IncomingMessage) => {
    const index = Number(m.subject.slice(inbox.length + 1));
    const what = caseOf.get(index);
    if (what === undefined) return; // a second answer, or not ours
    caseOf.delete(index);
    answers++;
    lastAnswerMs = performance.now();
    const answer = answerText(m.data);
    if (answer === 'refused') counts.refused++;
    else bump(counts.answeredOtherwise, `${what} -> ${answer}`);
  });
  await transport.flush();
  try {
    let withReply = 0;
    for (let i = 0; i < count; i++) {
      const what = rng.pick(clientCases);
      const data = malformedRequest(what, rng, topology);
      const node = rng.pick(nodes);
      bump(counts.byCase, what);
      counts.sent++;
      if (rng.chance(0.05)) {
        counts.sentWithoutReply++;
        transport.publish(s.nodeRequests(node), data);
      } else {
        withReply++;
        caseOf.set(i, what);
        transport.publish(s.nodeRequests(node), data, `${inbox}.${i}`);
      }
      if ((i + 1) % chunk === 0) {
        await transport.flush();
        await waitFor(() => withReply - answers < inFlightMax, 2_000);
      }
    }
    await transport.flush();
    // The last answers: until all came, or none came for a while.
    await waitFor(() => answers >= withReply || performance.now() - lastAnswerMs > 1_000, settleMs);
    counts.noAnswer = caseOf.size;
    return counts;
  } finally {
    await transport.close();
  }
}

function answerText(data: Uint8Array): string {
  try {
    const envelope = decodeEnvelope(data);
    if (envelope.kind !== 'response') return `envelope:${envelope.kind}`;
    const r = envelope.response;
    if (r.kind === 'refused') return r.reason.length > 0 ? 'refused' : 'refused-without-reason';
    if (r.kind === 'outcome') return `outcome:${r.outcome.status}`;
    return r.kind;
  } catch {
    return 'undecodable';
  }
}

/** One malformed request of the case; regenerated while it would still be a valid request (a
 *  flipped bit may land in an amount), so that nothing this sends can move money. */
function malformedRequest(what: ClientCase, rng: SeededRandom, topology: Topology): Uint8Array {
  for (let tries = 0; tries < 20; tries++) {
    const data = candidateRequest(what, rng, topology);
    if (what === 'unknown-accounts' || !wellFormedRequest(data)) return data;
  }
  return new Uint8Array([0xff]);
}

function validRequest(rng: SeededRandom, topology: Topology): Record<string, unknown> {
  const op = rng.chance(0.7)
    ? {
        kind: 'transfer',
        from: rng.int(1, topology.accounts),
        to: rng.int(1, topology.accounts),
        amount: rng.int(1, 9),
      }
    : { kind: 'balance', account: rng.int(1, topology.accounts) };
  return {
    v: envelopeVersion,
    kind: 'request',
    hops: 0,
    command: { clientId: `abuse${rng.int(0, 1e6)}-${rng.int(0, 99)}`, seq: rng.int(1, 1e6), op },
  };
}

/** Wrong values for a field, whatever it expects. */
function wrongValue(rng: SeededRandom): unknown {
  return rng.pick<() => unknown>([
    () => 'x'.repeat(rng.int(1, 40)),
    () => -rng.int(1, 1e9),
    () => 0,
    () => 1.5,
    () => 2 ** 53 + rng.int(1, 1e6),
    () => 1e300,
    () => true,
    () => [1, 2, 3],
    () => ({ nested: { deeper: 1 } }),
    () => new Uint8Array(rng.int(0, 16)),
    () => Number.NaN,
    () => Number.NEGATIVE_INFINITY,
  ])();
}

function setPath(o: Record<string, unknown>, path: string[], value: unknown): void {
  let at: Record<string, unknown> = o;
  for (const key of path.slice(0, -1)) at = at[key] as Record<string, unknown>;
  at[path[path.length - 1] as string] = value;
}

function candidateRequest(what: ClientCase, rng: SeededRandom, topology: Topology): Uint8Array {
  const base = validRequest(rng, topology);
  const op = (base.command as { op: Record<string, unknown> }).op;
  const numberFields = op.kind === 'transfer' ? ['from', 'to', 'amount'] : ['account'];
  switch (what) {
    case 'random-bytes':
      return randomBytes(rng, rng.int(0, rng.chance(0.9) ? 64 : 2_000));
    case 'truncated': {
      const bytes = encodeCbor(base);
      return bytes.subarray(0, rng.int(0, bytes.length - 1));
    }
    case 'bit-flipped':
      return flipBits(encodeCbor(base), rng, rng.int(1, 8));
    case 'wrong-types': {
      const paths = [
        ['v'],
        ['kind'],
        ['hops'],
        ['command'],
        ['command', 'clientId'],
        ['command', 'seq'],
        ['command', 'op'],
        ['command', 'op', 'kind'],
        ...numberFields.map((f) => ['command', 'op', f]),
      ];
      setPath(base, rng.pick(paths), wrongValue(rng));
      return encodeCbor(base);
    }
    case 'huge-numbers':
      setPath(
        base,
        ['command', 'op', rng.pick(numberFields)],
        rng.pick([2 ** 53, 2 ** 64, 1e20, Number.MAX_VALUE, Number.POSITIVE_INFINITY]),
      );
      return encodeCbor(base);
    case 'negative-amounts':
      base.command = {
        ...(base.command as object),
        op: { kind: 'transfer', from: 1, to: 2, amount: rng.pick([0, -1, -rng.int(2, 1e9), -(2 ** 53)]) },
      };
      return encodeCbor(base);
    case 'unknown-accounts': {
      // Well formed, for accounts no shard holds: answered `rejected`, never run.
      const unknown = topology.accounts + rng.int(1, 1e9);
      base.command = {
        ...(base.command as object),
        op: rng.chance(0.5)
          ? { kind: 'transfer', from: unknown, to: rng.int(1, topology.accounts), amount: 1 }
          : { kind: 'balance', account: unknown, consistency: 'any' },
      };
      return encodeCbor(base);
    }
    case 'twopc-step-as-op':
      base.command = {
        ...(base.command as object),
        op: rng.pick([
          { kind: 'x-prepare-coordinator', from: 1, to: 4000, amount: 1, participant: 2 },
          { kind: 'x-prepare-participant', to: 4000, amount: 1_000_000, coordinator: 1 },
          { kind: 'x-decide', role: 'participant', decision: 'commit', peer: 1 },
          { kind: 'x-end' },
        ]),
      };
      return encodeCbor(base);
    case 'oversized-strings':
      setPath(
        base,
        rng.pick([['command', 'clientId'], ['kind'], ['command', 'op', 'kind'], ['command', 'op', 'consistency']]),
        'é'.repeat(rng.int(129, 1_300)),
      );
      return encodeCbor(base);
    case 'over-size-bound':
      // Valid fields, but over the node's request bound (well under the broker's max_payload).
      return encodeCbor({
        ...base,
        pad: 'p'.repeat(rng.chance(0.01) ? rng.int(16_000, 1_000_000) : rng.int(4_100, 16_000)),
      });
    case 'wrong-envelope-kind':
      return rng.pick([
        () => encodeEnvelope({ kind: 'response', response: { kind: 'busy' } }),
        () => encodeEnvelope({ kind: 'admin', op: 'status' }),
        () =>
          encodeEnvelope({
            kind: 'paxos',
            cluster: 1,
            generation: 0,
            message: { type: 'catchup-request', from: 2, fromSlot: 1 },
          }),
        () => encodeCbor({ ...base, kind: 'transfer' }),
        () => encodeCbor({ ...base, v: envelopeVersion + rng.int(1, 100) }),
      ])();
    case 'not-a-map':
      return encodeCbor(rng.pick<unknown>([[base], 'request', 42, null, true, new Uint8Array(8), -7.5]));
    case 'deep-nesting': {
      const depth = rng.int(100, 1_500);
      const bytes = new Uint8Array(depth + 1).fill(0x81); // [[[[...]]]]
      bytes[depth] = 0x01;
      return bytes;
    }
  }
}

/**
 * Whether the bytes are a request a correct node must take (its own reading of the protocol in
 * src/protocol, not the node's decoder): then it must not be sent, since it might move money.
 */
function wellFormedRequest(data: Uint8Array): boolean {
  let o: unknown;
  try {
    o = decodeCbor(data);
  } catch {
    return false;
  }
  const isMap = (x: unknown): x is Record<string, unknown> =>
    typeof x === 'object' && x !== null && !Array.isArray(x) && !(x instanceof Uint8Array);
  const whole = (x: unknown, min: number) => typeof x === 'number' && Number.isSafeInteger(x) && x >= min;
  if (!isMap(o) || o.v !== envelopeVersion || o.kind !== 'request' || !whole(o.hops, 0)) return false;
  if (o.generation !== undefined && o.generation !== null && !whole(o.generation, 0)) return false;
  const c = o.command;
  if (!isMap(c) || typeof c.clientId !== 'string' || c.clientId.length < 1 || c.clientId.length > 128) return false;
  if (!whole(c.seq, 1) || !isMap(c.op)) return false;
  const op = c.op;
  if (op.kind === 'transfer') return whole(op.from, 1) && whole(op.to, 1) && whole(op.amount, 1);
  if (op.kind !== 'balance' || !whole(op.account, 1)) return false;
  return (
    op.consistency === undefined ||
    op.consistency === null ||
    ['linearizable', 'leader', 'any'].includes(op.consistency as string)
  );
}

// ---- protocol messages ---------------------------------------------------------------------

const protocolCases = [
  'absurd-ballot',
  'absurd-slot',
  'forged-sender',
  'wrong-field',
  'bit-flipped',
  'truncated',
  'wrong-cluster',
  'wrong-kind',
  'twopc-out-of-range',
  'snapshot-forged',
  'random-bytes',
] as const;
type ProtocolCase = (typeof protocolCases)[number];

/**
 * Sends `count` mutated protocol messages to the nodes' Paxos subjects (each node's and each
 * cluster's) and the clusters' 2PC subjects. Every one starts from a valid message that a node
 * must refuse for a reason the message carries (a non-member sender, a ballot round beyond any
 * election, slots beyond the window, a cluster out of range or an amount beyond all the money),
 * then is mutated further. Sent in each cluster's current flush generation (asked of its nodes),
 * so that they reach the cores rather than being dropped as stale.
 */
export async function sendMutatedProtocolMessages(
  connect: Connector,
  prefix: string,
  nodes: readonly NodeId[],
  count: number,
  seed: number,
  options: AbuseOptions = {},
): Promise<ProtocolAbuseCounts> {
  const { chunk } = { ...defaults, ...options };
  const topology = options.topology ?? defaultTopology;
  const rng = new SeededRandom(seed);
  const s = subjects(prefix);
  const transport = await connect(asAdmin, `abuse-protocol-${seed}`);
  const counts: ProtocolAbuseCounts = { sent: 0, byCase: {}, answered: 0 };
  const inbox = `${s.userInbox(transport.user ?? 'anonymous')}.abuse-p${seed}-${Date.now().toString(36)}`;
  transport.subscribe(`${inbox}.*`, () => counts.answered++);
  // One connection per attacking node, with its own credentials.
  const attackers = new Map<NodeId, Transport>();
  const attacker = async (node: NodeId): Promise<Transport> => {
    let t = attackers.get(node);
    if (t === undefined) {
      t = await connect({ kind: 'node', node }, `abuse-protocol-${seed}-n${node}`);
      attackers.set(node, t);
    }
    return t;
  };
  try {
    const generations = await clusterGenerations(transport, prefix, topology, nodes);
    for (let i = 0; i < count; i++) {
      const node = rng.pick(nodes);
      const cluster = clusterOfNode(topology, node);
      const what = rng.pick(protocolCases);
      const members = nodesOfCluster(topology, cluster);
      const peers = members.filter((n) => n !== node);
      const otherCluster = (cluster % topology.clusters) + 1;
      const target: Target = {
        topology,
        node,
        cluster,
        generation: generations.get(cluster) ?? 0,
        subjects: s,
        paxosSender: peers.length > 0 ? rng.pick(peers) : node,
        twoPcSender: nodesOfCluster(topology, otherCluster)[0] as NodeId,
      };
      const { subject, data } = mutatedMessage(what, rng, target);
      const sender = await attacker(subject.includes('.2pc.') ? target.twoPcSender : target.paxosSender);
      bump(counts.byCase, what);
      counts.sent++;
      // A reply subject on some: a peer message is never answered, whatever it asks for.
      if (rng.chance(0.1)) sender.publish(subject, data, `${inbox}.${i}`);
      else sender.publish(subject, data);
      if ((i + 1) % chunk === 0) {
        for (const t of attackers.values()) await t.flush();
        // Let the nodes keep up (they decode each message): the broker would otherwise queue
        // without bound for a slow node and drop its connection.
        await pause(2);
      }
    }
    for (const t of attackers.values()) await t.flush();
    return counts;
  } finally {
    for (const t of attackers.values()) await t.close();
    await transport.close();
  }
}

/** Each cluster's flush generation, as its first answering node reports it. */
async function clusterGenerations(
  transport: Transport,
  prefix: string,
  topology: Topology,
  nodes: readonly NodeId[],
): Promise<Map<ClusterId, number>> {
  const s = subjects(prefix);
  const generations = new Map<ClusterId, number>();
  for (const node of nodes) {
    const cluster = clusterOfNode(topology, node);
    if (generations.has(cluster)) continue;
    try {
      const reply = decodeEnvelope(
        await transport.request(s.nodeAdmin(node), encodeEnvelope({ kind: 'admin', op: 'status' }), 2_000),
      );
      if (reply.kind === 'admin-reply' && reply.ok && reply.op === 'status')
        generations.set(cluster, (reply.body as { generation: number }).generation);
    } catch {
      // Not answering: its cluster's messages go in generation 0 (a fresh cluster's).
    }
  }
  return generations;
}

interface Target {
  topology: Topology;
  node: NodeId;
  cluster: ClusterId;
  generation: number;
  subjects: ReturnType<typeof subjects>;
  /** The member (not the target) whose credentials send the Paxos messages: the sender the
   *  subject names, and the one the well-formed cases claim. */
  paxosSender: NodeId;
  /** A node of another cluster, whose credentials send the 2PC messages. */
  twoPcSender: NodeId;
}

/** A node id that is no member of the cluster (another cluster's node, or none at all). */
function nonMember(rng: SeededRandom, t: Target): NodeId {
  const members = nodesOfCluster(t.topology, t.cluster);
  const candidates = [999, 2 ** 31, 10_000 + rng.int(0, 1e6)];
  for (let n = 1; n <= t.topology.clusters * t.topology.nodesPerCluster; n++)
    if (!members.includes(n)) candidates.push(n);
  return rng.pick(candidates);
}

const absurdRound = () => 2 ** 40;

/** A Paxos message a member must refuse as it is: its sender is no member. */
function paxosBase(rng: SeededRandom, t: Target): Record<string, unknown> {
  const from = nonMember(rng, t);
  const member = rng.pick(nodesOfCluster(t.topology, t.cluster));
  const ballot = { round: absurdRound(), node: member };
  const batch = [{ clientId: `abuse-${rng.int(0, 1e6)}`, seq: 1, op: { kind: 'transfer', from: 1, to: 2, amount: 5 } }];
  const farSlot = 2 ** 40 + rng.int(0, 1e6);
  return rng.pick<() => Record<string, unknown>>([
    () => ({ type: 'prevote', from, attempt: rng.int(0, 1e9), commitIndex: farSlot }),
    () => ({ type: 'prevote-reply', from, attempt: rng.int(0, 1e9), granted: true }),
    () => ({ type: 'prepare', from, ballot, forced: true }),
    () => ({
      type: 'promise',
      from,
      ballot,
      commitIndex: farSlot,
      entries: [{ slot: farSlot, ballot, value: batch, chosen: true }],
    }),
    () => ({ type: 'accept', from, ballot, commitIndex: farSlot, entries: [{ slot: farSlot, value: batch }] }),
    () => ({ type: 'accepted', from, ballot, slots: [farSlot], commitIndex: farSlot }),
    () => ({ type: 'nack', from, ballot, promised: ballot }),
    () => ({ type: 'catchup-request', from, fromSlot: 1 }),
    () => ({ type: 'catchup-reply', from, commitIndex: farSlot + 10, entries: [{ slot: farSlot, value: batch }] }),
  ])();
}

function paxosEnvelope(t: Target, message: unknown, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { v: envelopeVersion, kind: 'paxos', cluster: t.cluster, generation: t.generation, message, ...extra };
}

function paxosSubject(rng: SeededRandom, t: Target): string {
  return rng.chance(0.5)
    ? t.subjects.clusterPaxos(t.cluster, t.paxosSender)
    : t.subjects.nodePaxos(t.node, t.paxosSender);
}

/** Another cluster than the target's, as a 2PC sender; or one that does not exist. */
function twoPcBase(rng: SeededRandom, t: Target): { fromCluster: number; message: Record<string, unknown> } {
  const txn = { clientId: `abuse-${rng.int(0, 1e6)}`, seq: rng.int(1, 1e6) };
  const badCluster = rng.pick([t.cluster, t.topology.clusters + rng.int(1, 1e6), 2 ** 40]);
  const beyondMoney = t.topology.accounts * t.topology.initialBalance + rng.int(1, 2 ** 40);
  const message = rng.pick<() => Record<string, unknown>>([
    () => ({ type: 'prepare', txn, coordinator: badCluster, to: 1, amount: beyondMoney }),
    () => ({ type: 'vote', txn, participant: badCluster, vote: 'yes', prepareSlot: 1 }),
    () => ({ type: 'decision', txn, coordinator: badCluster, decision: 'commit', prepareSlot: 1 }),
    () => ({ type: 'ack', txn, participant: badCluster }),
    () => ({ type: 'query', txn, participant: badCluster }),
  ])();
  // The envelope names the sender's own cluster (another would be dropped as forged before
  // any check of the message): the bad clusters are inside the message.
  return { fromCluster: clusterOfNode(t.topology, t.twoPcSender), message };
}

function twoPcSubject(t: Target): string {
  return t.subjects.clusterTwoPc(t.cluster, clusterOfNode(t.topology, t.twoPcSender));
}

function mutatedMessage(what: ProtocolCase, rng: SeededRandom, t: Target): { subject: string; data: Uint8Array } {
  const paxos = () => paxosEnvelope(t, paxosBase(rng, t));
  switch (what) {
    case 'absurd-ballot': {
      // From a member, but a ballot no election could reach, or of a non-member.
      const member = t.paxosSender;
      const ballot = rng.chance(0.5)
        ? { round: absurdRound() + rng.int(0, 2 ** 20), node: member }
        : { round: rng.int(1, 5), node: nonMember(rng, t) };
      const message = rng.pick<Record<string, unknown>>([
        { type: 'prepare', from: member, ballot },
        { type: 'accept', from: member, ballot, commitIndex: 0, entries: [] },
        { type: 'accepted', from: member, ballot, slots: [1], commitIndex: 0 },
        { type: 'nack', from: member, ballot, promised: ballot },
      ]);
      return { subject: paxosSubject(rng, t), data: encodeCbor(paxosEnvelope(t, message)) };
    }
    case 'absurd-slot': {
      // From a member, with slots far beyond the window (or not slots at all).
      const member = t.paxosSender;
      const slot = rng.pick([2 ** 40, 2 ** 53 - 1, 10_000_000 + rng.int(0, 1e6)]);
      const message = {
        type: 'catchup-reply',
        from: member,
        commitIndex: slot,
        entries: [{ slot, value: [{ clientId: 'abuse-1', seq: 1, op: { kind: 'balance', account: 1 } }] }],
      };
      return { subject: paxosSubject(rng, t), data: encodeCbor(paxosEnvelope(t, message)) };
    }
    case 'forged-sender': {
      const env = paxos();
      (env.message as Record<string, unknown>).from = nonMember(rng, t);
      return { subject: paxosSubject(rng, t), data: encodeCbor(env) };
    }
    case 'wrong-field': {
      const env = paxos();
      const message = env.message as Record<string, unknown>;
      const field = rng.pick(Object.keys(message));
      message[field] = wrongValue(rng);
      return { subject: paxosSubject(rng, t), data: encodeCbor(env) };
    }
    case 'bit-flipped':
      return { subject: paxosSubject(rng, t), data: flipBits(encodeCbor(paxos()), rng, rng.int(1, 8)) };
    case 'truncated': {
      const bytes = encodeCbor(paxos());
      return { subject: paxosSubject(rng, t), data: bytes.subarray(0, rng.int(0, bytes.length - 1)) };
    }
    case 'wrong-cluster': {
      const env = paxos();
      env.cluster = rng.pick([0, t.cluster + 1, 2 ** 40, -1]);
      return { subject: paxosSubject(rng, t), data: encodeCbor(env) };
    }
    case 'wrong-kind': {
      // A client request, or a 2PC message, on a Paxos subject; Paxos on a 2PC subject.
      if (rng.chance(0.5))
        return {
          subject: paxosSubject(rng, t),
          data: encodeCbor({
            v: envelopeVersion,
            kind: rng.pick(['request', '2pc', 'response']),
            command: { clientId: 'abuse-1', seq: 1, op: { kind: 'x-end' } },
            hops: 0,
          }),
        };
      return { subject: twoPcSubject(t), data: encodeCbor(paxos()) };
    }
    case 'twopc-out-of-range': {
      const { fromCluster, message } = twoPcBase(rng, t);
      if (rng.chance(0.3)) message[rng.pick(Object.keys(message))] = wrongValue(rng);
      const env = { v: envelopeVersion, kind: '2pc', fromCluster, generation: t.generation, message };
      const bytes = encodeCbor(env);
      return {
        subject: twoPcSubject(t),
        data: rng.chance(0.3) ? flipBits(bytes, rng, rng.int(1, 4)) : bytes,
      };
    }
    case 'snapshot-forged': {
      const member = t.paxosSender;
      const chunks = rng.int(1, 4);
      const message = {
        type: 'snapshot',
        // A non-member's snapshot, or a member's whose piece is out of range.
        from: rng.chance(0.5) ? nonMember(rng, t) : member,
        appliedIndex: 2 ** 40,
        chunk: rng.chance(0.5) ? chunks : rng.int(0, chunks - 1),
        chunks,
        balances: [[1, rng.pick([-5, 2 ** 52, 1e300])]],
        sessions: [],
        coordinatorRecords: [],
        participantRecords: [],
      };
      return { subject: t.subjects.nodePaxos(t.node, t.paxosSender), data: encodeCbor(paxosEnvelope(t, message)) };
    }
    case 'random-bytes':
      return {
        subject: rng.pick([
          t.subjects.clusterPaxos(t.cluster, t.paxosSender),
          t.subjects.nodePaxos(t.node, t.paxosSender),
          twoPcSubject(t),
        ]),
        data: randomBytes(rng, rng.int(0, 512)),
      };
  }
}

// ---- helpers -------------------------------------------------------------------------------

function randomBytes(rng: SeededRandom, length: number): Uint8Array {
  const bytes = new Uint8Array(length);
  for (let i = 0; i < length; i++) bytes[i] = rng.int(0, 255);
  return bytes;
}

function flipBits(bytes: Uint8Array, rng: SeededRandom, flips: number): Uint8Array {
  const copy = Uint8Array.from(bytes);
  if (copy.length === 0) return copy;
  for (let i = 0; i < flips; i++) {
    const at = rng.int(0, copy.length - 1);
    copy[at] = (copy[at] as number) ^ (1 << rng.int(0, 7));
  }
  return copy;
}

function bump(counts: Record<string, number>, key: string): void {
  counts[key] = (counts[key] ?? 0) + 1;
}

async function waitFor(condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!condition() && performance.now() < deadline) await pause(5);
}
