import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LedgerError } from '../core/errors.js';
import { connectNats } from '../transport/nats.js';
import type { Transport } from '../transport/transport.js';
import { freePort, isAlive, natsServerBinary, portAccepts, startProcess, waitFor } from './processes.js';

/**
 * A NATS cluster on this machine: several real nats-server processes on loopback, joined by
 * routes, each from infra/nats-cluster.conf.template (the template infra/hosts/ is made from).
 * For tests and for trying a multi-host layout on one machine; on real hosts each server runs
 * under its own supervisor (infra/systemd/).
 */
export interface NatsClusterServer {
  name: string;
  clientPort: number;
  routePort: number;
  /** HTTP monitoring on 127.0.0.1 (/connz lists the connections by name, /routez the routes). */
  monitorPort: number;
  /** nats://127.0.0.1:clientPort */
  url: string;
  configFile: string;
  logFile: string;
}

/** What renders one server's configuration from the template. */
export interface NatsServerSettings {
  name: string;
  /** The address both listeners bind: 127.0.0.1 locally, 0.0.0.0 (or the host's own) on a host. */
  listenHost: string;
  clientPort: number;
  routePort: number;
  monitorPort: number;
  /** The other servers' route URLs, nats-route://host:port. */
  routes: string[];
}

const template = fileURLToPath(new URL('../../../infra/nats-cluster.conf.template', import.meta.url));

export function renderNatsServerConfig(s: NatsServerSettings): string {
  return readFileSync(template, 'utf8')
    .replaceAll('{{name}}', s.name)
    .replaceAll('{{listenHost}}', s.listenHost)
    .replaceAll('{{clientPort}}', String(s.clientPort))
    .replaceAll('{{routePort}}', String(s.routePort))
    .replaceAll('{{monitorPort}}', String(s.monitorPort))
    .replaceAll('{{routes}}', s.routes.map((r) => `    "${r}"`).join('\n'));
}

/** The comma-separated natsUrl that lists `home` first, then the others in order. */
export function natsUrlFrom(servers: readonly NatsClusterServer[], home: number): string {
  return [...servers.slice(home), ...servers.slice(0, home)].map((s) => s.url).join(',');
}

/**
 * Writes the configuration of `size` servers (named a, b, c...) into `dir`, starts them, and
 * resolves once a message published on any server reaches a subscriber on every other one.
 * Returns the servers and their PIDs (the caller ends them).
 */
export async function startNatsCluster(options: {
  dir: string;
  size: number;
  detached: boolean;
  readyTimeoutMs: number;
}): Promise<{ servers: NatsClusterServer[]; pids: number[] }> {
  if (!(Number.isSafeInteger(options.size) && options.size >= 2 && options.size <= 26))
    throw new LedgerError('bad-input', `a NATS cluster has 2 to 26 servers here, got ${options.size}`);
  mkdirSync(options.dir, { recursive: true });
  const servers: NatsClusterServer[] = [];
  for (let i = 0; i < options.size; i++) {
    const name = `ledger-${String.fromCharCode(97 + i)}`;
    const clientPort = await freePort();
    servers.push({
      name,
      clientPort,
      routePort: await freePort(),
      monitorPort: await freePort(),
      url: `nats://127.0.0.1:${clientPort}`,
      configFile: join(options.dir, `${name}.conf`),
      logFile: join(options.dir, `${name}.log`),
    });
  }
  for (const s of servers) {
    const routes = servers.filter((o) => o !== s).map((o) => `nats-route://127.0.0.1:${o.routePort}`);
    writeFileSync(s.configFile, renderNatsServerConfig({ ...s, listenHost: '127.0.0.1', routes }));
  }
  const pids: number[] = [];
  for (const s of servers) pids.push(await startNatsServer(s, options.detached));
  await waitForRoutes(servers, options.readyTimeoutMs);
  return { servers, pids };
}

/** Starts one server of the cluster (again, after a crash: same configuration, same ports);
 *  resolves with its PID once it accepts connections. Routes come back on their own: see
 *  waitForRoutes. */
export async function startNatsServer(server: NatsClusterServer, detached: boolean): Promise<number> {
  const child = startProcess(natsServerBinary(), ['-c', server.configFile], server.logFile, detached);
  const pid = child.pid;
  if (pid === undefined) throw new LedgerError('unavailable', `could not start nats-server ${server.name}`);
  await waitFor(`nats-server ${server.name} accepting connections`, 10_000, async () => {
    if (!isAlive(pid)) {
      const log = existsSync(server.logFile) ? readFileSync(server.logFile, 'utf8').trim().split('\n').slice(-3) : [];
      throw new LedgerError('unavailable', `nats-server ${server.name} exited at start: ${log.join(' | ')}`, {
        hint: `see ${server.logFile}`,
      });
    }
    return (await portAccepts(server.clientPort)) ? true : undefined;
  });
  return pid;
}

/**
 * Resolves once a message published on each server reaches a subscriber on each other server:
 * the routes are up and the subscriptions have travelled them. A server accepting clients says
 * nothing about its routes, and a node started before them would talk to a partial cluster.
 */
export async function waitForRoutes(servers: readonly NatsClusterServer[], timeoutMs: number): Promise<void> {
  const probe = `_ledger_probe.${process.pid}.${Date.now()}`;
  const transports: Transport[] = [];
  try {
    for (const s of servers)
      transports.push(await connectNats({ url: s.url, name: `ledger-route-probe-${s.name}`, longRunning: false }));
    // heard[i] holds the servers whose probes reached server i's subscriber.
    const heard = servers.map(() => new Set<string>());
    transports.forEach((t, i) => t.subscribe(`${probe}.${i}`, (m) => heard[i]?.add(new TextDecoder().decode(m.data))));
    await Promise.all(transports.map((t) => t.flush()));
    await waitFor(
      `routes between the ${servers.length} NATS servers`,
      timeoutMs,
      async () => {
        transports.forEach((t, j) => {
          for (let i = 0; i < servers.length; i++)
            if (i !== j && !heard[i]?.has(String(j))) t.publish(`${probe}.${i}`, new TextEncoder().encode(String(j)));
        });
        await Promise.all(transports.map((t) => t.flush()));
        return heard.every((h) => h.size === servers.length - 1) ? true : undefined;
      },
      100,
    );
  } finally {
    await Promise.all(transports.map((t) => t.close()));
  }
}
