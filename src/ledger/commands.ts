import type { AccountId, ClientId } from '../core/ids.js';

/** What a client asks a shard to do. */
export type Operation =
  | { kind: 'transfer'; from: AccountId; to: AccountId; amount: number }
  | { kind: 'balance'; account: AccountId };

/**
 * A client command as it is replicated: (clientId, seq) identifies it, so a retry after a leader
 * change is recognised and answered with the first result instead of running twice.
 */
export interface Command {
  clientId: ClientId;
  seq: number;
  op: Operation;
}

/** The result of applying a command, decided deterministically on every replica. */
export type Outcome =
  | { status: 'committed' }
  | { status: 'insufficient-funds'; balance: number }
  | { status: 'ok'; balance: number }
  | { status: 'rejected'; reason: string };

export function commandKey(clientId: ClientId, seq: number): string {
  return `${clientId}#${seq}`;
}

export function accountsOf(op: Operation): AccountId[] {
  return op.kind === 'transfer' ? [op.from, op.to] : [op.account];
}
