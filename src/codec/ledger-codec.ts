import { limits } from '../core/limits.js';
import { consistencies, type ClientOperation, type Command, type Operation, type Batch } from '../protocol/commands.js';
import type { CoordinatorRecord, ParticipantRecord, TwoPcMessage, TxnId } from '../protocol/twopc.js';
import type { Response, ShardMessage, SnapshotChunk, SnapshotPiece } from '../protocol/client.js';
import type { Ballot, LogEntry, PaxosMessage, SlotValue } from '../protocol/paxos.js';
import { arr, bool, fail, int, obj, oneOf, optional, str } from './validate.js';
import { decodeOutcome, decodeSession } from './session-codec.js';
import {
  decodeHistoryPairs,
  decodeMapEntry,
  decodeMapImageEntries,
  decodeOutboundMove,
  decodeReshardOperation,
} from './resharding-codec.js';

/** Checks for the ledger's own types, shared by every envelope that carries them. */

/** What a client may send: a transfer, a read, or a resharding command (the reshard driver);
 *  2PC steps and the other halves of moves come from leaders. */
function decodeClientOperation(value: unknown, path: string): ClientOperation {
  const o = obj(value, path);
  const kind = oneOf(o.kind, `${path}.kind`, ['transfer', 'balance', 'move-out', 'map-merge'] as const);
  if (kind === 'move-out' || kind === 'map-merge') return decodeReshardOperation(o, kind, path);
  if (kind === 'balance') {
    const consistency = optional(o.consistency, `${path}.consistency`, (v, p) => oneOf(v, p, consistencies));
    return consistency === undefined
      ? { kind, account: int(o.account, `${path}.account`, 1) }
      : { kind, account: int(o.account, `${path}.account`, 1), consistency };
  }
  return {
    kind,
    from: int(o.from, `${path}.from`, 1),
    to: int(o.to, `${path}.to`, 1),
    amount: int(o.amount, `${path}.amount`, 1),
  };
}

/** An operation as the log holds it (written by leaders). */
function decodeLogOperation(value: unknown, path: string): Operation {
  const o = obj(value, path);
  const kind = oneOf(o.kind, `${path}.kind`, [
    'transfer',
    'balance',
    'x-prepare-coordinator',
    'x-prepare-participant',
    'x-decide',
    'x-end',
    'move-out',
    'map-merge',
    'move-in',
    'move-done',
  ] as const);
  const abort = optional(o.abort, `${path}.abort`, (v, p) => str(v, p, limits.reasonLengthMax));
  const withAbort = <T extends object>(x: T) => (abort === undefined ? x : { ...x, abort });
  switch (kind) {
    case 'transfer':
      return withAbort({
        kind,
        from: int(o.from, `${path}.from`, 1),
        to: int(o.to, `${path}.to`, 1),
        amount: int(o.amount, `${path}.amount`, 1),
      });
    case 'balance':
      return { kind, account: int(o.account, `${path}.account`, 1) };
    case 'x-prepare-coordinator':
      return withAbort({
        kind,
        from: int(o.from, `${path}.from`, 1),
        to: int(o.to, `${path}.to`, 1),
        amount: int(o.amount, `${path}.amount`, 1),
        participant: int(o.participant, `${path}.participant`, 1),
      });
    case 'x-prepare-participant': {
      const from = optional(o.from, `${path}.from`, (v, p) => int(v, p, 1));
      const fromEpoch = optional(o.fromEpoch, `${path}.fromEpoch`, (v, p) => int(v, p));
      return withAbort({
        kind,
        to: int(o.to, `${path}.to`, 1),
        amount: int(o.amount, `${path}.amount`, 1),
        coordinator: int(o.coordinator, `${path}.coordinator`, 1),
        ...(from === undefined ? {} : { from }),
        ...(fromEpoch === undefined ? {} : { fromEpoch }),
      });
    }
    case 'x-decide': {
      const reason = optional(o.reason, `${path}.reason`, (v, p) => str(v, p, limits.reasonLengthMax));
      const peer = optional(o.peer, `${path}.peer`, (v, p) => int(v, p, 1));
      const prepareSlot = optional(o.prepareSlot, `${path}.prepareSlot`, (v, p) => int(v, p, 1));
      const from = optional(o.from, `${path}.from`, (v, p) => int(v, p, 1));
      const fromEpoch = optional(o.fromEpoch, `${path}.fromEpoch`, (v, p) => int(v, p));
      const presumed = optional(o.presumed, `${path}.presumed`, (v, p) => bool(v, p) || fail(p, 'true'));
      return {
        kind,
        role: oneOf(o.role, `${path}.role`, ['coordinator', 'participant'] as const),
        decision: oneOf(o.decision, `${path}.decision`, ['commit', 'abort'] as const),
        ...(reason === undefined ? {} : { reason }),
        ...(peer === undefined ? {} : { peer }),
        ...(prepareSlot === undefined ? {} : { prepareSlot }),
        ...(presumed === undefined ? {} : { presumed }),
        ...(from === undefined ? {} : { from }),
        ...(fromEpoch === undefined ? {} : { fromEpoch }),
      };
    }
    case 'x-end':
      return { kind };
    case 'move-out':
    case 'map-merge':
      return decodeReshardOperation(o, kind, path);
    case 'move-in':
      return { kind, move: decodeOutboundMove(o.move, `${path}.move`) };
    case 'move-done':
      return { kind, epoch: int(o.epoch, `${path}.epoch`, 1) };
  }
}

