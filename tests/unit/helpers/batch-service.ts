import { decodeEnvelope, encodeEnvelope } from '../../../src/codec/envelope.js';
import {
  NoRespondersError,
  type IncomingMessage,
  type Subscription,
  type Transport,
} from '../../../src/transport/transport.js';

/** The rest of a client test's fake Transport: connected for good, nothing to flush or close. */
export const alwaysConnected: Omit<Transport, 'publish' | 'subscribe' | 'request'> = {
  flush: async () => undefined,
  close: async () => undefined,
  connected: true,
  droppedWhileDisconnected: 0,
  connection: () => ({ connected: true, closed: false, reconnectAttempt: 0, disconnects: 0, disconnectedMs: 0 }),
  whenConnected: async () => true,
  onPublishError: () => undefined,
  brokerMaxPayloadBytes: undefined,
};

/**
 * The broker and node side of request batches for client tests without NATS: a fake that
 * answers one request at a time (`answerOne`, as Transport.request would: an encoded
 * `response`, or a throw for no answer) serves LedgerClient's batches through it. Each request
 * of a batch is answered on its own, in its own `response-batch`, at the batch's reply subject
 * (a NoRespondersError becomes the broker's no-responders notice there).
 */
export class BatchService {
  private readonly handlers: Array<[string, (message: IncomingMessage) => void]> = [];

  constructor(private readonly answerOne: (subject: string, data: Uint8Array) => Promise<Uint8Array>) {}

  subscribe(subject: string, handler: (message: IncomingMessage) => void): Subscription {
    const entry: [string, (message: IncomingMessage) => void] = [
      subject.endsWith('.>') ? subject.slice(0, -1) : subject,
      handler,
    ];
    this.handlers.push(entry);
    return {
      unsubscribe: () => {
        const at = this.handlers.indexOf(entry);
        if (at >= 0) this.handlers.splice(at, 1);
      },
    };
  }

  publish(subject: string, data: Uint8Array, reply?: string): void {
    if (reply === undefined) return;
    const envelope = decodeEnvelope(data);
    if (envelope.kind !== 'request-batch') return;
    for (const { id, command } of envelope.items) {
      const generation = envelope.generation === undefined ? {} : { generation: envelope.generation };
      const single = encodeEnvelope({ kind: 'request', command, hops: envelope.hops, ...generation });
      this.answerOne(subject, single).then(
        (bytes) => {
          const answer = decodeEnvelope(bytes);
          if (answer.kind === 'response')
            this.deliver(reply, encodeEnvelope({ kind: 'response-batch', items: [{ id, response: answer.response }] }));
        },
        (error: unknown) => {
          if (error instanceof NoRespondersError) this.deliver(reply, new Uint8Array(0), true);
        },
      );
    }
  }

  private deliver(subject: string, data: Uint8Array, noResponders = false): void {
    for (const [pattern, handler] of this.handlers)
      if (pattern.endsWith('.') ? subject.startsWith(pattern) : subject === pattern)
        handler({ subject, data, reply: undefined, ...(noResponders ? { noResponders } : {}) });
  }
}
