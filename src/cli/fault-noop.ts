import type { NodeStatus } from '../protocol/admin.js';

export type FaultOp = 'fail' | 'recover' | 'isolate' | 'heal';

/**
 * What to say when a fault command would change nothing (`fail` on a failed node, `recover` on
 * a live one, `isolate` twice, `heal` on a connected node), or undefined when it has work to do.
 * Asking again for the state a node is already in is not an error: the command says so, exit 0.
 */
export function faultNoop(op: FaultOp, before: Pick<NodeStatus, 'node' | 'failed' | 'isolated'>): string | undefined {
  const n = `n${before.node}`;
  switch (op) {
    case 'fail':
      return before.failed
        ? `${n} is already failed: nothing to do (undo with \`ledger node recover ${before.node}\`)`
        : undefined;
    case 'recover':
      return before.failed ? undefined : `${n} is not failed: nothing to recover`;
    case 'isolate':
      return before.isolated
        ? `${n} is already isolated: nothing to do (undo with \`ledger node heal ${before.node}\`)`
        : undefined;
    case 'heal':
      return before.isolated ? undefined : `${n} is not isolated: nothing to heal`;
  }
}
