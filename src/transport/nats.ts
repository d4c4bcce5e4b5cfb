import { performance } from 'node:perf_hooks';
import {
  ClosedConnectionError as NatsClosed,
  connect,
  DrainingConnectionError as NatsDraining,
  NoRespondersError as NatsNoResponders,
  PermissionViolationError as NatsPermissionViolation,
  RequestError as NatsRequestError,
  TimeoutError as NatsTimeout,
  type NatsConnection,
} from '@nats-io/transport-node';
import { LedgerError } from '../core/errors.js';
import { ConnectionWaiters } from './connection-waiters.js';
import { natsServerUrls } from './nats-urls.js';
import { requestInboxPrefix } from './subjects.js';
import {
  type BrokerRefusal,
  NoRespondersError,
  NotSentError,
  TransportTimeoutError,
  type ConnectionState,
  type IncomingMessage,
  type PublishErrorReason,
  type PublishFailure,
  type Subscription,
  type Transport,
} from './transport.js';

/** Where the broker is and how to log in: what src/node/nats-access.ts works out for a role. */
export interface NatsLogin {
  /** e.g. nats://127.0.0.1:4222, or several comma-separated for a NATS cluster (natsServerUrls). */
  url: string;
  /** A user and password of the broker's authorization block (none: no login). */
  user?: string;
  password?: string;
  /** PEM files: the CA that signed the broker's certificate, and this process's certificate
   *  and key (the broker verifies them). Set: the connection is TLS. */
  tls?: TlsFiles;
}

export interface TlsFiles {
  caFile: string;
  certFile: string;
  keyFile: string;
}

export interface NatsOptions extends NatsLogin {
  /** Shown in the server's connection list. */
  name: string;
  /**
   * By lifetime. Anything that outlives one request (a node, `ledger bench`, `run`, `demo`,
   * `top`, any long-lived LedgerClient) reconnects forever, every 250 ms plus jitter, and rides
   * out a broker restart; a one-shot command gives up after 3 attempts, so it fails fast.
   */
  longRunning: boolean;
  /**
   * Set for a node: when the broker cannot be reached at start, keep trying every 250 ms instead
   * of failing, and call this before each new try. A node may be started while its broker is
   * down or restarting (a whole-system restart, a supervisor that starts both at once); it must
   * wait for it rather than exit. A client fails fast instead, with a clear error.
   */
  waitForBroker?: (attempt: number, error: unknown) => void;
}

/** The only importer of the NATS client. */
export async function connectNats(options: NatsOptions): Promise<Transport> {
  // A malformed URL list is a configuration error, not an outage to wait out.
  const servers = natsServerUrls(options.url);
  for (let attempt = 1; ; attempt++) {
    try {
      return await connectOnce(options, servers);
    } catch (error) {
      // Only an absent broker is waited for: a refused login or certificate will not get better.
      if (options.waitForBroker === undefined || notAnOutage(error)) throw error;
      options.waitForBroker(attempt, error);
      await new Promise((resolve) => setTimeout(resolve, brokerRetryMs));
    }
  }
}

function notAnOutage(error: unknown): boolean {
  const text = `${String(error)} ${String((error as { cause?: unknown })?.cause ?? '')}`;
  return /authori[sz]ation|authentication|permission|tls|certificate/i.test(text);
}

/** How often a node that waits for its broker at start tries again. */
const brokerRetryMs = 250;

