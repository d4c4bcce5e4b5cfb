import { ClosedConnectionError, connect, DrainingConnectionError, NoRespondersError as NatsNoResponders, TimeoutError as NatsTimeout, type NatsConnection } from '@nats-io/transport-node';
import { LedgerError } from '../core/errors.js';
import { NoRespondersError, TransportTimeoutError, type IncomingMessage, type PublishErrorReason, type PublishFailure, type Transport } from './transport.js';

export interface NatsOptions {
  /** e.g. nats://127.0.0.1:4222 */
  url: string;
  /** Shown in the server's connection list. */
  name: string;
  /** Long-running nodes reconnect forever; short CLI commands give up quickly. */
  longRunning: boolean;
}

/** The only importer of the NATS client. */
export async function connectNats(options: NatsOptions): Promise<Transport> {
  let nc: NatsConnection;
  try {
    nc = await connect({
      servers: options.url,
      name: options.name,
      // A node must outlive broker restarts; a CLI call should fail fast with a clear error.
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
    });
  } catch (error) {
    throw new LedgerError('unavailable', `cannot reach NATS at ${options.url}`, {
      hint: 'is the cluster running? start it with `ledger cluster start --detach`',
      cause: error,
    });
  }
  return new NatsTransport(nc);
}

class NatsTransport implements Transport {
  private isConnected = true;
  private dropped = 0;

  constructor(private readonly nc: NatsConnection) {
    void this.watchStatus();
  }

  get connected(): boolean {
    return this.isConnected;
  }

  get droppedWhileDisconnected(): number {
    return this.dropped;
  }

  private async watchStatus(): Promise<void> {
    for await (const s of this.nc.status()) {
      if (s.type === 'disconnect') this.isConnected = false;
      else if (s.type === 'reconnect') this.isConnected = true;
    }
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
      const failure: PublishFailure = { subject, bytes: data.length, reason: this.publishErrorReason(data, error), error };
      for (const listener of this.publishErrorListeners) listener(failure);
    }
  }

  private readonly publishErrorListeners: Array<(failure: PublishFailure) => void> = [];

  onPublishError(listener: (failure: PublishFailure) => void): void {
    this.publishErrorListeners.push(listener);
  }

  private publishErrorReason(data: Uint8Array, error: unknown): PublishErrorReason {
    // nats.js refuses a payload above the server's max_payload with a generic argument error.
    const maxPayload = this.nc.info?.max_payload;
    if ((maxPayload !== undefined && data.length > maxPayload) || /max_payload/.test(String((error as Error)?.message))) return 'payload-too-large';
    if (error instanceof ClosedConnectionError || error instanceof DrainingConnectionError) return 'closed';
    return 'other';
  }

  subscribe(subject: string, handler: (message: IncomingMessage) => void): void {
    this.nc.subscribe(subject, {
      callback: (error, msg) => {
        if (error !== null) return;
        handler({ subject: msg.subject, data: msg.data, reply: msg.reply === '' ? undefined : msg.reply });
      },
    });
  }

  async request(subject: string, data: Uint8Array, timeoutMs: number): Promise<Uint8Array> {
    try {
      const msg = await this.nc.request(subject, data, { timeout: timeoutMs });
      return msg.data;
    } catch (error) {
      if (error instanceof NatsNoResponders || (error as { cause?: unknown }).cause instanceof NatsNoResponders) {
        throw new NoRespondersError(`no node listens on ${subject}`, { cause: error });
      }
      if (error instanceof NatsTimeout || (error as { cause?: unknown }).cause instanceof NatsTimeout) {
        throw new TransportTimeoutError(`no answer on ${subject} within ${timeoutMs} ms`, { cause: error });
      }
      throw error;
    }
  }

  async flush(): Promise<void> {
    await this.nc.flush();
  }

  async close(): Promise<void> {
    if (!this.nc.isClosed()) await this.nc.drain().catch(() => this.nc.close());
  }
}
