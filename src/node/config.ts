import { clientUserNamePattern } from './nats-permissions.js';
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { LedgerError } from '../core/errors.js';
import { defaultTopology, nodeCount, validateTopology, type Topology } from '../ledger/topology.js';
import type { ReplicaSettings } from '../paxos/replica.js';
import type { NodeId } from '../protocol/ids.js';
import { limits } from '../core/limits.js';
import { defaultClientOptions, type ClientOptions } from '../client/ledger-client.js';
import type { CheckpointSettings } from '../ledger/checkpoints.js';
import { historyCapacityDefault } from '../ledger/state.js';
import type { TwoPcSettings } from '../twopc/driver.js';
import { natsServerUrls } from '../transport/nats-urls.js';
import type { TlsFiles } from '../transport/nats.js';

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

/**
 * Everything a node process needs to know; written by `ledger cluster start` into the data dir,
 * or by hand for a host (`ledger node start --id N --config FILE`; infra/hosts/ has examples).
 */
export interface LedgerConfig {
  /** Subject prefix, so several deployments can share a broker. */
  prefix: string;
  /** One NATS URL, or several comma-separated (a NATS cluster), home server first: natsServerUrls. */
  natsUrl: string;
  // The NATS credentials and TLS files of a host go here, beside natsUrl (issue 16, items 1-2).
  /** Where the node keeps nodes/n<N>.sqlite and logs/; relative to the config file's folder. */
  dataDir: string;
  /** On a host: the nodes it runs. `node start --id N` refuses any other, so that one node is
   *  never started on two hosts by a slip of the finger. Absent: any node of the topology. */
  hostNodes?: NodeId[];
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
  /** How every process logs in to NATS (docs/security.md); absent: no login, no TLS. */
  natsSecurity?: NatsSecurity;
}

