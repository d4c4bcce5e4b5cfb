import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LedgerError } from '../core/errors.js';
import type { Topology } from '../ledger/topology.js';
import { credentialsFileOf, readCredentials, type NatsCredentials } from '../node/nats-access.js';
import { natsUserOf, permissionsOf, rolesOf } from '../node/nats-permissions.js';
import type { TlsFiles } from '../transport/nats.js';

/** Only the owner may read a secret: the credentials, the keys, the broker's configuration. */
export const secretFileMode = 0o600;

/**
 * One credentials file per user (n<N>, client, admin) in `dir`, mode 0600: those already there
 * are kept (a restart keeps the logins that remote hosts were given), the missing ones get a
 * new 192-bit random password.
 */
export function writeNatsCredentials(
  dir: string,
  topology: Topology,
  clientUsers: readonly string[] = [],
): NatsCredentials[] {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  return rolesOf(topology, clientUsers).map((role) => {
    const user = natsUserOf(role);
    const file = credentialsFileOf(dir, user);
    if (existsSync(file)) return readCredentials(file);
    const credentials = { user, password: randomBytes(24).toString('base64url') };
    writeSecret(file, `${JSON.stringify(credentials)}\n`);
    return credentials;
  });
}

/** The broker's `authorization` block: each user, its password and its allow lists
 *  (permissionsOf); anything not allowed is refused by nats-server. */
export function authorizationBlock(
  prefix: string,
  topology: Topology,
  credentials: NatsCredentials[],
  clientUsers: readonly string[] = [],
): string {
  const passwords = new Map(credentials.map((c) => [c.user, c.password]));
  const quote = (text: string) => JSON.stringify(text);
  const list = (subjects: string[]) => `[${subjects.map(quote).join(', ')}]`;
  const users = rolesOf(topology, clientUsers).map((role) => {
    const user = natsUserOf(role);
    const password = passwords.get(user);
    if (password === undefined) throw new LedgerError('config', `no credentials for the NATS user ${user}`);
    const p = permissionsOf(role, prefix, topology);
    return (
      `    { user: ${quote(user)}, password: ${quote(password)}, permissions: {\n` +
      `        publish: { allow: ${list(p.publish)} }\n` +
      `        subscribe: { allow: ${list(p.subscribe)} } } }`
    );
  });
  return `authorization {\n  users: [\n${users.join('\n')}\n  ]\n}\n`;
}

/** The broker's `tls` block: TLS only, and a client must show a certificate our CA signed. */
export function tlsBlock(server: TlsFiles): string {
  const quote = (text: string) => JSON.stringify(text);
  return (
    `tls {\n  cert_file: ${quote(server.certFile)}\n  key_file: ${quote(server.keyFile)}\n` +
    `  ca_file: ${quote(server.caFile)}\n  verify: true\n  timeout: 2\n}\n`
  );
}

/** What `writeTlsFiles` leaves in its dir: the CA, the broker's pair and the processes' pair. */
export interface TlsSet {
  server: TlsFiles;
  client: TlsFiles;
}

/**
 * A local CA, and a certificate signed by it for the broker (127.0.0.1 and localhost) and one
 * for every process that connects to it, made with the machine's openssl (ECDSA P-256). Kept
 * when already there, like the credentials. Keys are mode 0600.
 */
export function writeTlsFiles(dir: string): TlsSet {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const f = (name: string) => join(dir, name);
  const set: TlsSet = {
    server: { caFile: f('ca.pem'), certFile: f('server-cert.pem'), keyFile: f('server-key.pem') },
    client: { caFile: f('ca.pem'), certFile: f('client-cert.pem'), keyFile: f('client-key.pem') },
  };
  if ([set.server, set.client].every((s) => [s.caFile, s.certFile, s.keyFile].every((file) => existsSync(file))))
    return set;
  const key = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  openssl([
    'req',
    '-x509',
    ...key,
    '-keyout',
    f('ca-key.pem'),
    '-out',
    f('ca.pem'),
    '-days',
    '3650',
    '-subj',
    '/CN=ledger local CA',
  ]);
  const signed = (name: string, commonName: string, extensions: string) => {
    writeFileSync(f(`${name}.ext`), extensions);
    openssl(['req', ...key, '-keyout', f(`${name}-key.pem`), '-out', f(`${name}.csr`), '-subj', `/CN=${commonName}`]);
    openssl([
      'x509',
      '-req',
      '-in',
      f(`${name}.csr`),
      '-CA',
      f('ca.pem'),
      '-CAkey',
      f('ca-key.pem'),
      '-CAcreateserial',
      '-out',
      f(`${name}-cert.pem`),
      '-days',
      '825',
      '-extfile',
      f(`${name}.ext`),
    ]);
    rmSync(f(`${name}.csr`));
    rmSync(f(`${name}.ext`));
    chmodSync(f(`${name}-key.pem`), secretFileMode);
  };
  signed('server', '127.0.0.1', 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n');
  signed('client', 'ledger', 'extendedKeyUsage=clientAuth\n');
  chmodSync(f('ca-key.pem'), secretFileMode);
  return set;
}

function openssl(args: string[]): void {
  try {
    execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (error) {
    throw new LedgerError(
      'unavailable',
      `openssl ${args[0]} failed: ${String((error as { stderr?: unknown }).stderr ?? error)}`,
      {
        hint: 'TLS certificates are made with the openssl command: is it installed?',
        cause: error,
      },
    );
  }
}

/** Writes `text` to `file` readable by its owner only (also when the file was there before). */
export function writeSecret(file: string, text: string): void {
  writeFileSync(file, text, { mode: secretFileMode });
  chmodSync(file, secretFileMode);
}
