import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { encodeCbor } from '../../src/codec/cbor.js';
import { decodeEnvelope, DecodeError, encodeEnvelope, envelopeVersion } from '../../src/codec/envelope.js';
import { sampleSnapshot } from './metrics-fixtures.js';

describe('metrics snapshot envelopes', () => {
  test('a metrics envelope round-trips', () => {
    const snapshot = sampleSnapshot();
    assert.deepEqual(decodeEnvelope(encodeEnvelope({ kind: 'metrics', snapshot })), { kind: 'metrics', snapshot });
  });

  test('a failed node without a known leader or endpoint round-trips', () => {
    const snapshot = sampleSnapshot({ role: 'failed', leader: undefined, metricsPort: undefined, abortsTotal: [] });
    assert.deepEqual(decodeEnvelope(encodeEnvelope({ kind: 'metrics', snapshot })), { kind: 'metrics', snapshot });
  });

  const bad: Array<[string, Record<string, unknown>]> = [
    ['an unknown role', { role: 'king' }],
    ['a negative lag', { lagSlots: -1 }],
    ['a fractional commit count', { commitsTotal: 1.5 }],
    ['a latency that is not a number', { latencyMsP99: '7' }],
    ['an infinite rate', { repliesPerSec: Infinity }],
    ['node 0', { node: 0 }],
    ['an abort without a reason', { abortsTotal: [{ count: 1 }] }],
    ['too many abort reasons', { abortsTotal: Array.from({ length: 40 }, (_, i) => ({ reason: `r${i}`, count: 1 })) }],
  ];
  for (const [what, change] of bad) {
    test(`a snapshot with ${what} is refused with a DecodeError`, () => {
      const bytes = encodeCbor({ v: envelopeVersion, kind: 'metrics', snapshot: { ...sampleSnapshot(), ...change } });
      assert.throws(() => decodeEnvelope(bytes), DecodeError);
    });
  }

  test('a metrics envelope without a snapshot is refused', () => {
    assert.throws(() => decodeEnvelope(encodeCbor({ v: envelopeVersion, kind: 'metrics' })), DecodeError);
  });
});
