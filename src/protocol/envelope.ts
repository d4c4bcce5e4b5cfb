import type { AdminReply, AdminRequest, AdminRequestContext } from './admin.js';
import type { BatchedRequest, BatchedResponse, Response, ShardMessage } from './client.js';
import type { Command } from './commands.js';
import type { MetricsSnapshot } from './metrics.js';
import type { TwoPcMessage } from './twopc.js';
import type { MoveMessage } from './moves.js';

/** Everything that travels over NATS, tagged by `kind` (encoded and checked by src/codec/envelope.ts). */
export type Envelope =
  /** `generation`: the sender's flush generation; a node drops messages of another one, so
   *  nothing from before a flush leaks into the fresh instance. */
  | { kind: 'paxos'; cluster: number; generation: number; message: ShardMessage }
  /** `generation`: the flush generation the client works in, when it knows it (the test-file
   *  runner): a node in another generation drops the request, so nothing sent before a flush
   *  runs after it. Without it the request runs in whatever generation the node is in. */
  | { kind: 'request'; command: Command; hops: number; generation?: number }
  /** Several requests of one client in one message (limits.requestsPerBatchMax,
   *  requestBatchBytesMax), each handled as if it came alone; answered by `response-batch`es at
   *  the message's reply subject, a request's answer as soon as it is ready. Otherwise as `request`. */
  | { kind: 'request-batch'; items: BatchedRequest[]; hops: number; generation?: number }
  /** Two-Phase Commit between the leaders of two clusters. */
  | { kind: '2pc'; fromCluster: number; generation: number; message: TwoPcMessage }
  /** Moves of accounts between the leaders of two clusters (resharding), on the 2PC subject. */
  | { kind: 'move'; fromCluster: number; generation: number; message: MoveMessage }
  | { kind: 'response'; response: Response }
  /** Answers to the requests of batches, those that were ready in the same turn. A `response`
   *  at a batch's reply subject answers all its requests (a batch refused as a whole). */
  | { kind: 'response-batch'; items: BatchedResponse[] }
  /** The admin RPC, typed per op in admin.ts. */
  | ({ kind: 'admin' } & AdminRequestContext & AdminRequest)
  | ({ kind: 'admin-reply' } & AdminReply)
  /** A node's periodic metrics, on `ledger.events` (`ledger top`, `ledger check health`). */
  | { kind: 'metrics'; snapshot: MetricsSnapshot };
