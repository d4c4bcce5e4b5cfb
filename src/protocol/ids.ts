/** Node ids are global (n1..n9 in the default topology); cluster ids start at 1. */
export type NodeId = number;
export type ClusterId = number;
export type AccountId = number;
/** A Paxos log position; the first slot is 1, slot 0 means "nothing yet". */
export type Slot = number;
/** Identifies a client session for exactly-once execution (docs/transfers.md, "Sessions: exactly once"). */
export type ClientId = string;

/**
 * A node id as people write it: `4`, `n4` or `N4` (and `s4`, the "server" of the two-column
 * test files). Undefined when the text is not one. The one node-id parser: the CLI's arguments
 * and flags, `--live` lists and the node's own `--id` all use it.
 */
export function parseNodeId(text: string): NodeId | undefined {
  const match = /^[ns]?(\d+)$/i.exec(text.trim());
  if (match === null) return undefined;
  const node = Number(match[1]);
  return Number.isSafeInteger(node) && node >= 1 ? node : undefined;
}
