import type { CpuReport } from './measure.js';
import type { ProfileReport } from './profiling.js';

/** How many functions and files of each role the text summary shows (the JSON has more). */
const functionsShown = 12;
const filesShown = 6;

const us = (v: number | null) => (v === null ? '?' : v.toFixed(0));

/** "CPU per committed transfer: …" lines of the text summary. */
export function cpuText(cpu: CpuReport): string {
  const r = cpu.byRole;
  const lines = [
    `CPU per committed transfer (${cpu.transfers} transfers): ${us(cpu.totalUsPerTransfer)} us in all; nats-server ${us(r.nats)} us, each leader ${us(r.leader)} us, each follower ${us(r.follower)} us, client side ${us(r.client)} us`,
    `CPU s by process: ${Object.entries(cpu.seconds)
      .map(([name, s]) => `${name}${cpu.roles[name] === 'leader' ? '*' : ''} ${s === null ? '?' : s.toFixed(2)}`)
      .join(', ')} (* leader)`,
  ];
  return lines.join('\n');
}

/** Per role: the top functions by self time (% of busy samples) and the top files. */
export function profileText(p: ProfileReport): string {
  const lines = [`CPU profiles of the measured phase (${p.windowMs} ms) in ${p.dir}: ${p.files.length} files`];
  if (p.missing.length > 0) lines.push(`no profile from ${p.missing.join(', ')}`);
  for (const role of p.roles) {
    const busyPct = role.samples === 0 ? 0 : (role.busySamples / role.samples) * 100;
    lines.push(
      `${role.role} (${role.processes.join(', ')}): ${role.busySamples} busy samples of ${role.samples} (${busyPct.toFixed(0)} % busy); self time:`,
    );
    for (const f of role.functions.slice(0, functionsShown))
      lines.push(`  ${f.pct.toFixed(1).padStart(5)} %  ${f.name}${f.where === '' ? '' : `  ${f.where}`}`);
    lines.push(
      `  by file: ${role.files
        .slice(0, filesShown)
        .map((f) => `${f.where} ${f.pct.toFixed(1)} %`)
        .join(', ')}`,
    );
  }
  return lines.join('\n');
}
