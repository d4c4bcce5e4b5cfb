import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assert } from '../core/assert.js';
import { LedgerError } from '../core/errors.js';

/**
 * How long gpmetis may run: a graph at the planner's bounds (graph.ts) partitions in seconds, so
 * a minute means something is wrong, and the command reports it instead of hanging.
 */
const gpmetisTimeoutMs = 60_000;
/** gpmetis prints a summary of a few dozen lines; a megabyte of output means it went astray. */
const gpmetisOutputBytesMax = 1024 * 1024;
/** The most of gpmetis's error output an error message quotes. */
const gpmetisErrorCharsMax = 2000;

export interface GpmetisOptions {
  /** METIS's random seed: the same graph and seed give the same partition. */
  seed: number;
  /** METIS's `-ufactor`: the largest part may weigh (1 + ufactor/1000) times the average. */
  ufactor: number;
  /** The program to run: `gpmetis` from PATH unless told. */
  binary?: string;
  /** Where the temp dir is made: the system's temp folder unless told (tests give their own). */
  tempRoot?: string;
}

/**
 * METIS's `-ufactor` for a balance tolerance (0.05 = every cluster within ±5 % of the average).
 * METIS bounds only the heaviest part; with k parts each at most (1+e) times the average, the
 * lightest is at least 1-(k-1)e times it, so e = tolerance/(k-1) bounds both sides. METIS's
 * average also counts the padding of the heavy vertices (graph.ts), which is taken off. At least
 * 1, the smallest factor METIS takes. The planner checks the balance it gets anyway: METIS treats
 * the factor as a target, and on tiny graphs misses it.
 */
export function ufactorForTolerance(tolerance: number, clusters: number, accounts: number, padding: number): number {
  assert(clusters >= 2, 'a balance needs two clusters');
  const e = tolerance / (clusters - 1);
  const allowed = ((1 + e) * accounts) / (accounts + padding) - 1;
  // The epsilon keeps 0.025 (computed as 0.02499999...) at 25.
  return Math.max(1, Math.floor(allowed * 1000 + 1e-9));
}

/**
 * Partitions a graph in METIS's format (graph.ts) into `parts` with gpmetis, run without a shell
 * on a file in a temp dir that is removed afterwards. Returns each vertex's part, 0..parts-1.
 * One part needs no METIS (gpmetis refuses it): every vertex is in part 0.
 */
export async function partitionWithGpmetis(
  graph: { text: string; vertices: number },
  parts: number,
  options: GpmetisOptions,
): Promise<number[]> {
  assert(Number.isSafeInteger(parts) && parts >= 1, `cannot partition into ${parts} parts`);
  if (parts === 1) return new Array<number>(graph.vertices).fill(0);
  const dir = await mkdtemp(join(options.tempRoot ?? tmpdir(), 'ledger-reshard-'));
  try {
    const file = join(dir, 'accounts.graph');
    await writeFile(file, graph.text);
    const args = [`-seed=${options.seed}`, `-ufactor=${options.ufactor}`, file, String(parts)];
    await runGpmetis(options.binary ?? 'gpmetis', args);
    return parsePartition(await readFile(`${file}.part.${parts}`, 'utf8'), graph.vertices, parts);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function runGpmetis(binary: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const options = { timeout: gpmetisTimeoutMs, maxBuffer: gpmetisOutputBytesMax, encoding: 'utf8' as const };
    execFile(binary, args, options, (error, _stdout, stderr) => {
      if (error === null) return resolve();
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
        return reject(
          new LedgerError('setup', `METIS's gpmetis is not installed (no ${binary} to run)`, {
            hint: "run infra/setup.sh (`npm run setup`), or `sudo apt-get install metis` (Debian's package)",
            cause: error,
          }),
        );
      }
      const why = error.killed
        ? `was stopped after ${gpmetisTimeoutMs} ms`
        : `failed (${error.message.split('\n')[0]})`;
      const said = stderr.trim().slice(0, gpmetisErrorCharsMax);
      reject(
        new LedgerError('setup', `gpmetis ${why}${said === '' ? '' : `: ${said}`}`, {
          hint: 'check that METIS 5 is installed properly (`gpmetis -help`); infra/setup.sh installs it',
          cause: error,
        }),
      );
    });
  });
}

/** Reads gpmetis's `.part.k` file: one part per line, in vertex order; refuses anything else. */
function parsePartition(text: string, vertices: number, parts: number): number[] {
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  // Digits only: Number('') is 0, and a blank line must not read as part 0.
  const partition = lines.map((line) => (/^\s*\d+\s*$/.test(line) ? Number(line) : Number.NaN));
  const bad = partition.findIndex((p) => !(Number.isInteger(p) && p >= 0 && p < parts));
  if (partition.length !== vertices || bad !== -1) {
    throw new LedgerError('setup', `gpmetis wrote a partition file that does not fit the graph`, {
      hint:
        `expected ${vertices} lines of parts 0..${parts - 1}` +
        (bad === -1 ? `, got ${partition.length} lines` : `, line ${bad + 1} is "${lines[bad]}"`),
    });
  }
  return partition;
}
