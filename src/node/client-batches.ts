import { encodeEnvelope } from '../codec/envelope.js';
import { encodedBytesMax } from '../core/encoded-size.js';
import { limits } from '../core/limits.js';
import type { BatchedRequest, BatchedResponse, Response } from '../protocol/client.js';
import type { NodeId } from '../protocol/ids.js';
import { TurnBatches } from '../transport/turn-batches.js';

/** Room kept in a batch's byte budget for its envelope (version, kind, hops, generation). */
const envelopeBytesMax = 64;

/** A request delivered twice (a duplicating broker, `ledger node disturb`) is answered or
 *  forwarded twice; two copies in one batch would make the receiver refuse all of it. */
const byId = (item: { id: number }) => item.id;

const bounds = { itemsMax: limits.requestsPerBatchMax, bytesMax: limits.requestBatchBytesMax - envelopeBytesMax };

/** Where a forwarded batch goes: the leader, with the client's reply subject, hop count and
 *  flush generation (items that differ in any of them go in different batches). */
interface ForwardTo {
  to: NodeId;
  reply: string;
  hops: number;
  generation: number | undefined;
}

/**
 * What a node sends back for the requests that came in batches (docs/transfers.md, "Batches"):
 * the answers ready in the same turn (the commands of one chosen slot, the refusals of one
 * intake) go to each reply subject in one `response-batch`, and the requests a follower forwards
 * in one turn go to its leader in one `request-batch` per reply subject. Each request is
 * answered when its own answer is ready: a slow one (a cross-shard transfer, one waiting on a
 * lock) goes out in a later turn's batch and delays nobody.
 *
 * A forwarded batch is rebuilt from requests already checked, each id once and within the
 * bounds, so the leader never refuses it: a `refused` at a reply subject (which answers every
 * request of the batch still waiting) is always about the client's own batch.
 */
export class ClientBatches {
  private readonly replies: TurnBatches<BatchedResponse>;
  private readonly forwards: TurnBatches<BatchedRequest, ForwardTo>;
  /** Response batches and forwarded batches published (metrics and tests). */
  responseBatchesSent = 0;
  forwardBatchesSent = 0;

  constructor(
    private readonly publish: (subject: string, data: Uint8Array, reply?: string) => void,
    private readonly requestSubject: (node: NodeId) => string,
    /** After this turn's sends (the node: a microtask, once the Ready loop's sends are done). */
    schedule: (run: () => void) => void,
  ) {
    this.replies = new TurnBatches<BatchedResponse>(
      bounds,
      schedule,
      (reply, items) => {
        this.responseBatchesSent++;
        this.publish(reply, encodeEnvelope({ kind: 'response-batch', items }));
      },
      byId,
    );
    this.forwards = new TurnBatches<BatchedRequest, ForwardTo>(
      bounds,
      schedule,
      (f, items) => {
        this.forwardBatchesSent++;
        const envelope = { kind: 'request-batch' as const, items, hops: f.hops };
        this.publish(
          this.requestSubject(f.to),
          encodeEnvelope(f.generation === undefined ? envelope : { ...envelope, generation: f.generation }),
          f.reply,
        );
      },
      byId,
    );
  }

  /** Publishes the open batches now, before the end of the turn. */
  flush(): void {
    this.replies.flush();
    this.forwards.flush();
  }

  /** The answer to request `id` of a batch that came with reply subject `reply`. */
  reply(reply: string, id: number, response: Response): void {
    const item = { id, response };
    this.replies.add(reply, reply, item, encodedBytesMax(item));
  }

  /** Request `item` of a batch, to the leader `to`; it answers the client at `reply` itself. */
  forward(to: ForwardTo, item: BatchedRequest): void {
    this.forwards.add(`${to.to} ${to.hops} ${to.generation ?? '-'} ${to.reply}`, to, item, encodedBytesMax(item));
  }
}
