import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { destination as pinoDestination, pino, type Logger } from 'pino';

/** Structured JSON logs (pino), one file per process in the data dir's logs/ folder. */
export function fileLogger(file: string, name: string): Logger {
  mkdirSync(dirname(file), { recursive: true });
  const destination = pinoDestination({ dest: file, sync: false, mkdir: true });
  return pino({ name, level: process.env.LEDGER_LOG_LEVEL ?? 'info' }, destination);
}

export type { Logger };
