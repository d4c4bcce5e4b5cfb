import { badInput } from '../core/errors.js';
import type { DisturbSettings, NodeStatus } from '../protocol/admin.js';

/**
 * `ledger node disturb N`: its flags as the settings of the transport failpoint, and what the
 * commands say about a disturbed node (`node disturb`, `cluster status`).
 */

/** --off calms it; otherwise what is not given is 0; nothing at all is a mistake, not a no-op. */
export function disturbSettings(flags: { duplicate?: number; 'delay-ms'?: number; off?: boolean }): DisturbSettings {
  const given = flags.duplicate !== undefined || flags['delay-ms'] !== undefined;
  if (flags.off === true) {
    if (given) throw badInput('--off calms the node: give it alone', 'drop --duplicate and --delay-ms');
    return { duplicatePercent: 0, delayMsMax: 0 };
  }
  if (!given)
    throw badInput(
      'say how to disturb the node',
      'give --duplicate PERCENT and/or --delay-ms MAX, or --off to calm it',
    );
  return { duplicatePercent: flags.duplicate ?? 0, delayMsMax: flags['delay-ms'] ?? 0 };
}

/** One line about a node's transport failpoint, from its status: what it does, what it did. */
export function describeDisturbance(status: Pick<NodeStatus, 'node' | 'disturbed' | 'transportFaults'>): string {
  const { delayed, duplicated, overflowed } = status.transportFaults;
  const sofar = `so far ${duplicated} duplicated, ${delayed} delayed${overflowed > 0 ? `, ${overflowed} not held (at the bound)` : ''}`;
  const d = status.disturbed ?? null;
  if (d === null) return `n${status.node} calm: delivers at once, once; ${sofar}`;
  const what = [
    d.duplicatePercent > 0 ? `duplicates ${d.duplicatePercent} %` : undefined,
    d.delayMsMax > 0 ? `delays up to ${d.delayMsMax} ms` : undefined,
  ].filter((x) => x !== undefined);
  return `n${status.node} disturbed: ${what.join(', ')}; ${sofar}`;
}
