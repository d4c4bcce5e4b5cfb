/** What a node or a client needs from the message broker; src/transport/nats.ts provides it. */
export interface IncomingMessage {
  subject: string;
  data: Uint8Array;
  /** Where an answer goes, when the sender expects one. */
  reply: string | undefined;
  /** The broker's notice that a message sent with this subject as its reply subject found
   *  nobody listening (NATS's 503 status): a request batch's no-responders. */
  noResponders?: boolean;
}

export interface Transport {
  /** Fire and forget (at most once). Dropped, and counted, while disconnected. */
  publish(subject: string, data: Uint8Array, reply?: string): void;
  /** Until unsubscribed (which drops what has not been delivered yet). */
  subscribe(subject: string, handler: (message: IncomingMessage) => void): Subscription;
  /**
   * One request, one answer; rejects with a TransportTimeoutError when none comes in time, and
   * with a NotSentError, before anything is sent, while there is no connection to the broker.
   */
  request(subject: string, data: Uint8Array, timeoutMs: number): Promise<Uint8Array>;
  flush(): Promise<void>;
  close(): Promise<void>;
  readonly connected: boolean;
  readonly droppedWhileDisconnected: number;
  /** Where the connection stands, for progress lines and reports. */
  connection(): ConnectionState;
  /** Resolves true once connected (at once if connected now); false after `timeoutMs`, or as
   *  soon as the connection is closed for good. */
  whenConnected(timeoutMs: number): Promise<boolean>;
  /** Calls `listener` on every publish the broker's client refused (a publish is fire and
   *  forget, so it never throws at the caller): the caller counts and logs it. */
  onPublishError(listener: (failure: PublishFailure) => void): void;
  /** The largest payload the broker accepts, as it announced on connecting (undefined when it
   *  did not say): the message budgets must fit under it (see checkBrokerPayload). */
  readonly brokerMaxPayloadBytes: number | undefined;
  /** The NATS user this connection logged in as (undefined: no login): its replies come below
   *  subjects.userInbox(user), the only inbox the broker lets it read (docs/security.md). */
  readonly user?: string;
  /** Calls `listener` on every publish or subscription the broker refused for want of
   *  permission (it answers them with an error, never at the caller). */
  onBrokerRefusal?(listener: (refusal: BrokerRefusal) => void): void;
}

/** One subscription, for ending it. */
export interface Subscription {
  unsubscribe(): void;
}

/** A publish or a subscription the broker refused: the user has no permission for `subject`. */
export interface BrokerRefusal {
  operation: 'publish' | 'subscribe';
  subject: string;
}

/**
 * Refuses a broker whose max_payload is below the one the message budgets were derived from
 * (limits.natsMaxPayloadBytes): every full message would be refused by the broker, silently
 * for the protocol, and catch-up and elections would stall. Undefined when it fits.
 */
export function brokerPayloadProblem(
  brokerMaxPayloadBytes: number | undefined,
  neededBytes: number,
): string | undefined {
  if (brokerMaxPayloadBytes === undefined || brokerMaxPayloadBytes >= neededBytes) return undefined;
  return `the NATS server accepts payloads of at most ${brokerMaxPayloadBytes} bytes, and Ledger's messages need ${neededBytes}`;
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

export interface ConnectionState {
  connected: boolean;
  /** Closed for good: no reconnect will come (a one-shot connection that gave up, or close()). */
  closed: boolean;
  /** Reconnect attempts since the connection was lost; 0 while connected. */
  reconnectAttempt: number;
  /** Connections lost since the start. */
  disconnects: number;
  /** Time spent without a connection since the start, up to now. */
  disconnectedMs: number;
}

/** The line progress output shows while disconnected; undefined while connected. */
export function disconnectedText(state: ConnectionState): string | undefined {
  if (state.closed) return 'the connection to NATS is closed';
  if (state.connected) return undefined;
  return `disconnected from NATS, reconnecting (attempt ${state.reconnectAttempt})`;
}

export class TransportTimeoutError extends Error {
  override name = 'TransportTimeoutError';
}

/** Nobody listens on the subject (the node is down or not started). */
export class NoRespondersError extends Error {
  override name = 'NoRespondersError';
}

/**
 * A request that was not sent: there was no connection to the broker (lost, reconnecting, or
 * closed). Nothing left the process, so, unlike a timeout, it cannot have taken effect.
 */
export class NotSentError extends Error {
  override name = 'NotSentError';
}
