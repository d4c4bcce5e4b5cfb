import { limits } from '../core/limits.js';
import type { ReshardOperation } from '../protocol/commands.js';
import type { AccountId } from '../protocol/ids.js';
import type { MoveMessage, OutboundMove } from '../protocol/moves.js';
import type { MapEntry } from '../protocol/shard-map.js';
import { decodeSession } from './session-codec.js';
import { arr, fail, int, obj, oneOf } from './validate.js';

/**
 * Resharding's types off the wire and off the disk (src/protocol/shard-map.ts, moves.ts): shard
 * map entries, the move-out and map-merge commands, the records of moves, the messages between
 * the leaders of two clusters about them, and the transfer history. Every list has a bound, and
 * the ones that mean nothing empty (a move of no account, a merge of no entry) have a floor.
 */

/** A session encodes to at least 32 bytes (CBOR or JSON): the names of its four fields alone
 *  take 26. A move carries at most limits.movedSessionsBytesMax bytes of sessions, so more than
 *  this many sessions is a forged or damaged record, refused before its sessions are walked. */
const sessionBytesMin = 32;
export const movedSessionsMax = Math.floor(limits.movedSessionsBytesMax / sessionBytesMin);

/** A whole map (a snapshot's share, the `shard-map` admin reply) holds one entry per account
 *  that ever moved: the bytes of a message bound it far below this, which only stops absurd
 *  counts before they are walked (like the snapshot's other items). */
export const mapImageEntriesMax = 100_000;

export function decodeMapEntry(value: unknown, path: string): MapEntry {
  const o = obj(value, path);
  return {
    account: int(o.account, `${path}.account`, 1),
    cluster: int(o.cluster, `${path}.cluster`, 1),
    epoch: int(o.epoch, `${path}.epoch`, 1),
  };
}

/** A list of `min..max` items. */
function between<T>(value: unknown, path: string, min: number, max: number, item: (v: unknown, p: string) => T): T[] {
  if (Array.isArray(value) && value.length < min) fail(path, `a list of ${min}..${max}`);
  return arr(value, path, max, item);
}

/** Accounts named once each: a move of the same account twice would count its money twice. */
function distinct(accounts: readonly AccountId[], path: string): void {
  if (new Set(accounts).size !== accounts.length) fail(path, 'distinct accounts');
}

/** Entries a map-merge command or a `map` message carries (1..limits.mapEntriesPerMergeMax). */
function decodeMergeEntries(value: unknown, path: string): MapEntry[] {
  return between(value, path, 1, limits.mapEntriesPerMergeMax, decodeMapEntry);
}

/** The entries of a whole map (snapshot piece, admin reply): possibly none. */
export function decodeMapImageEntries(value: unknown, path: string): MapEntry[] {
  return arr(value, path, mapImageEntriesMax, decodeMapEntry);
}

/** move-out or map-merge, as a client sends it or the log holds it. */
export function decodeReshardOperation(
  o: Record<string, unknown>,
  kind: ReshardOperation['kind'],
  path: string,
): ReshardOperation {
  if (kind === 'map-merge') return { kind, entries: decodeMergeEntries(o.entries, `${path}.entries`) };
  const accounts = between(o.accounts, `${path}.accounts`, 1, limits.accountsPerMoveMax, (v, p) => int(v, p, 1));
  distinct(accounts, `${path}.accounts`);
  return { kind, accounts, to: int(o.to, `${path}.to`, 1), epoch: int(o.epoch, `${path}.epoch`, 1) };
}

/** [a, b] of two integers each checked by `check`. */
function pairOf(value: unknown, path: string, check: (v: unknown, p: string) => number): [number, number] {
  const pair = arr(value, path, 2, check);
  if (pair.length !== 2) fail(path, 'a pair');
  return [pair[0] as number, pair[1] as number];
}

/** The record of a move: the money in transit, so every balance is checked, none negative. */
export function decodeOutboundMove(value: unknown, path: string): OutboundMove {
  const o = obj(value, path);
  const balances = between(o.balances, `${path}.balances`, 1, limits.accountsPerMoveMax, (v, p) => {
    const [account, balance] = pairOf(v, p, int);
    if (account < 1) fail(`${p}[0]`, 'an account >= 1');
    return [account, balance] as [AccountId, number];
  });
  distinct(
    balances.map(([account]) => account),
    `${path}.balances`,
  );
  return {
    epoch: int(o.epoch, `${path}.epoch`, 1),
    from: int(o.from, `${path}.from`, 1),
    to: int(o.to, `${path}.to`, 1),
    balances,
    sessions: arr(o.sessions, `${path}.sessions`, movedSessionsMax, decodeSession),
  };
}

export function decodeMoveMessage(value: unknown, path: string): MoveMessage {
  const o = obj(value, path);
  const type = oneOf(o.type, `${path}.type`, ['move', 'move-ack', 'map'] as const);
  switch (type) {
    case 'move':
      return { type, move: decodeOutboundMove(o.move, `${path}.move`) };
    case 'move-ack':
      return { type, from: int(o.from, `${path}.from`, 1), epoch: int(o.epoch, `${path}.epoch`, 1) };
    case 'map':
      return { type, from: int(o.from, `${path}.from`, 1), entries: decodeMergeEntries(o.entries, `${path}.entries`) };
  }
}

/** Transfer history pairs [from, to] (at most limits.historyCapacityMax of them). */
export function decodeHistoryPairs(value: unknown, path: string): Array<[AccountId, AccountId]> {
  return arr(value, path, limits.historyCapacityMax, (v, p) => pairOf(v, p, (x, q) => int(x, q, 1)));
}
