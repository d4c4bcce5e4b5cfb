import { performance } from 'node:perf_hooks';
import type { NodeId } from '../protocol/ids.js';
import type { FaultOp } from '../protocol/admin.js';
import { allNodes, type Topology } from '../ledger/topology.js';

/** What the wait asks of a client (a LedgerClient; a test stands in with a script). */
export interface SettleClient {
  nodeStatus(node: NodeId, timeoutMs: number): Promise<{ failed: boolean }>;
  stateHashes(node: NodeId): Promise<{ inFlight: number }>;
}

export interface FaultClient extends SettleClient {
  injectFault(node: NodeId, op: FaultOp): Promise<unknown>;
}

/** How long the wait lasts at most, and the clock it reads (a test passes a virtual one). */
export interface SettleLimits {
  msMax: number;
  now(): number;
  sleep(ms: number): Promise<void>;
}

/** How long a failure waits at most for the cross-shard transactions already answered. */
const decisionsSettledMsMax = 2_000;
/** Between two rounds of asking every live node. */
const settlePollMs = 20;

const realLimits: SettleLimits = {
  msMax: decisionsSettledMsMax,
  now: () => performance.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

/**
 * An F or R command of a test file. Before a failure is injected, the cross-shard transactions
 * already answered finish on both sides (at most decisionsSettledMsMax): a client is told
 * committed once both PREPAREs are chosen, before the decision is (parallel commit,
 * docs/transfers.md), and a failure that took the coordinator's majority in between would leave
 * the receiver locked until it is back, which a file's next line would meet. A file's lines run
 * one after the other, each on what the last one left; this keeps "what it left" whole. A
 * recovery waits for nothing: it takes no majority away.
 */
export async function injectFaultSettled(
  client: FaultClient,
  topology: Topology,
  node: NodeId,
  op: FaultOp,
  limits: SettleLimits = realLimits,
): Promise<void> {
  if (op === 'fail') await decisionsSettled(client, topology, limits);
  await client.injectFault(node, op);
}

/** Until no live node reports a cross-shard transaction in flight, or msMax has passed. Failed
 *  nodes (and nodes that do not answer their status), which finish nothing, are left out. */
async function decisionsSettled(client: SettleClient, topology: Topology, limits: SettleLimits): Promise<void> {
  const deadline = limits.now() + limits.msMax;
  const serving = await Promise.all(
    allNodes(topology).map((node) =>
      client.nodeStatus(node, 500).then(
        (status) => (status.failed ? undefined : node),
        () => undefined,
      ),
    ),
  );
  const nodes = serving.filter((node): node is NodeId => node !== undefined);
  while (limits.now() < deadline) {
    const inFlight = await Promise.all(
      nodes.map((node) =>
        client.stateHashes(node).then(
          (h) => h.inFlight,
          () => 0,
        ),
      ),
    );
    if (inFlight.every((n) => n === 0)) return;
    await limits.sleep(settlePollMs);
  }
}
