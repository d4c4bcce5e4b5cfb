import { readFileSync } from 'node:fs';
import { LedgerError } from '../core/errors.js';
import { defaultTopology, validateTopology, type Topology } from '../ledger/topology.js';
import type { ReplicaSettings } from '../paxos/replica.js';
import { limits } from '../core/limits.js';

/**
 * Protocol timing. The cores count ticks; only the runtime knows how long a tick is.
 * Defaults: a 10 ms tick; heartbeats every 50 ms; an election after 300-600 ms of silence. The
 * election timeout is 6-12 heartbeats, so a few lost heartbeats or a GC pause on a loaded
 * 2-core machine do not depose a healthy leader, while a dead one is replaced well within 1 s.
 * The random spread (300 ms) keeps two followers from starting elections at the same moment.
 */
export interface Timing {
  tickMs: number;
  heartbeatTicks: number;
  electionTicksMin: number;
  electionTicksMax: number;
  /** Resend an accept not acknowledged after this long: a few round trips on loopback. */
  retransmitTicks: number;
}

export const defaultTiming: Timing = {
  tickMs: 10,
  heartbeatTicks: 5,
  electionTicksMin: 30,
  electionTicksMax: 60,
  retransmitTicks: 10,
};

/** Everything a node process needs to know; written by `ledger cluster start` into the data dir. */
export interface LedgerConfig {
  /** Subject prefix, so several deployments can share a broker. */
  prefix: string;
  natsUrl: string;
  dataDir: string;
  topology: Topology;
  timing: Timing;
  durability: 'full' | 'normal';
}

export function replicaSettings(timing: Timing): ReplicaSettings {
  return {
    heartbeatTicks: timing.heartbeatTicks,
    electionTicksMin: timing.electionTicksMin,
    electionTicksMax: timing.electionTicksMax,
    retransmitTicks: timing.retransmitTicks,
    slotsInFlightMax: limits.slotsInFlightMax,
    entriesPerMessageMax: limits.entriesPerMessageMax,
  };
}

export function makeConfig(partial: { natsUrl: string; dataDir: string } & Partial<LedgerConfig>): LedgerConfig {
  return validateConfig({
    prefix: 'ledger',
    topology: defaultTopology,
    timing: defaultTiming,
    durability: 'full',
    ...partial,
  });
}

export function validateConfig(c: LedgerConfig): LedgerConfig {
  if (typeof c.prefix !== 'string' || !/^[A-Za-z0-9_-]+$/.test(c.prefix)) throw new LedgerError('config', `subject prefix must be letters, digits, - or _, got ${String(c.prefix)}`);
  if (typeof c.natsUrl !== 'string' || c.natsUrl.length === 0) throw new LedgerError('config', 'natsUrl is missing');
  validateTopology(c.topology);
  const t = c.timing;
  const positive = (n: unknown) => typeof n === 'number' && Number.isSafeInteger(n) && n > 0;
  if (![t.tickMs, t.heartbeatTicks, t.electionTicksMin, t.electionTicksMax, t.retransmitTicks].every(positive)) {
    throw new LedgerError('config', 'timing values must be positive integers');
  }
  if (t.electionTicksMin <= t.heartbeatTicks || t.electionTicksMax < t.electionTicksMin) {
    throw new LedgerError('config', 'timing: need heartbeatTicks < electionTicksMin <= electionTicksMax');
  }
  if (c.durability !== 'full' && c.durability !== 'normal') throw new LedgerError('config', `durability must be full or normal, got ${String(c.durability)}`);
  return c;
}

export function readConfig(file: string): LedgerConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new LedgerError('config', `cannot read the configuration ${file}`, { hint: 'start a cluster with `ledger cluster start`', cause: error });
  }
  try {
    return validateConfig(JSON.parse(text) as LedgerConfig);
  } catch (error) {
    if (error instanceof LedgerError) throw error;
    throw new LedgerError('config', `${file} is not valid JSON: ${(error as Error).message}`);
  }
}
