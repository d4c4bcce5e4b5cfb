import type { NodeId } from '../../src/protocol/ids.js';
import type { Response, ShardMessage } from '../../src/protocol/client.js';
import type { Command } from '../../src/protocol/commands.js';
import type { ClusterMessage } from '../../src/protocol/moves.js';

/** Everything that crosses the simulated network. */
export type SimMessage =
  | { kind: 'paxos'; message: ShardMessage; generation: number }
  /** `generation`: the flush generation the client sent it in (kept when forwarded). */
  | { kind: 'request'; client: NodeId; command: Command; hops: number; generation: number }
  | { kind: '2pc'; message: ClusterMessage; generation: number }
  | { kind: 'response'; command: Command; response: Response };

/** A client's request as a simulated node holds it (the runtime's handle for the reply). */
export interface SimRequest {
  client: NodeId;
  command: Command;
  hops: number;
  receivedAtMs: number;
  generation: number;
}