async function connectOnce(options: NatsOptions, servers: string[]): Promise<Transport> {
  let nc: NatsConnection;
  try {
    nc = await connect({
      servers,
      // In the order given: the first is the home server (a host's own nats-server), the others
      // where to go when it dies. Servers the cluster announces are added by the client too.
      noRandomize: true,
      name: options.name,
      // A node or a long-lived client must outlive broker restarts; a one-shot CLI call should
      // fail fast with a clear error. The client adds up to 100 ms of jitter to each wait.
      maxReconnectAttempts: options.longRunning ? -1 : 3,
      reconnectTimeWait: options.longRunning ? 250 : 200,
      // The default ping interval (2 minutes) is far too slow to notice a dead link.
      pingInterval: options.longRunning ? 2_000 : 10_000,
      maxPingOut: 3,
      // A node never needs its own broadcasts back: the core handles its own messages.
      noEcho: options.longRunning,
      // Without this, every request builds two Error objects up front (a stack trace for a
      // timeout that almost never happens): 40 % of a load generator's CPU in profiles. Our
      // errors say which subject timed out; the stack of the NATS client adds nothing.
      noAsyncTraces: true,
      timeout: 5_000,
      ...(options.user === undefined
        ? {}
        : // Replies to requests come below the user's own prefix, the only one it may read.
          { user: options.user, pass: options.password ?? '', inboxPrefix: requestInboxPrefix(options.user) }),
      ...(options.tls === undefined ? {} : { tls: { ...options.tls } }),
    });
  } catch (error) {
    if (notAnOutage(error))
      throw new LedgerError('unavailable', `NATS at ${options.url} refused the connection: ${String(error)}`, {
        hint: 'check the credentials and TLS files (docs/security.md): the data dir, or LEDGER_NATS_* variables',
        cause: error,
      });
    throw new LedgerError('unavailable', `cannot reach NATS at ${options.url}`, {
      hint: 'is the cluster running? start it with `ledger cluster start --detach`',
      cause: error,
    });
  }
  return new NatsTransport(nc, options.user);
}

class NatsTransport implements Transport {
  private isConnected = true;
  private dropped = 0;
  private isClosed = false;
  private reconnectAttempt = 0;
  private disconnects = 0;
  /** Time without a connection before the current outage. */
  private disconnectedMsBefore = 0;
  /** performance.now() when the current outage began, while disconnected. */
  private disconnectedAtMs: number | undefined;
  /** whenConnected() callers, woken by a reconnect or the close. */
  private readonly waiters = new ConnectionWaiters();

  private readonly refusalListeners: Array<(refusal: BrokerRefusal) => void> = [];

  constructor(
    private readonly nc: NatsConnection,
    readonly user: string | undefined,
  ) {
    void this.watchStatus();
    void nc.closed().then(() => {
      this.isClosed = true;
      this.markDisconnected();
      this.waiters.wake();
    });
  }

  get connected(): boolean {
    return this.isConnected;
  }

  get droppedWhileDisconnected(): number {
    return this.dropped;
  }

  connection(): ConnectionState {
    const current = this.disconnectedAtMs === undefined ? 0 : performance.now() - this.disconnectedAtMs;
    return {
      connected: this.isConnected && !this.isClosed,
      closed: this.isClosed,
      reconnectAttempt: this.reconnectAttempt,
      disconnects: this.disconnects,
      disconnectedMs: this.disconnectedMsBefore + current,
    };
  }

  whenConnected(timeoutMs: number): Promise<boolean> {
    return this.waiters.wait(
      timeoutMs,
      () => this.isConnected && !this.isClosed,
      () => this.isClosed,
    );
  }

  private async watchStatus(): Promise<void> {
    for await (const s of this.nc.status()) {
      if (s.type === 'disconnect') {
        this.markDisconnected();
      } else if (s.type === 'reconnecting') {
        // One per dial while the connection is lost.
        if (!this.isConnected) this.reconnectAttempt++;
      } else if (s.type === 'error' && s.error instanceof NatsPermissionViolation) {
        const refusal: BrokerRefusal = {
          operation: s.error.operation === 'publish' ? 'publish' : 'subscribe',
          subject: s.error.subject,
        };
        for (const listener of this.refusalListeners) listener(refusal);
      } else if (s.type === 'reconnect') {
        if (this.disconnectedAtMs !== undefined) this.disconnectedMsBefore += performance.now() - this.disconnectedAtMs;
        this.disconnectedAtMs = undefined;
        this.reconnectAttempt = 0;
        this.isConnected = true;
        this.waiters.wake();
      }
    }
  }

  private markDisconnected(): void {
    if (this.isConnected) this.disconnects++;
    this.isConnected = false;
    this.disconnectedAtMs ??= performance.now();
  }

