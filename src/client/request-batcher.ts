import { decodeEnvelope, DecodeError, encodeEnvelope } from '../codec/envelope.js';
import { encodedBytesMax } from '../core/encoded-size.js';
import { limits, payloadBudgets } from '../core/limits.js';
import type { BatchedRequest, Response } from '../protocol/client.js';
import type { Command } from '../protocol/commands.js';
import {
  NoRespondersError,
  NotSentError,
  TransportTimeoutError,
  type ConnectionState,
  type IncomingMessage,
  type Transport,
} from '../transport/transport.js';
import { TurnBatches } from '../transport/turn-batches.js';

/** Where a batch goes: a node's request subject, in a flush generation (or none). */
interface Destination {
  subject: string;
  generation: number | undefined;
}

/** A request waiting for its answer, by its id. `batch`: the batch it left in (once sent). */
interface Waiter {
  resolve(response: Response): void;
  reject(error: Error): void;
  timer: ReturnType<typeof setTimeout>;
  batch: number | undefined;
}

/** A batch sent: where, and which of its requests still wait. */
interface SentBatch {
  subject: string;
  ids: Set<number>;
}

/** Room kept in a batch's byte budget for its envelope (version, kind, hops, generation). */
const envelopeBytesMax = 64;

/**
 * A LedgerClient's requests on the wire (docs/transfers.md, "Batches"): the requests of one
 * turn for the same node leave in one `request-batch` message (TurnBatches: bounded in count
 * and bytes, under the broker's budget too), whose reply subject is this client's inbox plus the
 * batch's number; one long-lived subscription on the inbox takes every answer. Each request has
 * its own id, timer and answer, as if it had been sent alone: a `response-batch` answers those
 * of its ids that wait; a `response` at a batch's subject (a batch refused whole) and the
 * broker's no-responders notice answer all of the batch that still waits.
 */
export class RequestBatcher {
  private readonly waiting = new Map<number, Waiter>();
  private readonly sent = new Map<number, SentBatch>();
  private readonly queue: TurnBatches<BatchedRequest, Destination>;
  private nextId = 1;
  private nextBatch = 1;
  private listening = false;
  /** Messages at the inbox that answered nothing waiting (late, or not decodable). */
  strayReplies = 0;
  /** Batches published (for tests and reports). */
  batchesSent = 0;

  constructor(
    private readonly transport: Transport,
    /** This client's own subject (subjects.clientInbox); batches are answered below it. */
    private readonly inbox: string,
    schedule: (run: () => void) => void = (run) => void setImmediate(run),
  ) {
    const broker = transport.brokerMaxPayloadBytes;
    const budget = broker === undefined ? limits.requestBatchBytesMax : payloadBudgets(broker).messageBytesMax;
    this.queue = new TurnBatches(
      {
        itemsMax: limits.requestsPerBatchMax,
        bytesMax: Math.min(limits.requestBatchBytesMax, budget) - envelopeBytesMax,
      },
      schedule,
      (to, items) => this.sendBatch(to, items),
    );
  }

  /** Requests waiting for an answer (bounded by limits.clientRequestsInFlightMax). */
  get inFlight(): number {
    return this.waiting.size;
  }

  /**
   * One attempt of `command` at `subject`: its answer, or a TransportTimeoutError after
   * `timeoutMs`, a NoRespondersError when nobody listens there, a DecodeError when the answer
   * does not decode; a NotSentError when it could not leave (no connection when its batch was
   * due, or too many requests waiting already): nothing of it was sent then.
   */
  request(subject: string, command: Command, generation: number | undefined, timeoutMs: number): Promise<Response> {
    const connection = this.transport.connection();
    if (!connection.connected) return Promise.reject(notSent(connection));
    if (this.waiting.size >= limits.clientRequestsInFlightMax)
      return Promise.reject(
        new NotSentError(`not sent: ${limits.clientRequestsInFlightMax} requests of this client already wait`),
      );
    this.listen();
    const id = this.nextId++;
    const item = { id, command };
    return new Promise<Response>((resolve, reject) => {
      const timer = setTimeout(
        () => this.settle(id)?.reject(new TransportTimeoutError(`no answer on ${subject} within ${timeoutMs} ms`)),
        timeoutMs,
      );
      this.waiting.set(id, { resolve, reject, timer, batch: undefined });
      const key = generation === undefined ? subject : `${subject} ${generation}`;
      this.queue.add(key, { subject, generation }, item, encodedBytesMax(item));
    });
  }

  private listen(): void {
    if (this.listening) return;
    this.listening = true;
    this.transport.subscribe(`${this.inbox}.>`, (m) => this.onReply(m));
  }

  private sendBatch(to: Destination, queued: BatchedRequest[]): void {
    // A request whose attempt timed out before its turn ended is not sent.
    const items = queued.filter((item) => this.waiting.has(item.id));
    if (items.length === 0) return;
    const connection = this.transport.connection();
    if (!connection.connected) {
      for (const { id } of items) this.settle(id)?.reject(notSent(connection));
      return;
    }
    const batch = this.nextBatch++;
    const ids = new Set<number>();
    for (const { id } of items) {
      ids.add(id);
      (this.waiting.get(id) as Waiter).batch = batch;
    }
    this.sent.set(batch, { subject: to.subject, ids });
    this.batchesSent++;
    const envelope = { kind: 'request-batch' as const, items, hops: 0 };
    this.transport.publish(
      to.subject,
      encodeEnvelope(to.generation === undefined ? envelope : { ...envelope, generation: to.generation }),
      `${this.inbox}.${batch}`,
    );
  }

  private onReply(m: IncomingMessage): void {
    const batch = this.sent.get(Number(m.subject.slice(this.inbox.length + 1)));
    if (batch === undefined) {
      this.strayReplies++;
      return;
    }
    if (m.noResponders === true) {
      this.failBatch(batch, new NoRespondersError(`no node listens on ${batch.subject}`));
      return;
    }
    let envelope;
    try {
      envelope = decodeEnvelope(m.data);
    } catch (error) {
      if (!(error instanceof DecodeError)) throw error;
      this.failBatch(batch, error);
      return;
    }
    if (envelope.kind === 'response-batch') {
      for (const { id, response } of envelope.items) {
        // Only the batch's own requests: an id of another batch at this subject is not an answer.
        if (batch.ids.has(id)) this.settle(id)?.resolve(response);
        else this.strayReplies++;
      }
    } else if (envelope.kind === 'response') {
      const response = envelope.response;
      for (const id of [...batch.ids]) this.settle(id)?.resolve(response);
    } else this.failBatch(batch, new DecodeError(`expected a response batch, got ${envelope.kind}`));
  }

  private failBatch(batch: SentBatch, error: Error): void {
    for (const id of [...batch.ids]) this.settle(id)?.reject(error);
  }

  /** The request's waiter, taken out of every record (undefined when it was settled already). */
  private settle(id: number): Waiter | undefined {
    const waiter = this.waiting.get(id);
    if (waiter === undefined) return undefined;
    this.waiting.delete(id);
    clearTimeout(waiter.timer);
    if (waiter.batch !== undefined) {
      const batch = this.sent.get(waiter.batch);
      batch?.ids.delete(id);
      if (batch?.ids.size === 0) this.sent.delete(waiter.batch);
    }
    return waiter;
  }
}

/** The same words as the NATS transport's refusal of a request (src/transport/nats.ts). */
function notSent(connection: ConnectionState): NotSentError {
  return new NotSentError(
    connection.closed
      ? 'not sent: the connection to NATS is closed'
      : `not sent: no connection to NATS (reconnecting, attempt ${connection.reconnectAttempt})`,
  );
}
