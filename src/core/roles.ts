/**
 * The roles of a Paxos replica (src/paxos/replica.ts), in the order the CLI and the metrics list
 * them. The one list every other role list (status replies, metrics snapshots) derives from.
 */
export const replicaRoles = ['leader', 'follower', 'precandidate', 'candidate'] as const;
export type ReplicaRole = (typeof replicaRoles)[number];
