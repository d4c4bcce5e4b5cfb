import type { ClusterId, NodeId } from '../protocol/ids.js';

/**
 * The NATS subjects of one deployment (docs/architecture.md). The prefix lets several deployments share a
 * broker without hearing each other.
 */
export function subjects(prefix: string) {
  return {
    /** Leader's broadcasts to its cluster (accepts, heartbeats). */
    clusterPaxos: (cluster: ClusterId) => `${prefix}.c${cluster}.paxos`,
    /** Point-to-point protocol messages addressed to one node. */
    nodePaxos: (node: NodeId) => `${prefix}.n${node}.paxos`,
    /** Client requests to one node (served, or forwarded to its leader with the reply subject). */
    nodeRequests: (node: NodeId) => `${prefix}.n${node}.req`,
    nodeAdmin: (node: NodeId) => `${prefix}.n${node}.admin`,
    /** One client's replies: each of its request batches is answered at `<inbox>.<batch>`. */
    clientInbox: (client: string) => `${prefix}.inbox.${client}`,
    /** Two-Phase Commit messages to whoever leads a cluster (its other members ignore them). */
    clusterTwoPc: (cluster: ClusterId) => `${prefix}.c${cluster}.2pc`,
    events: `${prefix}.events`,
  };
}

export type Subjects = ReturnType<typeof subjects>;
