import type { BackupProgress } from '../storage/backup-file.js';

/** A progress line at most every `everyMs` while a backup copies pages (a large file takes a
 *  while; a small one is copied in one step and prints nothing). */
export function backupProgressPrinter(print: (line: string) => void, everyMs = 1_000): (p: BackupProgress) => void {
  let lastMs = Date.now();
  return ({ pagesDone, pagesTotal }) => {
    const now = Date.now();
    if (now - lastMs < everyMs || pagesTotal === 0) return;
    lastMs = now;
    print(`copied ${pagesDone} of ${pagesTotal} pages (${Math.floor((100 * pagesDone) / pagesTotal)} %)`);
  };
}
