import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { publishErrorLogIntervalMs, PublishErrors } from '../../src/node/publish-errors.js';
import type { PublishFailure } from '../../src/transport/transport.js';

const tooLarge: PublishFailure = {
  subject: 'ledger.c1.paxos',
  bytes: 2_000_000,
  reason: 'payload-too-large',
  error: new Error("'payload' max_payload size exceeded"),
};

describe('publish errors', () => {
  test('each failure is counted by reason and logged, at most once per interval per reason, with what was left out', () => {
    const lines: Array<Record<string, unknown>> = [];
    const counted: string[] = [];
    let now = 0;
    const errors = new PublishErrors(
      { error: ((fields: Record<string, unknown>) => void lines.push(fields)) as never },
      () => now,
      (reason) => counted.push(reason),
    );
    for (let i = 0; i < 1000; i++) errors.record(tooLarge);
    errors.record({ ...tooLarge, reason: 'closed' });
    assert.equal(errors.total, 1001);
    assert.deepEqual(errors.byReason(), { 'payload-too-large': 1000, closed: 1 });
    assert.equal(counted.length, 1001);
    // A storm: one line for the first failure of each reason, not a thousand.
    assert.deepEqual(
      lines.map((l) => [l.reason, l.suppressedSinceLastLog]),
      [
        ['payload-too-large', 0],
        ['closed', 0],
      ],
    );
    assert.equal(lines[0]?.bytes, 2_000_000);
    now += publishErrorLogIntervalMs;
    errors.record(tooLarge);
    assert.deepEqual(lines.at(-1), {
      subject: 'ledger.c1.paxos',
      bytes: 2_000_000,
      reason: 'payload-too-large',
      err: "'payload' max_payload size exceeded",
      suppressedSinceLastLog: 999,
      total: 1001,
    });
  });
});
