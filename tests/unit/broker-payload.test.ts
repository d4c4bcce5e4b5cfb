import assert from 'node:assert/strict';
import { test } from 'node:test';
import { limits } from '../../src/core/limits.js';
import { brokerPayloadProblem } from '../../src/transport/transport.js';

test('a broker whose max_payload is below what the message budgets need is a problem; equal, larger or unknown is not', () => {
  const needed = limits.natsMaxPayloadBytes;
  assert.equal(brokerPayloadProblem(needed, needed), undefined);
  assert.equal(brokerPayloadProblem(8 * needed, needed), undefined);
  assert.equal(brokerPayloadProblem(undefined, needed), undefined);
  assert.equal(
    brokerPayloadProblem(needed - 1, needed),
    `the NATS server accepts payloads of at most ${needed - 1} bytes, and Ledger's messages need ${needed}`,
  );
});
