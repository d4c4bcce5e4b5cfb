import { isMoveMessage } from '../../src/protocol/moves.js';
import { encodeEnvelope } from '../../src/codec/envelope.js';
import type { Envelope } from '../../src/protocol/envelope.js';
import type { SimMessage } from './sim-message.js';

/**
 * The simulated broker's max_payload. NATS's is 1 MiB, which a seed would need tens of
 * thousands of commands to reach; scaled down to 4 KiB, a few dozen clients with long ids
 * fill it. The cores are told the same limit (ReplicaSettings.payloadBytesMax) and derive their
 * byte budgets from it, as the nodes do from 1 MiB: a slot of 256 bytes, a message of 2 KiB (1 KiB of entries).
 */
export const simPayloadBytesMax = 4_096;

/** A slot counts as full when its commands take more than half of the slot budget the cores
 *  derive from that limit (256 bytes, see payloadBudgets). */
export const fullSlotBytes = 128;

/**
 * A message's size as the node would publish it: the real envelope, encoded with the real codec
 * (not the cores' own size bound, so this check shares nothing with what it checks).
 */
export function wireBytes(m: SimMessage): number {
  // Only what carries log entries or state can grow; the rest (votes, heartbeats, requests of
  // one bounded command, 2PC steps) is a few hundred bytes at most and not worth encoding.
  if (m.kind !== 'paxos' || !('entries' in m.message || m.message.type === 'snapshot')) return 0;
  if (m.message.type === 'accept' && m.message.entries.length === 0) return 0;
  // A broadcast is sent once per member, but measured once.
  let bytes = sizes.get(m.message);
  if (bytes === undefined) {
    bytes = encodeEnvelope(envelopeOf(m)).length;
    sizes.set(m.message, bytes);
  }
  return bytes;
}

const sizes = new WeakMap<object, number>();

function envelopeOf(m: SimMessage): Envelope {
  // The widest cluster ids and generations a deployment uses (a generation is below 2^20).
  switch (m.kind) {
    case 'paxos':
      return { kind: 'paxos', cluster: 1_000, generation: 2 ** 20, message: m.message };
    case 'request':
      return { kind: 'request', command: m.command, hops: m.hops };
    case '2pc':
      return isMoveMessage(m.message)
        ? { kind: 'move', fromCluster: 1_000, generation: 2 ** 20, message: m.message }
        : { kind: '2pc', fromCluster: 1_000, generation: 2 ** 20, message: m.message };
    case 'response':
      return { kind: 'response', response: m.response };
  }
}

export function describeMessage(m: SimMessage): string {
  if (m.kind !== 'paxos') return m.kind;
  const entries = 'entries' in m.message ? ` with ${m.message.entries.length} entries` : '';
  return `${m.message.type}${entries}`;
}
