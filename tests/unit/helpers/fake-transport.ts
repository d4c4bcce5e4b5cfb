import { performance } from 'node:perf_hooks';
import { decodeEnvelope, encodeEnvelope } from '../../../src/codec/envelope.js';
import { BatchService } from './batch-service.js';
import { ConnectionWaiters } from '../../../src/transport/connection-waiters.js';
import {
  NotSentError,
  TransportTimeoutError,
  type ConnectionState,
  type IncomingMessage,
  type Subscription,
  type Transport,
} from '../../../src/transport/transport.js';

/** What the fake broker does with a request that was sent: answer (committed, or balance 10
 *  for a read), refuse it (a node that could not accept it), or say nothing. */
export type FakeReply = 'commit' | 'refuse' | 'silence';

/**
 * A Transport for client tests, without NATS: the test connects and disconnects it at will.
 * A request while disconnected is refused (NotSentError) as the NATS transport refuses it; a
 * sent one is answered `committed` at once, or times out (`silence`).
 */
export class FakeTransport implements Transport {
  /** Every request that was sent (left the "process"), in order. */
  readonly sent: string[] = [];
  /** Every call to request(), sent or not. */
  calls = 0;
  reply: FakeReply = 'commit';
  private isConnected = true;
  private isClosed = false;
  private readonly waiters = new ConnectionWaiters();

  /** LedgerClient's request batches, each request answered by request() below. */
  private readonly batches = new BatchService((subject, data) => this.request(subject, data, 1));

  publish(subject: string, data: Uint8Array, reply?: string): void {
    this.batches.publish(subject, data, reply);
  }
  onPublishError(): void {}
  readonly brokerMaxPayloadBytes = undefined;
  subscribe(subject: string, handler: (message: IncomingMessage) => void): Subscription {
    return this.batches.subscribe(subject, handler);
  }
  async flush(): Promise<void> {}

  async close(): Promise<void> {
    this.isClosed = true;
    this.isConnected = false;
    this.waiters.wake();
  }

  get connected(): boolean {
    return this.isConnected;
  }

  get droppedWhileDisconnected(): number {
    return 0;
  }

  disconnect(): void {
    this.isConnected = false;
  }

  reconnect(): void {
    this.isConnected = true;
    this.waiters.wake();
  }

  connection(): ConnectionState {
    return {
      connected: this.isConnected,
      closed: this.isClosed,
      reconnectAttempt: this.isConnected ? 0 : 1,
      disconnects: 0,
      disconnectedMs: 0,
    };
  }

  whenConnected(timeoutMs: number): Promise<boolean> {
    return this.waiters.wait(
      timeoutMs,
      () => this.isConnected,
      () => this.isClosed,
    );
  }

  async request(subject: string, data: Uint8Array, timeoutMs: number): Promise<Uint8Array> {
    this.calls++;
    if (!this.isConnected)
      throw new NotSentError(
        this.isClosed
          ? 'not sent: the connection to NATS is closed'
          : 'not sent: no connection to NATS (reconnecting, attempt 1)',
      );
    this.sent.push(subject);
    if (this.reply === 'silence') {
      await new Promise((resolve) => setTimeout(resolve, timeoutMs));
      throw new TransportTimeoutError(`no answer on ${subject} within ${timeoutMs} ms`);
    }
    if (this.reply === 'refuse')
      return encodeEnvelope({
        kind: 'response',
        response: { kind: 'refused', reason: 'envelope.hops: expected an integer >= 0' },
      });
    const envelope = decodeEnvelope(data);
    const read = envelope.kind === 'request' && envelope.command.op.kind === 'balance';
    return encodeEnvelope({
      kind: 'response',
      response: {
        kind: 'outcome',
        outcome: read ? { status: 'ok', balance: 10 } : { status: 'committed' },
        servedBy: 1,
        slot: 1,
      },
    });
  }
}

export const elapsedSince = (startMs: number) => performance.now() - startMs;
