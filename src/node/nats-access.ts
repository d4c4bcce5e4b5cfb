import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LedgerError } from '../core/errors.js';
import { connectNats, type NatsLogin, type NatsOptions, type TlsFiles } from '../transport/nats.js';
import type { Transport } from '../transport/transport.js';
import type { LedgerConfig } from './config.js';
import { natsUserOf, type NatsRole } from './nats-permissions.js';

/** A user's credentials file, as `ledger cluster start` writes it (mode 0600). */
export interface NatsCredentials {
  user: string;
  password: string;
}

/** The file that holds `user`'s credentials in a credentials dir. */
export function credentialsFileOf(dir: string, user: string): string {
  return join(dir, `${user}.json`);
}

/**
 * How a process in `role` connects to this deployment: the one place every caller (node, CLI,
 * bench, test runner, tests) gets its broker URL, login and TLS files from (docs/security.md).
 *
 * From the config (the data dir's, written by `cluster start`); for a client or the admin, the
 * environment wins, so a remote machine needs no data dir of its own: LEDGER_NATS_URL,
 * LEDGER_NATS_USER and LEDGER_NATS_PASSWORD (or LEDGER_NATS_CREDS, a credentials file), and
 * LEDGER_NATS_CA, LEDGER_NATS_CERT, LEDGER_NATS_KEY. A node takes only its config (and `node
 * start`'s flags), so a stray variable in an operator's shell never changes who a node is.
 */
export function natsConnectionOf(
  config: LedgerConfig,
  role: NatsRole,
  env: NodeJS.ProcessEnv = process.env,
): NatsLogin {
  const fromEnv = role.kind === 'node' ? {} : env;
  const login: NatsLogin = { url: fromEnv.LEDGER_NATS_URL ?? config.natsUrl };
  const credentials = credentialsOf(config, role, fromEnv);
  if (credentials !== undefined) {
    login.user = credentials.user;
    login.password = credentials.password;
  }
  const tls = tlsOf(config, fromEnv);
  if (tls !== undefined) login.tls = tls;
  return login;
}

/** Connects to this deployment as `role` (natsConnectionOf): what every process but a node
 *  calls (a node adds its wait for the broker). */
export function connectAs(
  config: LedgerConfig,
  role: NatsRole,
  options: Omit<NatsOptions, keyof NatsLogin>,
): Promise<Transport> {
  return connectNats({ ...natsConnectionOf(config, role), ...options });
}

export const asClient: NatsRole = { kind: 'client' };
export const asAdmin: NatsRole = { kind: 'admin' };

function credentialsOf(config: LedgerConfig, role: NatsRole, env: NodeJS.ProcessEnv): NatsCredentials | undefined {
  if (env.LEDGER_NATS_USER !== undefined)
    return { user: env.LEDGER_NATS_USER, password: env.LEDGER_NATS_PASSWORD ?? '' };
  if (env.LEDGER_NATS_CREDS !== undefined) return readCredentials(env.LEDGER_NATS_CREDS);
  const dir = config.natsSecurity?.credentialsDir;
  return dir === undefined ? undefined : readCredentials(credentialsFileOf(dir, natsUserOf(role)));
}

export function readCredentials(file: string): NatsCredentials {
  let parsed: Partial<NatsCredentials>;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8')) as Partial<NatsCredentials>;
  } catch (error) {
    throw new LedgerError('config', `cannot read the NATS credentials ${file}`, {
      hint: 'they are written by `ledger cluster start` into <data-dir>/nats/credentials (docs/security.md)',
      cause: error,
    });
  }
  if (typeof parsed.user !== 'string' || typeof parsed.password !== 'string')
    throw new LedgerError('config', `${file} must hold {"user": ..., "password": ...}`);
  return { user: parsed.user, password: parsed.password };
}

function tlsOf(config: LedgerConfig, env: NodeJS.ProcessEnv): TlsFiles | undefined {
  const own = config.natsSecurity?.tls;
  const caFile = env.LEDGER_NATS_CA ?? own?.caFile;
  const certFile = env.LEDGER_NATS_CERT ?? own?.certFile;
  const keyFile = env.LEDGER_NATS_KEY ?? own?.keyFile;
  if (caFile === undefined && certFile === undefined && keyFile === undefined) return undefined;
  if (caFile === undefined || certFile === undefined || keyFile === undefined)
    throw new LedgerError('config', 'TLS needs a CA, a certificate and a key (LEDGER_NATS_CA, _CERT, _KEY)');
  return { caFile, certFile, keyFile };
}
