import { abortReasonsMax, snapshotRoles, type MetricsSnapshot } from '../protocol/metrics.js';
import { arr, bool, fail, int, obj, oneOf, optional, str } from './validate.js';

/** Non-negative finite numbers (rates and means are fractional). */
function num(value: unknown, path: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) fail(path, 'a non-negative number');
  return value;
}

/** Decodes and checks a MetricsSnapshot (src/protocol/metrics.ts) as it arrives on `ledger.events`. */
export function decodeMetricsSnapshot(value: unknown, path = 'snapshot'): MetricsSnapshot {
  const o = obj(value, path);
  const p = (field: string) => `${path}.${field}`;
  return {
    node: int(o.node, p('node'), 1),
    cluster: int(o.cluster, p('cluster'), 1),
    role: oneOf(o.role, p('role'), snapshotRoles),
    isolated: bool(o.isolated, p('isolated')),
    leader: optional(o.leader, p('leader'), (v, q) => int(v, q, 1)),
    ballot: str(o.ballot, p('ballot'), 64),
    commitIndex: int(o.commitIndex, p('commitIndex')),
    appliedIndex: int(o.appliedIndex, p('appliedIndex')),
    lagSlots: int(o.lagSlots, p('lagSlots')),
    commitsTotal: int(o.commitsTotal, p('commitsTotal')),
    abortsTotal: arr(o.abortsTotal, p('abortsTotal'), abortReasonsMax + 1, (v, q) => {
      const a = obj(v, q);
      return { reason: str(a.reason, `${q}.reason`, 64), count: int(a.count, `${q}.count`) };
    }),
    viewChangesTotal: int(o.viewChangesTotal, p('viewChangesTotal')),
    intervalMs: int(o.intervalMs, p('intervalMs')),
    repliesPerSec: num(o.repliesPerSec, p('repliesPerSec')),
    commitsPerSec: num(o.commitsPerSec, p('commitsPerSec')),
    latencyMsP50: num(o.latencyMsP50, p('latencyMsP50')),
    latencyMsP99: num(o.latencyMsP99, p('latencyMsP99')),
    pendingRequests: int(o.pendingRequests, p('pendingRequests')),
    pendingCommands: int(o.pendingCommands, p('pendingCommands')),
    batchCommandsMean: num(o.batchCommandsMean, p('batchCommandsMean')),
    batchCommandsMax: int(o.batchCommandsMax, p('batchCommandsMax')),
    paxosMessagesPerCommit: num(o.paxosMessagesPerCommit, p('paxosMessagesPerCommit')),
    persistMsP99: num(o.persistMsP99, p('persistMsP99')),
    metricsPort: optional(o.metricsPort, p('metricsPort'), (v, q) => int(v, q, 1)),
    pid: int(o.pid, p('pid'), 1),
    uptimeMs: int(o.uptimeMs, p('uptimeMs')),
    sentAtMs: int(o.sentAtMs, p('sentAtMs')),
  };
}
