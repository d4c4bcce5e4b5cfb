import type { ClientId, ClusterId } from '../protocol/ids.js';
import type { Command, Operation } from '../protocol/commands.js';

/** A transaction's id as a map key: a cross-shard transfer's id is the client's (client id,
 *  sequence), so a retry never starts a second transaction. */
export function txnKey(clientId: ClientId, seq: number): string {
  return `${clientId}#${seq}`;
}

/** The operations that are steps of Two-Phase Commit (src/twopc applies them all). */
export type TwoPcStepOp = Extract<
  Operation,
  { kind: 'x-prepare-coordinator' | 'x-prepare-participant' | 'x-decide' | 'x-end' }
>;

export function isTwoPcStep(op: Operation): op is TwoPcStepOp {
  return (
    op.kind === 'x-prepare-coordinator' ||
    op.kind === 'x-prepare-participant' ||
    op.kind === 'x-decide' ||
    op.kind === 'x-end'
  );
}

/**
 * Whether `op` starts a new cross-shard transaction (its coordinator's PREPARE): what an audit's
 * hold keeps waiting at the leader (ShardServer.holdCrossShard), while the steps of transactions
 * already started run to their end, so that a moment comes with no money between shards.
 */
export function startsTransaction(op: Operation): boolean {
  // A move too: money leaves the shard with it, and comes back into the count only once its
  // destination has it (docs/resharding.md).
  return op.kind === 'x-prepare-coordinator' || op.kind === 'move-out';
}

/** Identifies one 2PC step of one transaction, so the leader proposes it once. */
export function stepKey(command: Command): string {
  const role = command.op.kind === 'x-decide' ? `/${command.op.role}` : '';
  return `${command.op.kind}${role}/${txnKey(command.clientId, command.seq)}`;
}

/**
 * A client's transfer to an account of another cluster, as its first step: this cluster (the
 * sender's) coordinates, the receiver's participates. The transaction id is the client's
 * (client id, sequence), so a retry never starts a second transaction.
 */
export function coordinatorPrepare(
  command: Command,
  transfer: Extract<Operation, { kind: 'transfer' }>,
  participant: ClusterId,
): Command {
  return {
    ...command,
    op: { kind: 'x-prepare-coordinator', from: transfer.from, to: transfer.to, amount: transfer.amount, participant },
  };
}
