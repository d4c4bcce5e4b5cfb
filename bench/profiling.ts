import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sourceLocator } from './source-map.js';
import {
  cropProfile,
  parseCpuProfile,
  summariseProfiles,
  type CpuProfile,
  type ProfileSummary,
} from './profile-summary.js';

/**
 * `ledger bench --profile DIR`: V8 CPU profiles of every process of the run over its measured
 * phase. The nodes and the client processes run under `node --cpu-prof` and write their whole
 * life when they exit; each profile is then cut to the measured phase, whose bounds are taken
 * on the monotonic clock that V8's profiles use. (The inspector's in-process Profiler was tried
 * for the client first: on a starved machine it kept a sample every few ms at best, with gaps
 * of seconds, where --cpu-prof in the same run kept one a millisecond.)
 */

export type ProcessRole = 'leader' | 'follower' | 'client';
export const processRoles: readonly ProcessRole[] = ['leader', 'follower', 'client'];

/** Now on the profiles' clock: microseconds of the monotonic clock (process.hrtime's). */
export function profileClockUs(): number {
  return Number(process.hrtime.bigint() / 1000n);
}

export function profileFile(dir: string, processName: string): string {
  return join(dir, `${processName}.cpuprofile`);
}

export interface RoleSummary extends ProfileSummary {
  role: ProcessRole;
  /** The processes whose profiles were summed, e.g. n1, n4, n7 for the leaders. */
  processes: string[];
}

export interface ProfileReport {
  dir: string;
  /** The measured phase the profiles cover, in ms. */
  windowMs: number;
  /** Profile files written (absolute), and processes whose profile was missing. */
  files: string[];
  missing: string[];
  roles: RoleSummary[];
}

/** The project's root (above dist/): file names in summaries are relative to it. */
const projectRoot = fileURLToPath(new URL('../../', import.meta.url));

/** How many functions and files each role's summary lists in the JSON report. */
export const summaryLimit = 25;

/**
 * Crops the profile of each of `processes` in `dir` (written by then: the nodes stopped, the
 * clients exited) to the measured phase [fromUs, toUs], writes it back, and sums self time by
 * role.
 */
export function collectProfiles(
  dir: string,
  window: { fromUs: number; toUs: number },
  processes: readonly string[],
  roleOf: ReadonlyMap<string, ProcessRole>,
): ProfileReport {
  const files: string[] = [];
  const missing: string[] = [];
  const byRole = new Map<ProcessRole, { processes: string[]; profiles: CpuProfile[] }>();
  for (const name of processes) {
    const file = profileFile(dir, name);
    if (!existsSync(file)) {
      missing.push(name);
      continue;
    }
    const profile = cropProfile(parseCpuProfile(readFileSync(file, 'utf8')), window.fromUs, window.toUs);
    writeFileSync(file, JSON.stringify(profile));
    files.push(file);
    // A node that was neither leader nor follower when the phase began (electing) is cut too,
    // but summed in no role.
    const role = roleOf.get(name);
    if (role === undefined) continue;
    const entry = byRole.get(role) ?? { processes: [], profiles: [] };
    entry.processes.push(name);
    entry.profiles.push(profile);
    byRole.set(role, entry);
  }
  const roles: RoleSummary[] = [];
  const locate = sourceLocator(projectRoot);
  for (const role of processRoles) {
    const entry = byRole.get(role);
    if (entry === undefined) continue;
    roles.push({ role, processes: entry.processes, ...summariseProfiles(entry.profiles, locate, summaryLimit) });
  }
  return { dir, windowMs: Math.round((window.toUs - window.fromUs) / 1000), files, missing, roles };
}
