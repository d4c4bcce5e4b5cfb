import { readFileSync } from 'node:fs';
import { LedgerError } from '../core/errors.js';
import { defaultTopology, nodeCount, validateTopology, type Topology } from '../ledger/topology.js';
import type { ReplicaSettings } from '../paxos/replica.js';
import { limits } from '../core/limits.js';
import { defaultClientOptions, type ClientOptions } from '../client/ledger-client.js';
import type { CheckpointSettings } from '../ledger/checkpoints.js';
import { historyCapacityDefault } from '../ledger/state.js';
import type { TwoPcSettings } from '../twopc/driver.js';

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

/**
 * Checkpoints: the log is compacted every 1000 applied slots, keeping 1000 below the checkpoint.
 * At the default pipeline depth that is many seconds of traffic, so a follower restarted or
 * failed for a short while catches up from the log; one gone longer gets a snapshot (a few
 * hundred KiB for 3000 accounts). The log on disk stays at a few thousand rows under any load.
 */
export const defaultCheckpoint: CheckpointSettings = { intervalSlots: 1000, logTailSlots: 1000 };

/**
 * Client timeouts: one attempt waits 500 ms (a healthy commit takes milliseconds, and a retry
 * is safe: the same (client id, sequence) never runs twice), then the next node is tried; the
 * client answers `unknown` after 10 s of retries.
 */
export const defaultClientTimeouts: ClientOptions = defaultClientOptions;

/**
 * Two-Phase Commit, in ticks of 10 ms: a command waits up to 500 ms for locks held by another
 * transaction (the tail of the previous transfer on an account is a few ms; two transfers in
 * opposite directions cannot wait on each other for longer; what each gets then: lockWaitEnd in
 * src/twopc/locks.ts); the coordinator waits 2 s for a
 * vote (a healthy participant answers in milliseconds; a loaded one well within that) before it
 * aborts; unanswered PREPAREs and decisions are resent every 200 ms; a participant that voted
 * yes asks for the decision after 1 s of silence.
 */
export const defaultTwoPc: TwoPcSettings = {
  lockWaitTicks: 50,
  voteTimeoutTicks: 200,
  resendTicks: 20,
  queryTicks: 100,
};

/** Everything a node process needs to know; written by `ledger cluster start` into the data dir. */
export interface LedgerConfig {
  /** Subject prefix, so several deployments can share a broker. */
  prefix: string;
  natsUrl: string;
  dataDir: string;
  topology: Topology;
  timing: Timing;
  checkpoint: CheckpointSettings;
  twoPc: TwoPcSettings;
  client: ClientOptions;
  durability: 'full' | 'normal';
  /** Node N serves Prometheus metrics on 127.0.0.1:(metricsPortBase + N); 0: no endpoint. */
  metricsPortBase: number;
  /** Committed transfers each shard's history keeps for `ledger reshard` to plan from
   *  (src/ledger/history.ts); 0 keeps none. */
  historyCapacity: number;
}

export function replicaSettings(timing: Timing): ReplicaSettings {
  return {
    heartbeatTicks: timing.heartbeatTicks,
    electionTicksMin: timing.electionTicksMin,
    electionTicksMax: timing.electionTicksMax,
    retransmitTicks: timing.retransmitTicks,
    slotsInFlightMax: limits.slotsInFlightMax,
    commandsPerSlotBehindMin: limits.commandsPerSlotBehindMin,
    entriesPerMessageMax: limits.entriesPerMessageMax,
    payloadBytesMax: limits.natsMaxPayloadBytes,
  };
}

export function makeConfig(partial: { natsUrl: string; dataDir: string } & Partial<LedgerConfig>): LedgerConfig {
  return validateConfig({
    prefix: 'ledger',
    topology: defaultTopology,
    timing: defaultTiming,
    checkpoint: defaultCheckpoint,
    twoPc: defaultTwoPc,
    client: defaultClientTimeouts,
    durability: 'full',
    metricsPortBase: 0,
    historyCapacity: historyCapacityDefault,
    ...partial,
  });
}

function validateConfig(c: LedgerConfig): LedgerConfig {
  if (typeof c.prefix !== 'string' || !/^[A-Za-z0-9_-]+$/.test(c.prefix))
    throw new LedgerError('config', `subject prefix must be letters, digits, - or _, got ${String(c.prefix)}`);
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
  const k = c.checkpoint;
  if (
    typeof k !== 'object' ||
    k === null ||
    !positive(k.intervalSlots) ||
    !(Number.isSafeInteger(k.logTailSlots) && k.logTailSlots >= 0)
  ) {
    throw new LedgerError(
      'config',
      'checkpoint: intervalSlots must be a positive integer and logTailSlots a non-negative one',
    );
  }
  const tp = c.twoPc;
  if (
    typeof tp !== 'object' ||
    tp === null ||
    ![tp.lockWaitTicks, tp.voteTimeoutTicks, tp.resendTicks, tp.queryTicks].every(positive)
  ) {
    throw new LedgerError(
      'config',
      'twoPc: lockWaitTicks, voteTimeoutTicks, resendTicks and queryTicks must be positive integers (ticks)',
    );
  }
  const cl = c.client;
  if (typeof cl !== 'object' || cl === null || !positive(cl.attemptTimeoutMs) || !positive(cl.deadlineMs)) {
    throw new LedgerError('config', 'client: attemptTimeoutMs and deadlineMs must be positive integers (milliseconds)');
  }
  if (c.durability !== 'full' && c.durability !== 'normal')
    throw new LedgerError('config', `durability must be full or normal, got ${String(c.durability)}`);
  if (!(
    Number.isSafeInteger(c.metricsPortBase) &&
    c.metricsPortBase >= 0 &&
    c.metricsPortBase + nodeCount(c.topology) <= 65535
  )) {
    throw new LedgerError(
      'config',
      `metricsPortBase must be 0 (off) or a port leaving room for every node below 65536, got ${String(c.metricsPortBase)}`,
    );
  }
  if (!(
    Number.isSafeInteger(c.historyCapacity) &&
    c.historyCapacity >= 0 &&
    c.historyCapacity <= limits.historyCapacityMax
  ))
    throw new LedgerError(
      'config',
      `historyCapacity must be an integer from 0 to ${limits.historyCapacityMax}, got ${String(c.historyCapacity)}`,
    );
  return c;
}

/** The port node `id` serves /metrics on, if any: an explicit one wins over the config's base. */
export function metricsPortOf(c: LedgerConfig, id: number, explicit?: number): number | undefined {
  if (explicit !== undefined) return explicit > 0 ? explicit : undefined;
  return c.metricsPortBase > 0 ? c.metricsPortBase + id : undefined;
}

export function readConfig(file: string): LedgerConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new LedgerError('config', `cannot read the configuration ${file}`, {
      hint: 'start a cluster with `ledger cluster start`',
      cause: error,
    });
  }
  try {
    // Settings added in later versions take their defaults in an older config file.
    const defaults: Partial<LedgerConfig> = {
      checkpoint: defaultCheckpoint,
      twoPc: defaultTwoPc,
      client: defaultClientTimeouts,
      metricsPortBase: 0,
      historyCapacity: historyCapacityDefault,
    };
    return validateConfig({ ...defaults, ...(JSON.parse(text) as Partial<LedgerConfig>) } as LedgerConfig);
  } catch (error) {
    if (error instanceof LedgerError) throw error;
    throw new LedgerError('config', `${file} is not valid JSON: ${(error as Error).message}`);
  }
}
