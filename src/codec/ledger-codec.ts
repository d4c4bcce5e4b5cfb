import { limits } from '../core/limits.js';
import type { Command, Operation, Outcome } from '../ledger/commands.js';
import type { Batch, Response, ShardMessage, SnapshotChunk } from '../ledger/shard-server.js';
import type { Session } from '../ledger/state.js';
import type { Ballot } from '../paxos/ballot.js';
import type { LogEntry, PaxosMessage, SlotValue } from '../paxos/messages.js';
import { arr, bool, fail, int, obj, oneOf, optional, str } from './validate.js';

/** Checks for the ledger's own types, shared by every envelope that carries them. */

export function decodeOperation(value: unknown, path: string): Operation {
  const o = obj(value, path);
  const kind = oneOf(o.kind, `${path}.kind`, ['transfer', 'balance'] as const);
  if (kind === 'balance') return { kind, account: int(o.account, `${path}.account`, 1) };
  return { kind, from: int(o.from, `${path}.from`, 1), to: int(o.to, `${path}.to`, 1), amount: int(o.amount, `${path}.amount`, 1) };
}

export function decodeCommand(value: unknown, path: string): Command {
  const o = obj(value, path);
  return { clientId: str(o.clientId, `${path}.clientId`, 128), seq: int(o.seq, `${path}.seq`, 1), op: decodeOperation(o.op, `${path}.op`) };
}

export function decodeBatch(value: unknown, path: string): Batch | null {
  if (value === null || value === undefined) return null;
  return arr(value, path, limits.commandsPerSlotMax, decodeCommand);
}

export function decodeOutcome(value: unknown, path: string): Outcome {
  const o = obj(value, path);
  const status = oneOf(o.status, `${path}.status`, ['committed', 'insufficient-funds', 'ok', 'rejected'] as const);
  switch (status) {
    case 'committed':
      return { status };
    case 'insufficient-funds':
    case 'ok':
      return { status, balance: int(o.balance, `${path}.balance`) };
    case 'rejected':
      return { status, reason: str(o.reason, `${path}.reason`, 1024) };
  }
}

export function decodeResponse(value: unknown, path: string): Response {
  const o = obj(value, path);
  const kind = oneOf(o.kind, `${path}.kind`, ['outcome', 'redirect', 'busy'] as const);
  switch (kind) {
    case 'outcome':
      return { kind, outcome: decodeOutcome(o.outcome, `${path}.outcome`), servedBy: int(o.servedBy, `${path}.servedBy`, 1), slot: optional(o.slot, `${path}.slot`, int) };
    case 'redirect':
      return { kind, leaderHint: optional(o.leaderHint, `${path}.leaderHint`, (v, p) => int(v, p, 1)) };
    case 'busy':
      return { kind };
  }
}

function decodeBallot(value: unknown, path: string): Ballot {
  const o = obj(value, path);
  return { round: int(o.round, `${path}.round`), node: int(o.node, `${path}.node`) };
}

function decodeSlotValue(value: unknown, path: string): SlotValue<Batch> {
  const o = obj(value, path);
  return { slot: int(o.slot, `${path}.slot`, 1), value: decodeBatch(o.value, `${path}.value`) };
}

function decodeLogEntry(value: unknown, path: string): LogEntry<Batch> {
  const o = obj(value, path);
  return {
    slot: int(o.slot, `${path}.slot`, 1),
    ballot: decodeBallot(o.ballot, `${path}.ballot`),
    value: decodeBatch(o.value, `${path}.value`),
    chosen: bool(o.chosen, `${path}.chosen`),
  };
}

/** Promises carry the acceptor's whole undecided tail; bounded by the pipeline in practice. */
const promiseEntriesMax = 100_000;
const slotsPerAcceptedMax = 10_000;

