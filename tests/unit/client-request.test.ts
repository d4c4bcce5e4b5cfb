import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { encodeCbor } from '../../src/codec/cbor.js';
import { admitClientRequest } from '../../src/codec/client-request.js';
import { decodeEnvelope, DecodeError, encodeEnvelope, envelopeVersion } from '../../src/codec/envelope.js';
import { limits } from '../../src/core/limits.js';

/** What a node's request subject accepts (src/codec/client-request.ts): a refusal with its
 *  reason for anything else, never a throw. */

const valid = {
  kind: 'request',
  command: { clientId: 'c-1', seq: 1, op: { kind: 'transfer', from: 1, to: 2, amount: 5 } },
  hops: 0,
} as const;
const withOp = (op: unknown) =>
  encodeCbor({ v: envelopeVersion, kind: 'request', hops: 0, command: { clientId: 'c-1', seq: 1, op } });

function refusal(data: Uint8Array): string {
  const r = admitClientRequest(data);
  assert.ok('refusal' in r, `refused: ${JSON.stringify(r)}`);
  return r.refusal;
}

describe('client requests as a node admits them', () => {
  test('a valid request is taken as decoded', () => {
    const r = admitClientRequest(encodeEnvelope(valid));
    assert.deepEqual(r, { envelope: valid });
  });

  test('each kind of bad request is refused with a reason naming what is wrong', () => {
    const cases: Array<[string, Uint8Array, RegExp]> = [
      ['random bytes', new Uint8Array([0xff, 0x00, 0x13, 0x99]), /not CBOR|envelope/],
      ['empty', new Uint8Array(0), /not CBOR|envelope/],
      ['a truncated envelope', encodeEnvelope(valid).subarray(0, 20), /not CBOR/],
      [
        'another kind of envelope',
        encodeEnvelope({ kind: 'response', response: { kind: 'busy' } }),
        /expected request or request-batch, got response/,
      ],
      [
        'a negative amount',
        withOp({ kind: 'transfer', from: 1, to: 2, amount: -5 }),
        /amount: expected an integer >= 1/,
      ],
      ['a huge amount', withOp({ kind: 'transfer', from: 1, to: 2, amount: 2 ** 60 }), /amount/],
      ['an amount as a string', withOp({ kind: 'transfer', from: 1, to: 2, amount: '5' }), /amount/],
      [
        'a 2PC step as a client op',
        withOp({ kind: 'x-decide', role: 'coordinator', decision: 'commit' }),
        /op.kind: expected one of transfer, balance/,
      ],
      [
        'an oversized client id',
        encodeCbor({
          ...valid,
          v: envelopeVersion,
          command: { ...valid.command, clientId: 'x'.repeat(limits.clientIdLengthMax + 1) },
        }),
        /clientId/,
      ],
      ['an old envelope version', encodeCbor({ ...valid, v: envelopeVersion - 1 }), /envelope.v/],
      [
        'a request over the size bound',
        encodeCbor({ ...valid, v: envelopeVersion, pad: 'x'.repeat(limits.clientRequestBytesMax) }),
        /too large: \d+ bytes, at most 4096/,
      ],
    ];
    for (const [what, data, reason] of cases) assert.match(refusal(data), reason, what);
  });

  test('a reason that quotes long input is cut to the bound, so the refusal itself decodes', () => {
    const reason = refusal(encodeCbor({ ...valid, v: 'v'.repeat(3_000) }));
    assert.ok(reason.length <= limits.reasonLengthMax, `${reason.length} characters`);
    const answer = decodeEnvelope(encodeEnvelope({ kind: 'response', response: { kind: 'refused', reason } }));
    assert.deepEqual(answer, { kind: 'response', response: { kind: 'refused', reason } });
  });

  test('a refusal without a reason, or with one over the bound, does not decode', () => {
    for (const reason of ['', 'r'.repeat(limits.reasonLengthMax + 1), 7])
      assert.throws(
        () =>
          decodeEnvelope(encodeCbor({ v: envelopeVersion, kind: 'response', response: { kind: 'refused', reason } })),
        DecodeError,
      );
  });
});
