import type { MetricsSnapshot } from '../../src/protocol/metrics.js';

/** A healthy leader's snapshot; tests override what they look at. */
export function sampleSnapshot(overrides: Partial<MetricsSnapshot> = {}): MetricsSnapshot {
  return {
    node: 1,
    cluster: 1,
    role: 'leader',
    isolated: false,
    leader: 1,
    ballot: '3.1',
    commitIndex: 120,
    appliedIndex: 118,
    lagSlots: 2,
    commitsTotal: 500,
    abortsTotal: [{ reason: 'locked', count: 3 }],
    viewChangesTotal: 1,
    intervalMs: 1000,
    repliesPerSec: 250.5,
    commitsPerSec: 240,
    latencyMsP50: 1.2,
    latencyMsP99: 7.9,
    pendingRequests: 4,
    pendingCommands: 0,
    batchCommandsMean: 3.5,
    batchCommandsMax: 12,
    paxosMessagesPerCommit: 0.8,
    persistMsP99: 2.1,
    metricsPort: 9101,
    pid: 4242,
    uptimeMs: 60_000,
    sentAtMs: 1_790_000_000_000,
    ...overrides,
  };
}
