import { limits } from '../core/limits.js';
import type { Command } from '../protocol/commands.js';
import type { Response, ShardMessage } from '../protocol/client.js';
import { decodeCbor, encodeCbor } from './cbor.js';
import { decodeCommand, decodeResponse, decodeShardMessage, decodeTwoPcMessage } from './ledger-codec.js';
import { decodeMetricsSnapshot, type MetricsSnapshot } from './metrics-snapshot.js';
import type { TwoPcMessage } from '../protocol/twopc.js';
import { bool, DecodeError, int, obj, oneOf, optional, str } from './validate.js';

/** Bumped on any incompatible change; a node drops envelopes of another version. */
export const envelopeVersion = 2;

export const adminOps = ['status', 'balance', 'db', 'view', 'hashes', 'hold-cross-shard', 'fail', 'recover', 'isolate', 'heal', 'flush', 'lead'] as const;
export type AdminOp = (typeof adminOps)[number];

/** What a flush sets up on a node: the new generation, the leader agreed in advance for it, and
 *  whether the node starts failed (a test set's live list leaves it out). */
export interface FlushArgs {
  generation: number;
  leader: number;
  failed: boolean;
}

/** Everything that travels over NATS, tagged by `kind`. */
export type Envelope =
  /** `generation`: the sender's flush generation; a node drops messages of another one, so
   *  nothing from before a flush leaks into the fresh instance. */
  | { kind: 'paxos'; cluster: number; generation: number; message: ShardMessage }
  /** `generation`: the flush generation the client works in, when it knows it (the test-file
   *  runner): a node in another generation drops the request, so nothing sent before a flush
   *  runs after it. Without it the request runs in whatever generation the node is in. */
  | { kind: 'request'; command: Command; hops: number; generation?: number }
  /** Two-Phase Commit between the leaders of two clusters. */
  | { kind: '2pc'; fromCluster: number; generation: number; message: TwoPcMessage }
  | { kind: 'response'; response: Response }
  /** `holdMs`: how long `hold-cross-shard` holds new cross-shard transfers (0 lifts it). */
  | { kind: 'admin'; op: AdminOp; account?: number; flush?: FlushArgs; holdMs?: number; generation?: number }
  /** Admin replies carry command-specific bodies, checked by the caller that asked. */
  | { kind: 'admin-reply'; ok: boolean; body: unknown; error?: string }
  /** A node's periodic metrics, on `ledger.events` (`ledger top`, `ledger check health`). */
  | { kind: 'metrics'; snapshot: MetricsSnapshot };

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
  const kind = oneOf(o.kind, 'envelope.kind', ['paxos', 'request', '2pc', 'response', 'admin', 'admin-reply', 'metrics'] as const);
  switch (kind) {
    case 'paxos':
      return {
        kind,
        cluster: int(o.cluster, 'envelope.cluster', 1),
        generation: int(o.generation, 'envelope.generation'),
        message: decodeShardMessage(o.message, 'envelope.message'),
      };
    case 'request':
    {
      const generation = optional(o.generation, 'envelope.generation', int);
      const request = { kind, command: decodeCommand(o.command, 'envelope.command'), hops: int(o.hops, 'envelope.hops') };
      return generation === undefined ? request : { ...request, generation };
    }
    case '2pc':
      return {
        kind,
        fromCluster: int(o.fromCluster, 'envelope.fromCluster', 1),
        generation: int(o.generation, 'envelope.generation'),
        message: decodeTwoPcMessage(o.message, 'envelope.message'),
      };
    case 'response':
      return { kind, response: decodeResponse(o.response, 'envelope.response') };
    case 'admin': {
      const op = oneOf(o.op, 'envelope.op', adminOps);
      const account = optional(o.account, 'envelope.account', (v, p) => int(v, p, 0));
      const flush = optional(o.flush, 'envelope.flush', decodeFlushArgs);
      if (op === 'flush' && flush === undefined) throw new DecodeError('envelope.flush: a flush needs its arguments');
      const holdMs = optional(o.holdMs, 'envelope.holdMs', (v, p) => int(v, p, 0));
      if (holdMs !== undefined && holdMs > limits.holdCrossShardMsMax) throw new DecodeError(`envelope.holdMs: expected at most ${limits.holdCrossShardMsMax}`);
      if (op === 'hold-cross-shard' && holdMs === undefined) throw new DecodeError('envelope.holdMs: a hold needs its duration');
      const generation = optional(o.generation, 'envelope.generation', int);
      return { kind, op, ...(account === undefined ? {} : { account }), ...(flush === undefined ? {} : { flush }), ...(holdMs === undefined ? {} : { holdMs }), ...(generation === undefined ? {} : { generation }) };
    }
    case 'admin-reply': {
      const error = optional(o.error, 'envelope.error', (v, p) => str(v, p, 4096));
      const reply = { kind, ok: bool(o.ok, 'envelope.ok'), body: o.body };
      return error === undefined ? reply : { ...reply, error };
    }
    case 'metrics':
      return { kind, snapshot: decodeMetricsSnapshot(o.snapshot, 'envelope.snapshot') };
  }
}

export { DecodeError };

function decodeFlushArgs(value: unknown, path: string): FlushArgs {
  const o = obj(value, path);
  return { generation: int(o.generation, `${path}.generation`), leader: int(o.leader, `${path}.leader`, 1), failed: bool(o.failed, `${path}.failed`) };
}
