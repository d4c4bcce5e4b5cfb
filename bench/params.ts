import { badInput } from '../src/core/errors.js';
import { consistencies, type Consistency } from '../src/protocol/commands.js';

/** Everything that shapes one benchmark run; printed first and kept in the JSON report. */
export interface BenchParams {
  /** The preset the values started from, if any. */
  preset: PresetName | null;
  /** Share of requests that are read-only balance queries, 0..1. */
  readRatio: number;
  /** Share of transfers whose receiver is in another shard, 0..1. */
  crossShardRatio: number;
  /** 0 uniform .. 1 highly skewed (the Zipf exponent, see src/load/zipf.ts). */
  skew: number;
  /** Target arrivals per second (open loop), or null for a closed loop at `concurrency`. */
  rateTps: number | null;
  /** Requests in flight at most; in an open loop, later arrivals queue (and their wait counts). */
  concurrency: number;
  /** Run length: a number of measured transactions, or seconds (exactly one is set). */
  transactions: number | null;
  durationS: number | null;
  /** Seconds of the same workload before measuring (from a seed of its own, not recorded). */
  warmupS: number;
  seed: number;
  /** Consistency level of the balance reads. */
  consistency: Consistency;
  /** Units each transfer moves. */
  amount: number;
  /** Client processes sharing the load (1: this process sends it all). */
  clients: number;
}

/** The flags as the user gave them: undefined when not given, so a preset can fill them. */
export interface BenchFlags {
  preset?: string;
  readRatio?: string;
  crossShard?: string;
  skew?: string;
  rate?: string;
  concurrency?: string;
  transactions?: string;
  duration?: string;
  warmup?: string;
  seed?: string;
  consistency?: string;
  amount?: string;
  clients?: string;
}

export type PresetName = 'small' | 'skewed' | 'intra';

type PresetValues = Pick<BenchParams, 'transactions' | 'readRatio' | 'crossShardRatio' | 'skew'> &
  Partial<Pick<BenchParams, 'rateTps'>>;

/** The course project's runs (issue 6). "80 % read-write" means 20 % read-only. */
export const presets: Record<PresetName, PresetValues & { description: string }> = {
  // Closed loop, 200 transactions took 0.21 s: no throughput over time to speak of. Arriving at
  // 50/s they take 4 s, and the plot shows four whole seconds.
  small: {
    transactions: 200,
    rateTps: 50,
    readRatio: 0.2,
    crossShardRatio: 0.2,
    skew: 0,
    description: '200 transactions at 50/s (4 s, open loop), 80 % read-write, 20 % cross-shard, uniform',
  },
  skewed: {
    transactions: 2000,
    readRatio: 0.1,
    crossShardRatio: 0.2,
    skew: 1,
    description: '2000 transactions, 90 % read-write, 20 % cross-shard, highly skewed (skew 1)',
  },
  intra: {
    transactions: 30_000,
    readRatio: 0,
    crossShardRatio: 0,
    skew: 0,
    description: '30000 transactions, 100 % read-write, all intra-shard, uniform',
  },
};

export const presetNames = Object.keys(presets) as PresetName[];

/** Without a preset or flags: a short, mixed, uniform run. */
export const defaultParams: Omit<BenchParams, 'seed'> = {
  preset: null,
  readRatio: 0.2,
  crossShardRatio: 0.2,
  skew: 0,
  rateTps: null,
  concurrency: 16,
  transactions: 1000,
  durationS: null,
  warmupS: 1,
  consistency: 'linearizable',
  amount: 1,
  clients: 1,
};

/** Bounds that keep a typo from asking for something absurd. */
const concurrencyMax = 10_000;
const rateTpsMax = 1_000_000;
const transactionsMax = 100_000_000;
const durationSMax = 24 * 3600;
/** Client processes: each is a Node process with its own NATS connection. */
const clientsMax = 64;

/**
 * Defaults, then the preset, then every flag given explicitly: a flag always wins. A given
 * --duration replaces the preset's transaction count (and the other way round); both given
 * explicitly is an error. `randomSeed` is called only when --seed is absent.
 */
