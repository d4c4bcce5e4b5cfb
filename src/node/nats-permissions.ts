import type { NodeId } from '../protocol/ids.js';
import { allNodes, clusterOfNode, nodesOfCluster, type Topology } from '../ledger/topology.js';
import { requestInboxPrefix, subjects } from '../transport/subjects.js';

/** Who logs in to the broker: a node, a client (requests only), or the admin (requests and the
 *  admin RPC, `ledger node fail`, `cluster flush`..., and the metrics on `ledger.events`). A
 *  client is the shared `client` user, or a named one (`cluster start --client-user NAME`),
 *  which reads only its own inboxes: no other client can read its answers. */
export type NatsRole = { kind: 'node'; node: NodeId } | { kind: 'client'; name?: string } | { kind: 'admin' };

/** The NATS user of a role: `n<N>`, `client`, `client-<name>` or `admin`. */
export function natsUserOf(role: NatsRole): string {
  if (role.kind === 'node') return `n${role.node}`;
  if (role.kind === 'client' && role.name !== undefined) return `client-${role.name}`;
  return role.kind;
}

/** A named client user's name: lower-case letters, digits and dashes (it is part of subjects). */
export const clientUserNamePattern = /^[a-z0-9][a-z0-9-]{0,31}$/;

/** Every role of a topology, one user each: the nodes, the shared client, the named clients and
 *  the admin. */
export function rolesOf(topology: Topology, clientUsers: readonly string[] = []): NatsRole[] {
  return [
    ...allNodes(topology).map((node): NatsRole => ({ kind: 'node', node })),
    { kind: 'client' },
    ...clientUsers.map((name): NatsRole => ({ kind: 'client', name })),
    { kind: 'admin' },
  ];
}

/** What the broker lets a user publish and subscribe to: allow lists, everything else denied. */
export interface NatsPermissions {
  publish: string[];
  subscribe: string[];
}

/**
 * The subjects each role may use (docs/security.md), enforced by nats-server. A node publishes
 * only subjects that end in its own identity: its cluster's broadcast and its peers' subjects as
 * `n<self>`, the other clusters' 2PC subjects as `c<own cluster>`; so the sender a subject
 * names is one the broker checked. It also forwards requests to its cluster's members, answers
 * any inbox (replies go where the request said), and publishes its metrics. A client publishes
 * requests only and reads only its own inboxes; the admin adds the admin RPC and the metrics.
 */
export function permissionsOf(role: NatsRole, prefix: string, topology: Topology): NatsPermissions {
  const s = subjects(prefix);
  const user = natsUserOf(role);
  const ownInboxes = [`${s.userInbox(user)}.>`, `${requestInboxPrefix(user)}.>`];
  if (role.kind === 'client') return { publish: [s.anyNodeRequests], subscribe: ownInboxes };
  if (role.kind === 'admin')
    return {
      publish: [s.anyNodeRequests, s.anyNodeAdmin],
      subscribe: [...ownInboxes, s.events],
    };
  const self = role.node;
  const cluster = clusterOfNode(topology, self);
  const members = nodesOfCluster(topology, cluster);
  const peers = members.filter((n) => n !== self);
  const otherClusters = Array.from({ length: topology.clusters }, (_, i) => i + 1).filter((c) => c !== cluster);
  return {
    publish: [
      s.clusterPaxos(cluster, self),
      ...peers.map((peer) => s.nodePaxos(peer, self)),
      ...otherClusters.map((other) => s.clusterTwoPc(other, cluster)),
      ...members.map((member) => s.nodeRequests(member)),
      // Replies: to whatever inbox a request named (clients', the admin's, a forwarded one's).
      `${s.userInbox('*')}.>`,
      `${requestInboxPrefix('*')}.>`,
      s.events,
    ],
    subscribe: [
      s.clusterPaxosFromAny(cluster),
      s.nodePaxosFromAny(self),
      s.nodeRequests(self),
      s.nodeAdmin(self),
      s.clusterTwoPcFromAny(cluster),
    ],
  };
}
