import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeNodeStatus } from '../../src/codec/admin-bodies.js';
import { decodeEnvelope, encodeEnvelope } from '../../src/codec/envelope.js';
import { snapshotRoles } from '../../src/protocol/metrics.js';
import { replicaRoles } from '../../src/core/roles.js';
import { sampleSnapshot } from './metrics-fixtures.js';

/** Every role list derives from the replica's: a role added there is accepted everywhere. */

test('a status reply and a metrics snapshot accept every replica role, and only those', () => {
  assert.deepEqual(snapshotRoles, [...replicaRoles, 'failed']);
  const status = {
    node: 1,
    cluster: 1,
    leader: 1,
    ballot: '1.1',
    commitIndex: 0,
    appliedIndex: 0,
    lastSlot: 0,
    pendingCommands: 0,
    malformedMessages: 0,
    failed: false,
    isolated: false,
    logFloor: 0,
    logEntries: 0,
    synchronous: 'full',
    pid: 1,
    uptimeMs: 0,
    generation: 0,
    staleGenerationMessages: 0,
    publishErrors: 0,
    refusedMessages: {},
    mapEpoch: 0,
    accounts: 1_000,
  };
  for (const role of replicaRoles) {
    assert.equal(decodeNodeStatus({ ...status, role }).role, role);
    const decoded = decodeEnvelope(encodeEnvelope({ kind: 'metrics', snapshot: sampleSnapshot({ role }) }));
    assert.ok(decoded.kind === 'metrics' && decoded.snapshot.role === role);
  }
  assert.throws(() => decodeNodeStatus({ ...status, role: 'observer' }), /status\.role/);
});
