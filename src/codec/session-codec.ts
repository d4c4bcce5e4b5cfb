import { limits } from '../core/limits.js';
import type { Outcome, Session } from '../protocol/commands.js';
import type { AccountId } from '../protocol/ids.js';
import { arr, int, obj, oneOf, optional, str } from './validate.js';

/**
 * Outcomes and client sessions, wherever they travel or rest: in snapshot pieces, in the
 * records of moves (src/codec/resharding-codec.ts) and in the store's session rows.
 */

/** Accounts a session may name. A command touches one or two accounts today; 64 leaves room
 *  for a command that touches more, and still stops an absurd list before it is walked. */
export const sessionAccountsMax = 64;

export function decodeOutcome(value: unknown, path: string): Outcome {
  const o = obj(value, path);
  const status = oneOf(o.status, `${path}.status`, [
    'committed',
    'insufficient-funds',
    'ok',
    'aborted',
    'rejected',
  ] as const);
  switch (status) {
    case 'committed':
      return { status };
    case 'insufficient-funds':
    case 'ok':
      return { status, balance: int(o.balance, `${path}.balance`) };
    case 'aborted':
    case 'rejected':
      return { status, reason: str(o.reason, `${path}.reason`, 1024) };
  }
}

/** The accounts a session's command touched (Session.accounts): positive account ids. */
export function decodeSessionAccounts(value: unknown, path: string): AccountId[] {
  return arr(value, path, sessionAccountsMax, (v, p) => int(v, p, 1));
}

/** A session; `accounts` is absent in sessions written before resharding, and stays absent. */
export function decodeSession(value: unknown, path: string): Session {
  const o = obj(value, path);
  const accounts = optional(o.accounts, `${path}.accounts`, decodeSessionAccounts);
  return {
    clientId: str(o.clientId, `${path}.clientId`, limits.clientIdLengthMax),
    seq: int(o.seq, `${path}.seq`, 1),
    outcome: decodeOutcome(o.outcome, `${path}.outcome`),
    slot: int(o.slot, `${path}.slot`),
    ...(accounts === undefined ? {} : { accounts }),
  };
}