/** Written by `ledger cluster start` (src/cluster/nats-security-files.ts); paths are absolute. */
export interface NatsSecurity {
  /** One `<user>.json` ({user, password}, mode 0600) per user: n<N>, client, admin. */
  credentialsDir?: string;
  /** Set: every connection is TLS, with this CA and this certificate and key. */
  tls?: TlsFiles;
  /** Named client users (`cluster start --client-user NAME`), each with its own login, which
   *  reads only its own inboxes: `client-<name>.json` in credentialsDir. */
  clientUsers?: string[];
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
  natsServerUrls(c.natsUrl);
  if (typeof c.dataDir !== 'string' || c.dataDir.length === 0) throw new LedgerError('config', 'dataDir is missing');
  if (typeof c.topology !== 'object' || c.topology === null)
    throw new LedgerError('config', 'topology is missing', {
      hint: 'every host names the same topology, e.g. {"clusters":3,"nodesPerCluster":3,"accounts":9000,"initialBalance":10}',
    });
  validateTopology(c.topology);
  if (c.hostNodes !== undefined) validateHostNodes(c.hostNodes, nodeCount(c.topology));
  const t = c.timing;
  const positive = (n: unknown) => typeof n === 'number' && Number.isSafeInteger(n) && n > 0;
  if (
    typeof t !== 'object' ||
    t === null ||
    ![t.tickMs, t.heartbeatTicks, t.electionTicksMin, t.electionTicksMax, t.retransmitTicks].every(positive)
  ) {
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
  const ns = c.natsSecurity;
  if (ns !== undefined && (typeof ns !== 'object' || ns === null))
    throw new LedgerError('config', 'natsSecurity must be an object (credentialsDir, tls, clientUsers)');
  const names = ns?.clientUsers;
  if (
    names !== undefined &&
    !(
      Array.isArray(names) &&
      names.every((n) => typeof n === 'string' && clientUserNamePattern.test(n)) &&
      new Set(names).size === names.length
    )
  )
    throw new LedgerError(
      'config',
      `natsSecurity.clientUsers must be distinct names of lower-case letters, digits and dashes, got ${JSON.stringify(names)}`,
    );
  return c;
}

function validateHostNodes(hostNodes: unknown, nodes: number): void {
  if (
    !Array.isArray(hostNodes) ||
    hostNodes.length === 0 ||
    !hostNodes.every((n) => Number.isSafeInteger(n) && n >= 1 && n <= nodes) ||
    new Set(hostNodes).size !== hostNodes.length
  )
    throw new LedgerError(
      'config',
      `hostNodes must list distinct node ids from 1 to ${nodes}, got ${JSON.stringify(hostNodes)}`,
    );
}

/** Refuses to run a node that the config's host does not run (see hostNodes). */
export function requireNodeOfHost(c: LedgerConfig, id: NodeId): void {
  if (c.hostNodes !== undefined && !c.hostNodes.includes(id))
    throw new LedgerError('config', `node ${id} does not run on this host (hostNodes: ${c.hostNodes.join(', ')})`, {
      hint: 'start one of those, or use the config file of the host that runs it',
    });
}

/** The config with the TLS files given on the command line in place of its own (all three). */
export function withTlsFlags(
  c: LedgerConfig,
  flags: { caFile: string | undefined; certFile: string | undefined; keyFile: string | undefined },
): LedgerConfig {
  const { caFile, certFile, keyFile } = flags;
  if (caFile === undefined && certFile === undefined && keyFile === undefined) return c;
  if (caFile === undefined || certFile === undefined || keyFile === undefined)
    throw new LedgerError('bad-input', 'TLS needs all of --tls-ca, --tls-cert and --tls-key');
  return { ...c, natsSecurity: { ...c.natsSecurity, tls: { caFile, certFile, keyFile } } };
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
      hint: 'start a cluster with `ledger cluster start`, or write a host config (infra/hosts/)',
      cause: error,
    });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new LedgerError('config', `${file} is not valid JSON: ${(error as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw new LedgerError('config', `${file} must hold a JSON object`);
  // A misspelt setting would otherwise be ignored without a word, and its default used.
  const unknown = Object.keys(parsed).filter((k) => !Object.hasOwn(configKeys, k));
  if (unknown.length > 0)
    throw new LedgerError('config', `${file}: unknown setting ${unknown.map((k) => JSON.stringify(k)).join(', ')}`, {
      hint: `the settings are ${Object.keys(configKeys).join(', ')}`,
    });
  const given = parsed as Partial<LedgerConfig>;
  try {
    // Settings added in later versions take their defaults in an older config file, and a host's
    // hand-written config needs only natsUrl, dataDir and topology.
    const defaults: Partial<LedgerConfig> = {
      prefix: 'ledger',
      timing: defaultTiming,
      durability: 'full',
      checkpoint: defaultCheckpoint,
      twoPc: defaultTwoPc,
      client: defaultClientTimeouts,
      metricsPortBase: 0,
      historyCapacity: historyCapacityDefault,
    };
    // Paths in a host's config are relative to the file.
    const near = <T>(path: T): T =>
      typeof path === 'string' && path !== '' ? (resolve(dirname(file), path) as T) : path;
    const dataDir = near(given.dataDir);
    const security = given.natsSecurity;
    const natsSecurity =
      typeof security === 'object' && security !== null
        ? {
            ...security,
            ...(security.credentialsDir === undefined ? {} : { credentialsDir: near(security.credentialsDir) }),
            ...(typeof security.tls === 'object' && security.tls !== null
              ? {
                  tls: {
                    caFile: near(security.tls.caFile),
                    certFile: near(security.tls.certFile),
                    keyFile: near(security.tls.keyFile),
                  },
                }
              : {}),
          }
        : security;
    return validateConfig({
      ...defaults,
      ...given,
      dataDir,
      ...(natsSecurity === undefined ? {} : { natsSecurity }),
    } as LedgerConfig);
  } catch (error) {
    if (error instanceof LedgerError)
      throw new LedgerError(
        'config',
        `${file}: ${error.message}`,
        error.hint === undefined ? {} : { hint: error.hint },
      );
    throw error;
  }
}

/** Every setting a config file may hold (a new field of LedgerConfig must be added here). */
const configKeys: Record<keyof LedgerConfig, true> = {
  prefix: true,
  natsUrl: true,
  dataDir: true,
  hostNodes: true,
  topology: true,
  timing: true,
  checkpoint: true,
  twoPc: true,
  client: true,
  durability: true,
  metricsPortBase: true,
  historyCapacity: true,
  natsSecurity: true,
};