export function resolveParams(flags: BenchFlags, randomSeed: () => number): BenchParams {
  let params: BenchParams = { ...defaultParams, seed: 0 };
  if (flags.preset !== undefined) {
    const name = flags.preset.trim() as PresetName;
    if (!presetNames.includes(name))
      throw badInput(
        `unknown preset "${flags.preset}"`,
        `presets are ${presetNames.join(', ')} (see ledger bench --help)`,
      );
    const { description: _, ...values } = presets[name];
    params = { ...params, ...values, durationS: null, preset: name };
  }
  if (flags.transactions !== undefined && flags.duration !== undefined) {
    throw badInput(
      'give --transactions or --duration, not both',
      'a run ends after a number of transactions or after a time',
    );
  }
  if (flags.readRatio !== undefined) params.readRatio = parseShare(flags.readRatio, '--read-ratio');
  if (flags.crossShard !== undefined) params.crossShardRatio = parseShare(flags.crossShard, '--cross-shard');
  if (flags.skew !== undefined) params.skew = parseShare(flags.skew, '--skew');
  if (flags.rate !== undefined)
    params.rateTps = parseBounded(
      flags.rate,
      '--rate',
      { min: 0, exclusiveMin: true, max: rateTpsMax },
      'transactions per second, e.g. 500; leave it out for a closed loop',
    );
  if (flags.concurrency !== undefined)
    params.concurrency = parseWhole(flags.concurrency, '--concurrency', 1, concurrencyMax);
  if (flags.transactions !== undefined) {
    params.transactions = parseWhole(flags.transactions, '--transactions', 1, transactionsMax);
    params.durationS = null;
  }
  if (flags.duration !== undefined) {
    params.durationS = parseDurationS(flags.duration, '--duration');
    if (params.durationS <= 0 || params.durationS > durationSMax)
      throw badInput(`--duration must be above 0 and at most ${durationSMax} s, got "${flags.duration}"`);
    params.transactions = null;
  }
  if (flags.warmup !== undefined) {
    params.warmupS = parseDurationS(flags.warmup, '--warmup');
    if (params.warmupS > durationSMax) throw badInput(`--warmup is too long (at most ${durationSMax} s)`);
  }
  if (flags.consistency !== undefined) {
    if (!(consistencies as readonly string[]).includes(flags.consistency)) {
      throw badInput(`--consistency "${flags.consistency}" is not valid`, `use one of ${consistencies.join(', ')}`);
    }
    params.consistency = flags.consistency as Consistency;
  }
  if (flags.amount !== undefined) params.amount = parseWhole(flags.amount, '--amount', 1, Number.MAX_SAFE_INTEGER);
  if (flags.clients !== undefined) params.clients = parseWhole(flags.clients, '--clients', 1, clientsMax);
  if (params.clients > params.concurrency)
    throw badInput(
      `--clients ${params.clients} is more than --concurrency ${params.concurrency}`,
      'each client process needs at least one request in flight: raise --concurrency or lower --clients',
    );
  params.seed = flags.seed === undefined ? randomSeed() : parseWhole(flags.seed, '--seed', 0, 0xffff_ffff);
  return params;
}

/** A share between 0 and 1; "20%" is accepted too. */
export function parseShare(text: string, flag: string): number {
  const trimmed = text.trim();
  const percent = trimmed.endsWith('%');
  const value = Number(percent ? trimmed.slice(0, -1) : trimmed);
  if (trimmed === '' || trimmed === '%' || !Number.isFinite(value))
    throw badInput(`${flag} "${text}" is not a number`, `give a share between 0 and 1, e.g. ${flag} 0.2 (or 20%)`);
  const share = percent ? value / 100 : value;
  if (share < 0 || share > 1)
    throw badInput(`${flag} must be between 0 and 1, got ${text}`, `give a share, e.g. ${flag} 0.2 (or 20%)`);
  return share;
}

function parseBounded(
  text: string,
  flag: string,
  bounds: { min: number; exclusiveMin?: boolean; max: number },
  hint: string,
): number {
  const value = Number(text.trim());
  const tooLow = bounds.exclusiveMin ? value <= bounds.min : value < bounds.min;
  if (text.trim() === '' || !Number.isFinite(value) || tooLow || value > bounds.max) {
    throw badInput(
      `${flag} "${text}" is not valid: it must be ${bounds.exclusiveMin ? 'above' : 'at least'} ${bounds.min} and at most ${bounds.max}`,
      hint,
    );
  }
  return value;
}

function parseWhole(text: string, flag: string, min: number, max: number): number {
  const trimmed = text.trim();
  const value = Number(trimmed);
  if (!/^\+?\d+$/.test(trimmed) || !Number.isSafeInteger(value) || value < min || value > max) {
    throw badInput(`${flag} "${text}" is not valid: it must be a whole number from ${min} to ${max}`);
  }
  return value;
}

/** "30", "30s", "1.5s", "500ms", "2m" -> seconds. */
export function parseDurationS(text: string, flag: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*(ms|s|m)?$/.exec(text.trim());
  if (m === null)
    throw badInput(
      `${flag} "${text}" is not a duration`,
      `give seconds, or a number with ms, s or m, e.g. ${flag} 30s`,
    );
  const value = Number(m[1]);
  const unit = m[2] ?? 's';
  return unit === 'ms' ? value / 1000 : unit === 'm' ? value * 60 : value;
}
