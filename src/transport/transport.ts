/** What a node or a client needs from the message broker; src/transport/nats.ts provides it. */
export interface IncomingMessage {
  subject: string;
  data: Uint8Array;
  /** Where an answer goes, when the sender expects one. */
  reply: string | undefined;
}

export interface Transport {
  /** Fire and forget (at most once). Dropped, and counted, while disconnected. */
  publish(subject: string, data: Uint8Array, reply?: string): void;
  subscribe(subject: string, handler: (message: IncomingMessage) => void): void;
  /** One request, one answer; rejects with a TransportTimeoutError when none comes in time. */
  request(subject: string, data: Uint8Array, timeoutMs: number): Promise<Uint8Array>;
  flush(): Promise<void>;
  close(): Promise<void>;
  readonly connected: boolean;
  readonly droppedWhileDisconnected: number;
  /** Calls `listener` on every publish the broker's client refused (a publish is fire and
   *  forget, so it never throws at the caller): the caller counts and logs it. */
  onPublishError(listener: (failure: PublishFailure) => void): void;
}

/** Why a publish failed. `payload-too-large`: above the broker's max_payload, which no retry
 *  fixes; `closed`: the connection is closed or draining; `other`: anything else. */
export type PublishErrorReason = 'payload-too-large' | 'closed' | 'other';

export interface PublishFailure {
  subject: string;
  bytes: number;
  reason: PublishErrorReason;
  error: unknown;
}

export class TransportTimeoutError extends Error {
  override name = 'TransportTimeoutError';
}

/** Nobody listens on the subject (the node is down or not started). */
export class NoRespondersError extends Error {
  override name = 'NoRespondersError';
}
