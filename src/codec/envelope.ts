import type { Envelope } from '../protocol/envelope.js';
import { decodeAdminReply, decodeAdminRequest } from './admin-bodies.js';
import { decodeCbor, encodeCbor } from './cbor.js';
import { decodeCommand, decodeResponse, decodeShardMessage, decodeTwoPcMessage } from './ledger-codec.js';
import { decodeMetricsSnapshot } from './metrics-snapshot.js';
import { decodeMoveMessage } from './resharding-codec.js';
import { arr, DecodeError, int, obj, oneOf, optional, type Obj } from './validate.js';
import { limits } from '../core/limits.js';

/** Bumped on any incompatible change; a node drops envelopes of another version. */
export const envelopeVersion = 2;

export function encodeEnvelope(envelope: Envelope): Uint8Array {
  return encodeCbor({ v: envelopeVersion, ...envelope });
}

/** Decodes and validates; throws DecodeError on anything malformed. */
export function decodeEnvelope(bytes: Uint8Array): Envelope {
  let raw: unknown;
  try {
    raw = decodeCbor(bytes);
  } catch (error) {
    throw new DecodeError(`not CBOR: ${(error as Error).message}`);
  }
  const o = obj(raw, 'envelope');
  if (o.v !== envelopeVersion) throw new DecodeError(`envelope.v: expected ${envelopeVersion}, got ${String(o.v)}`);
  const kind = oneOf(o.kind, 'envelope.kind', [
    'paxos',
    'request',
    'request-batch',
    '2pc',
    'move',
    'response',
    'response-batch',
    'admin',
    'admin-reply',
    'metrics',
  ] as const);
  switch (kind) {
    case 'paxos':
      return {
        kind,
        cluster: int(o.cluster, 'envelope.cluster', 1),
        generation: int(o.generation, 'envelope.generation'),
        message: decodeShardMessage(o.message, 'envelope.message'),
      };
    case 'request': {
      const generation = optional(o.generation, 'envelope.generation', int);
      const request = {
        kind,
        command: decodeCommand(o.command, 'envelope.command'),
        hops: int(o.hops, 'envelope.hops'),
      };
      return generation === undefined ? request : { ...request, generation };
    }
    case 'request-batch': {
      const generation = optional(o.generation, 'envelope.generation', int);
      const items = batchItems(o.items, 'envelope.items', (item, path) => ({
        id: int(item.id, `${path}.id`),
        command: decodeCommand(item.command, `${path}.command`),
      }));
      const request = { kind, items, hops: int(o.hops, 'envelope.hops') };
      return generation === undefined ? request : { ...request, generation };
    }
    case '2pc':
      return {
        kind,
        fromCluster: int(o.fromCluster, 'envelope.fromCluster', 1),
        generation: int(o.generation, 'envelope.generation'),
        message: decodeTwoPcMessage(o.message, 'envelope.message'),
      };
    case 'move':
      return {
        kind,
        fromCluster: int(o.fromCluster, 'envelope.fromCluster', 1),
        generation: int(o.generation, 'envelope.generation'),
        message: decodeMoveMessage(o.message, 'envelope.message'),
      };
    case 'response':
      return { kind, response: decodeResponse(o.response, 'envelope.response') };
    case 'response-batch':
      return {
        kind,
        items: batchItems(o.items, 'envelope.items', (item, path) => ({
          id: int(item.id, `${path}.id`),
          response: decodeResponse(item.response, `${path}.response`),
        })),
      };
    case 'admin': {
      const request = decodeAdminRequest(o, 'envelope');
      const generation = optional(o.generation, 'envelope.generation', int);
      return { kind, ...request, ...(generation === undefined ? {} : { generation }) };
    }
    case 'admin-reply':
      return { kind, ...decodeAdminReply(o, 'envelope') };
    case 'metrics':
      return { kind, snapshot: decodeMetricsSnapshot(o.snapshot, 'envelope.snapshot') };
  }
}

/** The items of a request or response batch: 1..limits.requestsPerBatchMax of them, each id
 *  once (two answers for one id, or one answer for two requests, would be a guess). */
function batchItems<T extends { id: number }>(value: unknown, path: string, item: (o: Obj, path: string) => T): T[] {
  const items = arr(value, path, limits.requestsPerBatchMax, (v, p) => item(obj(v, p), p));
  if (items.length === 0) throw new DecodeError(`${path}: expected at least one item`);
  const ids = new Set<number>();
  for (const { id } of items) {
    if (ids.has(id)) throw new DecodeError(`${path}: id ${id} appears twice`);
    ids.add(id);
  }
  return items;
}

export { DecodeError };
