import type { ClientId, ClusterId } from '../protocol/ids.js';
import type { Command, Operation } from '../protocol/commands.js';

/** A transaction's id as a map key: a cross-shard transfer's id is the client's (client id,
 *  sequence), so a retry never starts a second transaction. */
export function txnKey(clientId: ClientId, seq: number): string {
  return `${clientId}#${seq}`;
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
export function coordinatorPrepare(command: Command, transfer: Extract<Operation, { kind: 'transfer' }>, participant: ClusterId): Command {
  return { ...command, op: { kind: 'x-prepare-coordinator', from: transfer.from, to: transfer.to, amount: transfer.amount, participant } };
}
