/**
 * Reads V8 CPU profiles (the .cpuprofile JSON that `node --cpu-prof` and the inspector's
 * Profiler.stop write, and Chrome DevTools loads): checks their shape, crops them to a time
 * window, and sums self time per function and per file. Self time is the samples in which a
 * function was on top of the stack; shares are of the busy samples, those not `(idle)`, so a
 * process that waited most of the run still shows where its work went.
 */

export interface CallFrame {
  functionName: string;
  scriptId: string;
  url: string;
  /** 0-based, -1 when V8 has none (native frames). */
  lineNumber: number;
  columnNumber: number;
}

export interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  hitCount?: number;
  children?: number[];
  positionTicks?: Array<{ line: number; ticks: number }>;
}

/** The Chrome DevTools Protocol's Profiler.Profile. Times in microseconds of the monotonic clock
 *  (on Linux the clock of process.hrtime, so windows taken in another process line up). */
export interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  /** The node id on top of the stack at each sample. */
  samples: number[];
  /** Microseconds from the previous sample (the first: from startTime). */
  timeDeltas: number[];
}

/** V8's pseudo-frames: `(idle)` is waiting in the event loop, not work. */
const idleName = '(idle)';

/** Parses and checks a .cpuprofile; throws an Error saying what is wrong. */
export function parseCpuProfile(text: string): CpuProfile {
  const p = JSON.parse(text) as Partial<CpuProfile>;
  if (typeof p !== 'object' || p === null) throw new Error('a CPU profile is a JSON object');
  const { nodes, samples, timeDeltas, startTime, endTime } = p;
  if (!Array.isArray(nodes) || !Array.isArray(samples) || !Array.isArray(timeDeltas))
    throw new Error('a CPU profile has nodes, samples and timeDeltas arrays');
  if (typeof startTime !== 'number' || typeof endTime !== 'number')
    throw new Error('a CPU profile has a numeric startTime and endTime');
  if (samples.length !== timeDeltas.length)
    throw new Error(`${samples.length} samples but ${timeDeltas.length} timeDeltas`);
  const ids = new Set<number>();
  for (const n of nodes) {
    if (typeof n?.id !== 'number' || typeof n.callFrame?.functionName !== 'string')
      throw new Error('every node has an id and a callFrame');
    ids.add(n.id);
  }
  for (const s of samples) if (!ids.has(s)) throw new Error(`sample names node ${s}, which is not in nodes`);
  return p as CpuProfile;
}

/** The time (µs, profile clock) of each sample. */
export function sampleTimes(profile: CpuProfile): number[] {
  const times: number[] = [];
  let t = profile.startTime;
  for (const d of profile.timeDeltas) times.push((t += d));
  return times;
}

/**
 * The profile restricted to the samples taken in [fromUs, toUs]: the same nodes (hitCount
 * recounted), so DevTools shows only that window. A node process profiled for its whole life
 * (`--cpu-prof`) is cropped to the bench's measured phase this way.
 */
export function cropProfile(profile: CpuProfile, fromUs: number, toUs: number): CpuProfile {
  const times = sampleTimes(profile);
  const samples: number[] = [];
  const timeDeltas: number[] = [];
  const startTime = Math.max(profile.startTime, fromUs);
  let last = startTime;
  const hits = new Map<number, number>();
  times.forEach((t, i) => {
    if (t < fromUs || t > toUs) return;
    const id = profile.samples[i] as number;
    samples.push(id);
    timeDeltas.push(t - last);
    last = t;
    hits.set(id, (hits.get(id) ?? 0) + 1);
  });
  return {
    // positionTicks would describe the whole life: dropped, they are optional.
    nodes: profile.nodes.map(({ positionTicks: _, ...n }) => ({ ...n, hitCount: hits.get(n.id) ?? 0 })),
    startTime,
    endTime: Math.min(profile.endTime, toUs),
    samples,
    timeDeltas,
  };
}

export interface SelfTime {
  /** The function's name, `(anonymous)` for an unnamed one, or V8's `(garbage collector)`,
   *  `(program)` (native work outside JavaScript, e.g. in libuv, SQLite or the GC's helpers). */
  name: string;
  /** file:line (1-based), the file relative to the project when it is ours; empty for V8's own. */
  where: string;
  samples: number;
  /** Share of the busy samples, 0..100. */
  pct: number;
}

export interface ProfileSummary {
  samples: number;
  /** Samples not `(idle)`. */
  busySamples: number;
  /** Milliseconds covered by the samples. */
  spanMs: number;
  /** Functions by self time, most first. */
  functions: SelfTime[];
  /** Files (scripts) by self time, most first; `where` is the file, `name` empty. */
  files: SelfTime[];
}

/** file:line (1-based) of a frame's function; '' for V8's own frames (no URL). */
export type Locate = (url: string, line: number, column: number) => string;

/**
 * Self time by function and by file, summed over one or more profiles (the processes of one
 * role), top `limit` of each. `locate` names where a function is (see source-map.ts).
 */
export function summariseProfiles(profiles: CpuProfile[], locate: Locate, limit: number): ProfileSummary {
  const byFunction = new Map<string, { name: string; where: string; samples: number }>();
  const byFile = new Map<string, number>();
  let samples = 0;
  let busy = 0;
  let spanUs = 0;
  const located = new Map<string, string>();
  const whereOf = (f: CallFrame) => {
    const key = `${f.url}:${f.lineNumber}:${f.columnNumber}`;
    let where = located.get(key);
    if (where === undefined) located.set(key, (where = locate(f.url, f.lineNumber, f.columnNumber)));
    return where;
  };
  for (const profile of profiles) {
    const nodes = new Map(profile.nodes.map((n) => [n.id, n.callFrame]));
    spanUs += profile.timeDeltas.reduce((a, b) => a + b, 0);
    for (const id of profile.samples) {
      const frame = nodes.get(id) as CallFrame;
      samples++;
      if (frame.functionName === idleName) continue;
      busy++;
      const where = whereOf(frame);
      const file = where.replace(/:\d+$/, '');
      const name = frame.functionName === '' ? '(anonymous)' : frame.functionName;
      const key = `${name}\0${where}`;
      const entry = byFunction.get(key) ?? { name, where, samples: 0 };
      entry.samples++;
      byFunction.set(key, entry);
      const fileKey = file === '' ? name : file;
      byFile.set(fileKey, (byFile.get(fileKey) ?? 0) + 1);
    }
  }
  const pct = (n: number) => (busy === 0 ? 0 : Math.round((n / busy) * 1000) / 10);
  const top = <T extends { samples: number }>(xs: T[]) => xs.sort((a, b) => b.samples - a.samples).slice(0, limit);
  return {
    samples,
    busySamples: busy,
    spanMs: Math.round(spanUs / 1000),
    functions: top([...byFunction.values()]).map((f) => ({ ...f, pct: pct(f.samples) })),
    files: top([...byFile].map(([file, n]) => ({ name: '', where: file, samples: n }))).map((f) => ({
      ...f,
      pct: pct(f.samples),
    })),
  };
}
