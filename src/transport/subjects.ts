import type { ClusterId, NodeId } from '../protocol/ids.js';

/**
 * The NATS subjects of one deployment (docs/architecture.md). The prefix lets several deployments share a
 * broker without hearing each other.
 *
 * Protocol subjects end in their sender (`n<N>` for a node, `c<C>` for a cluster's leader): the
 * broker lets a node's user publish only on subjects that end in its own node and cluster
 * (src/node/nats-permissions.ts), so the last token is an identity the broker enforced, and a
 * node drops a message whose envelope claims another sender (docs/security.md).
 */
export function subjects(prefix: string) {
  return {
    /** Leader's broadcasts to its cluster (accepts, heartbeats), sent by node `from`. */
    clusterPaxos: (cluster: ClusterId, from: NodeId) => `${prefix}.c${cluster}.paxos.n${from}`,
    /** Point-to-point protocol messages addressed to one node, sent by node `from`. */
    nodePaxos: (node: NodeId, from: NodeId) => `${prefix}.n${node}.paxos.n${from}`,
    /** Client requests to one node (served, or forwarded to its leader with the reply subject). */
    nodeRequests: (node: NodeId) => `${prefix}.n${node}.req`,
    nodeAdmin: (node: NodeId) => `${prefix}.n${node}.admin`,
    /** The subjects a user may receive replies on: `<user>` is its NATS user ('anonymous' without
     *  logins), so the broker can hold each user to its own inbox. */
    userInbox: (user: string) => `${prefix}.inbox.${user}`,
    /** One client's replies: each of its request batches is answered at `<inbox>.<batch>`. */
    clientInbox: (user: string, client: string) => `${prefix}.inbox.${user}.${client}`,
    /** Two-Phase Commit messages to whoever leads a cluster (its other members ignore them),
     *  sent by a node of cluster `from`. */
    clusterTwoPc: (cluster: ClusterId, from: ClusterId) => `${prefix}.c${cluster}.2pc.c${from}`,
    events: `${prefix}.events`,
    // Wildcards, for subscriptions and the broker's permissions (src/node/nats-permissions.ts).
    clusterPaxosFromAny: (cluster: ClusterId) => `${prefix}.c${cluster}.paxos.*`,
    nodePaxosFromAny: (node: NodeId) => `${prefix}.n${node}.paxos.*`,
    clusterTwoPcFromAny: (cluster: ClusterId) => `${prefix}.c${cluster}.2pc.*`,
    anyNodeRequests: `${prefix}.*.req`,
    anyNodeAdmin: `${prefix}.*.admin`,
  };
}

export type Subjects = ReturnType<typeof subjects>;

/** The sender a protocol subject names in its last token (`n4` -> 4 for 'n'), if it names one. */
export function senderOfSubject(subject: string, kind: 'n' | 'c'): number | undefined {
  const last = subject.slice(subject.lastIndexOf('.') + 1);
  if (last[0] !== kind || !/^[1-9][0-9]{0,5}$/.test(last.slice(1))) return undefined;
  return Number(last.slice(1));
}

/** The NATS client's own inbox prefix (request/reply) for `user`, below which only it may
 *  subscribe: `_INBOX.<user>` (the client adds `.<random>`). */
export function requestInboxPrefix(user: string): string {
  return `_INBOX.${user}`;
}
