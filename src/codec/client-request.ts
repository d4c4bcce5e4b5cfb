import { limits } from '../core/limits.js';
import type { Envelope } from '../protocol/envelope.js';
import { decodeEnvelope } from './envelope.js';
import { DecodeError } from './validate.js';

export type RequestEnvelope = Extract<Envelope, { kind: 'request' | 'request-batch' }>;

/**
 * A client request as it arrives on a node's request subject, checked before the node holds or
 * acts on it: its size first (so a large blob is never decoded), then its CBOR and its shape.
 * A request the node cannot accept gets `refusal`, the reason it answers the client with (a
 * `refused` response): the client then knows for sure that nothing happened, instead of waiting
 * for a timeout. Never throws on input; only a bug of the decoder would.
 */
export function admitClientRequest(data: Uint8Array): { envelope: RequestEnvelope } | { refusal: string } {
  // A batch may be larger than one request; one request alone is held to its own bound below.
  if (data.length > limits.requestBatchBytesMax)
    return { refusal: `request too large: ${data.length} bytes, at most ${limits.requestBatchBytesMax}` };
  try {
    const envelope = decodeEnvelope(data);
    if (envelope.kind !== 'request' && envelope.kind !== 'request-batch')
      return { refusal: `envelope.kind: expected request or request-batch, got ${envelope.kind}` };
    if (envelope.kind === 'request' && data.length > limits.clientRequestBytesMax)
      return { refusal: `request too large: ${data.length} bytes, at most ${limits.clientRequestBytesMax}` };
    return { envelope };
  } catch (error) {
    if (!(error instanceof DecodeError)) throw error;
    return { refusal: refusalText(error.message) };
  }
}

/** A reason fits the response's bound (a decoder's message may quote the input). */
function refusalText(reason: string): string {
  return reason.length <= limits.reasonLengthMax ? reason : `${reason.slice(0, limits.reasonLengthMax - 1)}…`;
}