  publish(subject: string, data: Uint8Array, reply?: string): void {
    // While disconnected the client would buffer without bound; our protocols retransmit
    // whatever matters, so we drop instead and keep memory flat during a broker outage.
    if (!this.isConnected || this.nc.isClosed()) {
      this.dropped++;
      return;
    }
    try {
      this.nc.publish(subject, data, reply === undefined ? undefined : { reply });
    } catch (error) {
      this.dropped++;
      const failure: PublishFailure = {
        subject,
        bytes: data.length,
        reason: this.publishErrorReason(data, error),
        error,
      };
      for (const listener of this.publishErrorListeners) listener(failure);
    }
  }

  get brokerMaxPayloadBytes(): number | undefined {
    return this.nc.info?.max_payload;
  }

  private readonly publishErrorListeners: Array<(failure: PublishFailure) => void> = [];

  onPublishError(listener: (failure: PublishFailure) => void): void {
    this.publishErrorListeners.push(listener);
  }

  private publishErrorReason(data: Uint8Array, error: unknown): PublishErrorReason {
    // nats.js refuses a payload above the server's max_payload with a generic argument error.
    const maxPayload = this.nc.info?.max_payload;
    if ((maxPayload !== undefined && data.length > maxPayload) || /max_payload/.test(String((error as Error)?.message)))
      return 'payload-too-large';
    if (error instanceof NatsClosed || error instanceof NatsDraining) return 'closed';
    return 'other';
  }

  onBrokerRefusal(listener: (refusal: BrokerRefusal) => void): void {
    this.refusalListeners.push(listener);
  }

  subscribe(subject: string, handler: (message: IncomingMessage) => void): Subscription {
    return this.nc.subscribe(subject, {
      callback: (error, msg) => {
        if (error !== null) return;
        const message: IncomingMessage = {
          subject: msg.subject,
          data: msg.data,
          reply: msg.reply === '' ? undefined : msg.reply,
        };
        // How the NATS client itself recognises a no-responders notice (its request()).
        if (msg.data.length === 0 && msg.headers?.code === 503) message.noResponders = true;
        handler(message);
      },
    });
  }

  async request(subject: string, data: Uint8Array, timeoutMs: number): Promise<Uint8Array> {
    // Without a connection the NATS client would buffer the request and maybe send it on a
    // reconnect, long after its caller gave up on it: refuse instead, so the caller knows for
    // sure that nothing left the process (a request that did leave may still take effect).
    if (!this.isConnected || this.isClosed || this.nc.isClosed()) throw this.notSent(subject);
    try {
      const msg = await this.nc.request(subject, data, { timeout: timeoutMs });
      return msg.data;
    } catch (error) {
      // Refused by the client before it wrote anything: closed or draining.
      if (error instanceof NatsClosed || error instanceof NatsDraining) throw this.notSent(subject, error);
      if (error instanceof NatsNoResponders || (error as { cause?: unknown }).cause instanceof NatsNoResponders) {
        throw new NoRespondersError(`no node listens on ${subject}`, { cause: error });
      }
      if (error instanceof NatsTimeout || (error as { cause?: unknown }).cause instanceof NatsTimeout) {
        throw new TransportTimeoutError(`no answer on ${subject} within ${timeoutMs} ms`, { cause: error });
      }
      // Handed to the client, then failed: what was in flight when the connection closed
      // ("connection closed"). It may have left, so it counts as sent with no answer.
      if (error instanceof NatsRequestError)
        throw new TransportTimeoutError(`no answer on ${subject}: ${error.message}`, { cause: error });
      throw error;
    }
  }

  private notSent(subject: string, cause?: unknown): NotSentError {
    const why =
      this.isClosed || this.nc.isClosed()
        ? 'the connection to NATS is closed'
        : `no connection to NATS (reconnecting, attempt ${this.reconnectAttempt})`;
    return new NotSentError(`not sent: ${why}`, { cause: cause ?? subject });
  }

  async flush(): Promise<void> {
    await this.nc.flush();
  }

  async close(): Promise<void> {
    if (!this.nc.isClosed()) await this.nc.drain().catch(() => this.nc.close());
  }
}
