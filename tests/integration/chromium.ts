import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Debian's package installs /usr/bin/chromium (infra/setup.sh installs it). */
export function chromiumBinary(): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(':').concat(['/usr/bin', '/usr/local/bin'])) {
    if (dir !== '' && existsSync(join(dir, 'chromium'))) return join(dir, 'chromium');
  }
  return undefined;
}

/**
 * Runs headless Chromium once on a local file, offline and with a fresh profile, and returns
 * its stdout. Chromium forks helpers (zygote, renderer, GPU): it is started as the leader of a
 * process group of its own, and that whole group (its PID, negated) is killed when it is done
 * or its deadline passes, so no helper outlives the test.
 */
export async function runChromium(
  args: string[],
  timeoutMs = 30_000,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const binary = chromiumBinary();
  if (binary === undefined)
    throw new Error(
      "chromium is not installed: run `npm run setup` as root (it installs Debian's chromium), or `sudo apt-get install chromium`",
    );
  const profile = mkdtempSync(join(tmpdir(), 'ledger-chromium-'));
  const child = spawn(
    binary,
    [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      `--user-data-dir=${profile}`,
      ...args,
    ],
    { detached: true, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const pid = child.pid as number;
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
  const killGroup = () => {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // the group is gone already
    }
  };
  const timer = setTimeout(killGroup, timeoutMs);
  try {
    const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
    return { code, stdout, stderr };
  } finally {
    clearTimeout(timer);
    killGroup();
    rmSync(profile, { recursive: true, force: true });
  }
}