function decodeCommandWith(value: unknown, path: string, op: (v: unknown, p: string) => Operation): Command {
  const o = obj(value, path);
  return {
    clientId: str(o.clientId, `${path}.clientId`, limits.clientIdLengthMax),
    seq: int(o.seq, `${path}.seq`, 1),
    op: op(o.op, `${path}.op`),
    ...(o.mapEpoch === undefined ? {} : { mapEpoch: int(o.mapEpoch, `${path}.mapEpoch`, 1) }),
  };
}

/** A client's request: only client operations are accepted. */
export function decodeCommand(value: unknown, path: string): Command {
  return decodeCommandWith(value, path, decodeClientOperation);
}

function decodeLogCommand(value: unknown, path: string): Command {
  return decodeCommandWith(value, path, decodeLogOperation);
}

export function decodeBatch(value: unknown, path: string): Batch | null {
  if (value === null || value === undefined) return null;
  return arr(value, path, limits.commandsPerSlotMax, decodeLogCommand);
}

export function decodeResponse(value: unknown, path: string): Response {
  const o = obj(value, path);
  const kind = oneOf(o.kind, `${path}.kind`, ['outcome', 'redirect', 'busy', 'refused'] as const);
  switch (kind) {
    case 'outcome': {
      const owner = optional(o.owner, `${path}.owner`, decodeMapEntry);
      return {
        kind,
        outcome: decodeOutcome(o.outcome, `${path}.outcome`),
        servedBy: int(o.servedBy, `${path}.servedBy`, 1),
        slot: optional(o.slot, `${path}.slot`, int),
        ...(owner === undefined ? {} : { owner }),
      };
    }
    case 'redirect':
      return { kind, leaderHint: optional(o.leaderHint, `${path}.leaderHint`, (v, p) => int(v, p, 1)) };
    case 'busy':
      return o.locked === true ? { kind, locked: true } : { kind };
    case 'refused':
      return { kind, reason: str(o.reason, `${path}.reason`, limits.reasonLengthMax) };
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

/** A promise page is bounded in bytes by its sender (see Replica.promisePage); this only stops
 *  absurd counts before they are walked. */
const promiseEntriesMax = 100_000;
const slotsPerAcceptedMax = 10_000;

function decodePaxosMessage(value: unknown, path: string): PaxosMessage<Batch> {
  const o = obj(value, path);
  const type = oneOf(o.type, `${path}.type`, [
    'prevote',
    'prevote-reply',
    'prepare',
    'promise',
    'accept',
    'accepted',
    'nack',
    'catchup-request',
    'catchup-reply',
  ] as const);
  const from = int(o.from, `${path}.from`, 1);
  switch (type) {
    case 'prevote':
      return {
        type,
        from,
        attempt: int(o.attempt, `${path}.attempt`),
        commitIndex: int(o.commitIndex, `${path}.commitIndex`),
      };
    case 'prevote-reply':
      return { type, from, attempt: int(o.attempt, `${path}.attempt`), granted: bool(o.granted, `${path}.granted`) };
    case 'prepare': {
      const ballot = decodeBallot(o.ballot, `${path}.ballot`);
      const forced = optional(o.forced, `${path}.forced`, bool);
      const fromSlot = optional(o.fromSlot, `${path}.fromSlot`, (v, p) => int(v, p, 1));
      return {
        type,
        from,
        ballot,
        ...(forced === undefined ? {} : { forced }),
        ...(fromSlot === undefined ? {} : { fromSlot }),
      };
    }
    case 'promise': {
      const fromSlot = optional(o.fromSlot, `${path}.fromSlot`, (v, p) => int(v, p, 1));
      const nextSlot = optional(o.nextSlot, `${path}.nextSlot`, (v, p) => int(v, p, 1));
      return {
        type,
        from,
        ballot: decodeBallot(o.ballot, `${path}.ballot`),
        commitIndex: int(o.commitIndex, `${path}.commitIndex`),
        entries: arr(o.entries, `${path}.entries`, promiseEntriesMax, decodeLogEntry),
        ...(fromSlot === undefined ? {} : { fromSlot }),
        ...(nextSlot === undefined ? {} : { nextSlot }),
      };
    }
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
      return {
        type,
        from,
        ballot: decodeBallot(o.ballot, `${path}.ballot`),
        promised: decodeBallot(o.promised, `${path}.promised`),
      };
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

const snapshotItemsMax = 100_000;

type ReshardingPiece = Pick<SnapshotPiece, 'mapEntries' | 'outboundMoves' | 'history' | 'historyStart'>;

/** Resharding's share of a snapshot piece: each part optional, and absent when absent. */
function decodeReshardingPiece(o: Record<string, unknown>, path: string): ReshardingPiece {
  const mapEntries = optional(o.mapEntries, `${path}.mapEntries`, decodeMapImageEntries);
  const outboundMoves = optional(o.outboundMoves, `${path}.outboundMoves`, (v, p) =>
    arr(v, p, snapshotItemsMax, decodeOutboundMove),
  );
  const history = optional(o.history, `${path}.history`, decodeHistoryPairs);
  const historyStart = optional(o.historyStart, `${path}.historyStart`, int);
  return {
    ...(mapEntries === undefined ? {} : { mapEntries }),
    ...(outboundMoves === undefined ? {} : { outboundMoves }),
    ...(history === undefined ? {} : { history }),
    ...(historyStart === undefined ? {} : { historyStart }),
  };
}

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
    coordinatorRecords: arr(
      o.coordinatorRecords,
      `${path}.coordinatorRecords`,
      snapshotItemsMax,
      decodeCoordinatorRecord,
    ),
    participantRecords: arr(
      o.participantRecords,
      `${path}.participantRecords`,
      snapshotItemsMax,
      decodeParticipantRecord,
    ),
    ...decodeReshardingPiece(o, path),
  };
}

const txnStates = ['prepared', 'committed', 'aborted'] as const;

export function decodeCoordinatorRecord(value: unknown, path: string): CoordinatorRecord {
  const o = obj(value, path);
  const reason = optional(o.reason, `${path}.reason`, (v, p) => str(v, p, limits.reasonLengthMax));
  const prepareSlot = optional(o.prepareSlot, `${path}.prepareSlot`, (v, p) => int(v, p, 1));
  const slot = optional(o.slot, `${path}.slot`, (v, p) => int(v, p, 1));
  return {
    clientId: str(o.clientId, `${path}.clientId`, limits.clientIdLengthMax),
    seq: int(o.seq, `${path}.seq`, 1),
    from: int(o.from, `${path}.from`),
    to: int(o.to, `${path}.to`),
    amount: int(o.amount, `${path}.amount`),
    participant: int(o.participant, `${path}.participant`, 1),
    state: oneOf(o.state, `${path}.state`, txnStates),
    ...(reason === undefined ? {} : { reason }),
    ...(prepareSlot === undefined ? {} : { prepareSlot }),
    ...(slot === undefined ? {} : { slot }),
  };
}

export function decodeParticipantRecord(value: unknown, path: string): ParticipantRecord {
  const o = obj(value, path);
  const from = optional(o.from, `${path}.from`, (v, p) => int(v, p));
  const fromEpoch = optional(o.fromEpoch, `${path}.fromEpoch`, (v, p) => int(v, p));
  const reason = optional(o.reason, `${path}.reason`, (v, p) => str(v, p, limits.reasonLengthMax));
  return {
    clientId: str(o.clientId, `${path}.clientId`, limits.clientIdLengthMax),
    seq: int(o.seq, `${path}.seq`, 1),
    to: int(o.to, `${path}.to`),
    amount: int(o.amount, `${path}.amount`),
    coordinator: int(o.coordinator, `${path}.coordinator`, 1),
    ...(from === undefined ? {} : { from }),
    ...(fromEpoch === undefined ? {} : { fromEpoch }),
    state: oneOf(o.state, `${path}.state`, txnStates),
    ...(reason === undefined ? {} : { reason }),
    slot: int(o.slot, `${path}.slot`),
  };
}

function decodeTxnId(value: unknown, path: string): TxnId {
  const o = obj(value, path);
  return { clientId: str(o.clientId, `${path}.clientId`, limits.clientIdLengthMax), seq: int(o.seq, `${path}.seq`, 1) };
}

export function decodeTwoPcMessage(value: unknown, path: string): TwoPcMessage {
  const o = obj(value, path);
  const type = oneOf(o.type, `${path}.type`, ['prepare', 'vote', 'decision', 'ack', 'query'] as const);
  const txn = decodeTxnId(o.txn, `${path}.txn`);
  switch (type) {
    case 'prepare': {
      const orAbort = optional(o.orAbort, `${path}.orAbort`, (v, p) => bool(v, p) || fail(p, 'true'));
      const from = optional(o.from, `${path}.from`, (v, p) => int(v, p, 1));
      const fromEpoch = optional(o.fromEpoch, `${path}.fromEpoch`, (v, p) => int(v, p));
      return {
        type,
        txn,
        coordinator: int(o.coordinator, `${path}.coordinator`, 1),
        to: int(o.to, `${path}.to`, 1),
        amount: int(o.amount, `${path}.amount`, 1),
        ...(from === undefined ? {} : { from }),
        ...(fromEpoch === undefined ? {} : { fromEpoch }),
        ...(orAbort === undefined ? {} : { orAbort }),
      };
    }
    case 'vote': {
      const reason = optional(o.reason, `${path}.reason`, (v, p) => str(v, p, limits.reasonLengthMax));
      const prepareSlot = optional(o.prepareSlot, `${path}.prepareSlot`, (v, p) => int(v, p, 1));
      const vote = {
        type,
        txn,
        participant: int(o.participant, `${path}.participant`, 1),
        vote: oneOf(o.vote, `${path}.vote`, ['yes', 'no'] as const),
      };
      return {
        ...vote,
        ...(reason === undefined ? {} : { reason }),
        ...(prepareSlot === undefined ? {} : { prepareSlot }),
      };
    }
    case 'decision': {
      const prepareSlot = optional(o.prepareSlot, `${path}.prepareSlot`, (v, p) => int(v, p, 1));
      const decision = {
        type,
        txn,
        coordinator: int(o.coordinator, `${path}.coordinator`, 1),
        decision: oneOf(o.decision, `${path}.decision`, ['commit', 'abort'] as const),
      };
      return prepareSlot === undefined ? decision : { ...decision, prepareSlot };
    }
    case 'ack':
      return { type, txn, participant: int(o.participant, `${path}.participant`, 1) };
    case 'query': {
      const from = optional(o.from, `${path}.from`, (v, p) => int(v, p, 1));
      const fromEpoch = optional(o.fromEpoch, `${path}.fromEpoch`, (v, p) => int(v, p));
      return {
        type,
        txn,
        participant: int(o.participant, `${path}.participant`, 1),
        ...(from === undefined ? {} : { from }),
        ...(fromEpoch === undefined ? {} : { fromEpoch }),
      };
    }
  }
}

/** A message between members of a cluster: a Paxos message or a snapshot piece. */
export function decodeShardMessage(value: unknown, path: string): ShardMessage {
  const o = obj(value, path);
  if (o.type === 'snapshot') return decodeSnapshotChunk(o, path);
  return decodePaxosMessage(o, path);
}
