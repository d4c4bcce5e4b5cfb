import { readFileSync } from 'node:fs';

/**
 * CPU time of the processes of a run, from Linux /proc (user + system, in clock ticks of 10 ms),
 * and of this process from process.cpuUsage(): the CPU each process spent per committed
 * transfer is how bench:quick --cpu and `ledger bench` say where the machine's cores went.
 */

/** CPU seconds (user + system) a process has used so far; NaN where unavailable (no /proc, gone). */
export function cpuSecondsOf(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // "pid (comm) state ..." with comm possibly holding spaces: fields count from after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime and stime are fields 14 and 15 of the line, 12 and 13 after "(comm) ".
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return Number.NaN;
  }
}

export function cpuSecondsOfSelf(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
}

/** A named process whose CPU is counted; `pid` null for this very process. */
export interface CountedProcess {
  name: string;
  pid: number | null;
}

export type CpuSnapshot = Map<string, number>;

export function cpuSnapshot(processes: readonly CountedProcess[]): CpuSnapshot {
  return new Map(processes.map((p) => [p.name, p.pid === null ? cpuSecondsOfSelf() : cpuSecondsOf(p.pid)]));
}

export interface CpuUse {
  /** CPU seconds each process spent between the two snapshots (null: not measurable). */
  seconds: Record<string, number | null>;
  totalSeconds: number;
  /** The transfers the CPU is divided by. */
  transfers: number;
  /** CPU microseconds per transfer, by process and in all (null when no transfer committed). */
  usPerTransfer: Record<string, number | null>;
  totalUsPerTransfer: number | null;
}

/** CPU spent from `before` to `after`, and per transfer. */
export function cpuUse(before: CpuSnapshot, after: CpuSnapshot, transfers: number): CpuUse {
  const seconds: Record<string, number | null> = {};
  const usPerTransfer: Record<string, number | null> = {};
  let total = 0;
  const perTransfer = (s: number) => (transfers > 0 ? Math.round((s / transfers) * 1e6 * 10) / 10 : null);
  for (const [name, end] of after) {
    const used = end - (before.get(name) ?? Number.NaN);
    const known = Number.isFinite(used);
    seconds[name] = known ? Math.round(used * 1000) / 1000 : null;
    usPerTransfer[name] = known ? perTransfer(used) : null;
    if (known) total += used;
  }
  return {
    seconds,
    totalSeconds: Math.round(total * 1000) / 1000,
    transfers,
    usPerTransfer,
    totalUsPerTransfer: perTransfer(total),
  };
}

/** "nats 1.23, n1 2.34, …; total 9.87 s (228 us a transfer)". */
export function cpuUseText(use: CpuUse): string {
  const each = Object.entries(use.seconds).map(([name, s]) => `${name} ${s === null ? '?' : s.toFixed(2)}`);
  const per =
    use.totalUsPerTransfer === null ? 'no transfer committed' : `${use.totalUsPerTransfer.toFixed(0)} us a transfer`;
  return `${each.join(', ')}; total ${use.totalSeconds.toFixed(2)} s (${per})`;
}
