import type { NodeStatus } from '../protocol/admin.js';
import type { LedgerClient } from '../client/ledger-client.js';
import { badInput, LedgerError } from '../core/errors.js';
import type { NodeId } from '../protocol/ids.js';
import { allNodes, clusterOfNode, nodesOfCluster, type Topology } from '../ledger/topology.js';
import { waitFor } from './processes.js';

/**
 * Leadership transfer (`ledger node lead N`, a test file's contact server): asks `node` to
 * stand (see Replica.campaign) and waits until it leads with a majority of its cluster
 * following it; a node just recovered may still think it leads a ballot the others have left,
 * so its own word is not enough. It asks once a second, not at every poll: each ask starts a
 * campaign in a higher ballot, which would never finish. Fails at once when the node does not
 * run or is failed; throws a timeout error when its cluster has no majority.
 */
export async function moveLead(
  client: LedgerClient,
  topology: Topology,
  node: NodeId,
  timeoutMs: number,
): Promise<NodeStatus[]> {
  if (!allNodes(topology).includes(node))
    throw badInput(`node ${node} does not exist`, `nodes are 1..${allNodes(topology).length}`);
  const cluster = clusterOfNode(topology, node);
  const members = nodesOfCluster(topology, cluster);
  let askedAtMs = 0;
  return waitFor(
    `n${node} to lead cluster ${cluster}`,
    timeoutMs,
    async () => {
      const all = (await client.status(1_000)).filter((s) => s.cluster === cluster);
      const own = all.find((s) => s.node === node);
      // Nothing to wait for: a node that does not run, or says it is failed, cannot lead.
      if (own?.role === 'down')
        throw new LedgerError('unavailable', `n${node} does not answer (killed or not started)`, {
          hint: `start it with \`ledger node restart ${node}\``,
        });
      if (own?.failed === true)
        throw new LedgerError('unavailable', `n${node} is failed: it cannot lead`, {
          hint: `recover it first with \`ledger node recover ${node}\``,
        });
      const statuses = all.filter((s): s is NodeStatus => s.role !== 'down');
      const following = statuses.filter((s) => !s.failed && s.leader === node).length;
      const leads = statuses.some((s) => s.node === node && s.role === 'leader');
      if (leads && following * 2 > members.length) return statuses;
      if (Date.now() - askedAtMs >= 1_000) {
        askedAtMs = Date.now();
        await client.lead(node);
      }
      return undefined;
    },
    50,
  );
}
