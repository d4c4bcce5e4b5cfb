import { LedgerError } from '../core/errors.js';
import type { ClusterId, NodeId } from '../protocol/ids.js';
import { accountRange, clusterOfNode, nodeCount, type Topology } from '../ledger/topology.js';
import type { BackupContents } from '../storage/backup-file.js';

/**
 * Whether a backup file may become a node's file in this deployment. A replica's state is its
 * cluster's: a backup of any node of the same cluster will do (the restored node catches up from
 * its peers), but a backup of another cluster, another topology or a plain node file is refused,
 * because the node would serve the wrong accounts or money. Pure, so the rules are unit-tested.
 */
export function checkBackupFits(
  file: string,
  contents: BackupContents,
  topology: Topology,
  cluster: ClusterId,
): LedgerError | undefined {
  const { identity } = contents;
  if (identity === undefined)
    return new LedgerError('bad-input', `${file} is a node's database, not a backup: it carries no backup identity`, {
      hint: 'take backups with `ledger node backup` (a copy of a live file may be torn)',
    });
  if (!sameTopology(identity.topology, topology))
    return new LedgerError(
      'bad-input',
      `${file} is a backup of another deployment (topology ${describe(identity.topology)}, this data dir has ${describe(topology)})`,
      { hint: 'restore it into a data dir of the same topology' },
    );
  if (identity.cluster !== cluster)
    return new LedgerError(
      'bad-input',
      `${file} is a backup of cluster ${identity.cluster} (node ${identity.node}), not of cluster ${cluster}`,
      { hint: `restore it onto a node of cluster ${identity.cluster}, or pick a backup of cluster ${cluster}` },
    );
  const range = accountRange(topology, cluster);
  if (
    contents.firstAccount !== range.first ||
    contents.lastAccount !== range.last ||
    contents.initialBalance !== topology.initialBalance
  )
    return new LedgerError(
      'bad-input',
      `${file} holds accounts ${contents.firstAccount}..${contents.lastAccount} at ${contents.initialBalance}, cluster ${cluster} is ${range.first}..${range.last} at ${topology.initialBalance}`,
      { hint: 'the file does not match what its identity says: take the backup again' },
    );
  return undefined;
}

/** The node, checked against the topology (a clear error, not an assertion: it is user input). */
export function checkNodeExists(topology: Topology, node: NodeId): ClusterId {
  if (!Number.isSafeInteger(node) || node < 1 || node > nodeCount(topology))
    throw new LedgerError('bad-input', `node ${node} does not exist`, { hint: `nodes are 1..${nodeCount(topology)}` });
  return clusterOfNode(topology, node);
}

export function sameTopology(a: Topology, b: Topology): boolean {
  return (
    a.clusters === b.clusters &&
    a.nodesPerCluster === b.nodesPerCluster &&
    a.accounts === b.accounts &&
    a.initialBalance === b.initialBalance
  );
}

function describe(t: Topology): string {
  return `${t.clusters}x${t.nodesPerCluster}, ${t.accounts} accounts at ${t.initialBalance}`;
}