export function decodePaxosMessage(value: unknown, path: string): PaxosMessage<Batch> {
  const o = obj(value, path);
  const type = oneOf(o.type, `${path}.type`, ['prevote', 'prevote-reply', 'prepare', 'promise', 'accept', 'accepted', 'nack', 'catchup-request', 'catchup-reply'] as const);
  const from = int(o.from, `${path}.from`, 1);
  switch (type) {
    case 'prevote':
      return { type, from, attempt: int(o.attempt, `${path}.attempt`), commitIndex: int(o.commitIndex, `${path}.commitIndex`) };
    case 'prevote-reply':
      return { type, from, attempt: int(o.attempt, `${path}.attempt`), granted: bool(o.granted, `${path}.granted`) };
    case 'prepare':
      return { type, from, ballot: decodeBallot(o.ballot, `${path}.ballot`) };
    case 'promise':
      return {
        type,
        from,
        ballot: decodeBallot(o.ballot, `${path}.ballot`),
        commitIndex: int(o.commitIndex, `${path}.commitIndex`),
        entries: arr(o.entries, `${path}.entries`, promiseEntriesMax, decodeLogEntry),
      };
    case 'accept':
      return {
        type,
        from,
        ballot: decodeBallot(o.ballot, `${path}.ballot`),
        commitIndex: int(o.commitIndex, `${path}.commitIndex`),
        entries: arr(o.entries, `${path}.entries`, limits.entriesPerMessageMax * 64, decodeSlotValue),
      };
    case 'accepted':
      return {
        type,
        from,
        ballot: decodeBallot(o.ballot, `${path}.ballot`),
        slots: arr(o.slots, `${path}.slots`, slotsPerAcceptedMax, (v, p) => int(v, p, 1)),
        commitIndex: int(o.commitIndex, `${path}.commitIndex`),
      };
    case 'nack':
      return { type, from, ballot: decodeBallot(o.ballot, `${path}.ballot`), promised: decodeBallot(o.promised, `${path}.promised`) };
    case 'catchup-request':
      return { type, from, fromSlot: int(o.fromSlot, `${path}.fromSlot`, 1) };
    case 'catchup-reply':
      return {
        type,
        from,
        commitIndex: int(o.commitIndex, `${path}.commitIndex`),
        entries: arr(o.entries, `${path}.entries`, limits.entriesPerMessageMax * 64, decodeSlotValue),
      };
  }
  return fail(path, 'a known message type');
}

function decodeSession(value: unknown, path: string): Session {
  const o = obj(value, path);
  return { clientId: str(o.clientId, `${path}.clientId`, 128), seq: int(o.seq, `${path}.seq`, 1), outcome: decodeOutcome(o.outcome, `${path}.outcome`), slot: int(o.slot, `${path}.slot`) };
}

const snapshotItemsMax = 100_000;

function decodeSnapshotChunk(o: Record<string, unknown>, path: string): SnapshotChunk {
  const chunks = int(o.chunks, `${path}.chunks`, 1);
  const chunk = int(o.chunk, `${path}.chunk`);
  if (chunk >= chunks) fail(`${path}.chunk`, `less than chunks (${chunks})`);
  return {
    type: 'snapshot',
    from: int(o.from, `${path}.from`, 1),
    appliedIndex: int(o.appliedIndex, `${path}.appliedIndex`, 1),
    chunk,
    chunks,
    balances: arr(o.balances, `${path}.balances`, snapshotItemsMax, (v, p) => {
      const pair = arr(v, p, 2, int);
      if (pair.length !== 2) fail(p, 'an [account, balance] pair');
      return [pair[0] as number, pair[1] as number] as [number, number];
    }),
    sessions: arr(o.sessions, `${path}.sessions`, snapshotItemsMax, decodeSession),
  };
}

/** A message between members of a cluster: a Paxos message or a snapshot piece. */
export function decodeShardMessage(value: unknown, path: string): ShardMessage {
  const o = obj(value, path);
  if (o.type === 'snapshot') return decodeSnapshotChunk(o, path);
  return decodePaxosMessage(o, path);
}
