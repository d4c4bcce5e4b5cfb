import { assert } from '../core/assert.js';
import type { AccountId, Slot } from '../protocol/ids.js';
import { lockedReason, supersededReason, type Command, type Operation, type Outcome } from '../protocol/commands.js';
import type { AccountBook } from './account-book.js';
import { heldAtApply } from './locks.js';
import { txnKey } from './steps.js';
import type { TwoPcState } from './twopc-state.js';

/**
 * The apply of each step of Two-Phase Commit, on every replica, when the step is chosen in the
 * shard's log: prepare (coordinator, participant), decide (both sides) and end. Each writes the
 * records (TwoPcState) and moves money through the AccountBook; nothing here depends on timing,
 * so every replica ends in the same state.
 */

type Op<K extends Operation['kind']> = Extract<Operation, { kind: K }>;

/**
 * PREPARE at the coordinator, for a client's transfer the ledger found new (not a repeat: see
 * LedgerState.priorOutcome): refused when the leader marked it so (`abort`, after its lock wait)
 * or when a prepared transaction holds the sender's account; else debit now (the record is the
 * undo record) and lock. Returns the client's answer when it is refused here, undefined when it
 * is prepared (the answer comes with the decision).
 */
function prepareCoordinator(
  twoPc: TwoPcState,
  book: AccountBook,
  slot: Slot,
  command: Command,
  op: Op<'x-prepare-coordinator'>,
): Outcome | undefined {
  // Moved away since the leader admitted it: nothing runs here, whatever the leader marked it.
  const balance = book.balanceOf(op.from);
  if (balance === undefined) return { status: 'rejected', reason: `account ${op.from} is not in this shard` };
  if (op.abort !== undefined) return { status: 'aborted', reason: op.abort };
  if (heldAtApply(op, twoPc.lockHolder)) return { status: 'aborted', reason: lockedReason };
  if (!Number.isSafeInteger(op.amount) || op.amount <= 0)
    return { status: 'rejected', reason: 'amount must be a positive integer' };
  if (balance < op.amount) return { status: 'insufficient-funds', balance };
  book.debit(op.from, op.amount);
  twoPc.setCoordinator(txnKey(command.clientId, command.seq), {
    clientId: command.clientId,
    seq: command.seq,
    from: op.from,
    to: op.to,
    amount: op.amount,
    participant: op.participant,
    state: 'prepared',
    slot,
  });
  return undefined;
}

/**
 * Applies one step: PREPARE (coordinator, participant), a decision, the end. Returns the
 * client's answer when the step gives one (a coordinator's PREPARE refused, a decision at the
 * coordinator), for the ledger to record in the client's session.
 */
export function applyTwoPcStep(
  twoPc: TwoPcState,
  book: AccountBook,
  slot: Slot,
  command: Command,
): Outcome | undefined {
  const { op } = command;
  switch (op.kind) {
    case 'x-prepare-coordinator':
      return prepareCoordinator(twoPc, book, slot, command, op);
    case 'x-prepare-participant':
      prepareParticipant(twoPc, book, slot, command, op);
      return undefined;
    case 'x-decide':
      if (op.role === 'coordinator') return decideCoordinator(twoPc, book, command, op);
      decideParticipant(twoPc, book, slot, command, op);
      return undefined;
    case 'x-end': {
      const key = txnKey(command.clientId, command.seq);
      if (twoPc.coordinatorRecord(key)?.state !== 'prepared') twoPc.setCoordinator(key, undefined);
      return undefined;
    }
    default:
      assert(false, `not a step of Two-Phase Commit: ${op.kind}`);
  }
}

function prepareParticipant(
  twoPc: TwoPcState,
  book: AccountBook,
  slot: Slot,
  command: Command,
  op: Op<'x-prepare-participant'>,
): void {
  if (twoPc.participantRecord(txnKey(command.clientId, command.seq)) !== undefined) return; // a repeated PREPARE
  const base = {
    clientId: command.clientId,
    seq: command.seq,
    to: op.to,
    amount: op.amount,
    coordinator: op.coordinator,
    ...(op.from === undefined ? {} : { from: op.from }),
    ...(op.fromEpoch === undefined ? {} : { fromEpoch: op.fromEpoch }),
    slot,
  };
  const balance = book.balanceOf(op.to);
  let reason: string | undefined = op.abort;
  if (reason === undefined && balance === undefined) reason = `account ${op.to} is not in this shard`;
  if (reason === undefined && heldAtApply(op, twoPc.lockHolder)) reason = lockedReason;
  if (reason === undefined && !(Number.isSafeInteger(op.amount) && op.amount > 0))
    reason = 'amount must be a positive integer';
  if (reason !== undefined || balance === undefined) {
    twoPc.setParticipant({ ...base, state: 'aborted', reason: reason ?? 'unknown account' });
    return;
  }
  // PREPARE at the participant: credit tentatively and lock; the record is the undo record.
  book.credit(op.to, op.amount);
  twoPc.setParticipant({ ...base, state: 'prepared' });
}

/** The sender's account is here, and has not arrived again since the epoch the participant's
 *  PREPARE named (a participant record from before epochs were kept names none). */
function senderStillHere(book: AccountBook, from: AccountId, fromEpoch: number | undefined): boolean {
  if (book.balanceOf(from) === undefined) return false;
  return fromEpoch === undefined || book.epochOf(from) <= fromEpoch;
}

function decideCoordinator(
  twoPc: TwoPcState,
  book: AccountBook,
  command: Command,
  op: Op<'x-decide'>,
): Outcome | undefined {
  const key = txnKey(command.clientId, command.seq);
  const record = twoPc.coordinatorRecord(key);
  if (op.presumed === true) {
    // A presumed abort (a participant asked about a transaction this leader had no record of).
    // The PREPARE was chosen before it: then it is no decision at all, because that PREPARE
    // may have had its participant's yes, and the client may have been told it committed
    // (parallel commit): the record goes on to be decided from the participant's vote. No
    // record: the abort is the tombstone. The ledger passes a presumed abort here only when no
    // session covers the transaction either (LedgerState.applyCommand), so the answer returned
    // is recorded in the client's session, and a PREPARE of it chosen later (proposed before,
    // by this leader or a deposed one) is answered from there instead of preparing.
    // A sender's account no longer here (moved away), or here again since the PREPARE the
    // participant holds was sent (a later epoch): that PREPARE is refused here anyway (a wrong
    // shard, or an old map epoch), and the transfer may run, or have run, at the account's
    // other home: no tombstone, which would be a second outcome.
    if (record !== undefined || (op.from !== undefined && !senderStillHere(book, op.from, op.fromEpoch)))
      return undefined;
    return { status: 'aborted', reason: op.reason ?? 'timeout' };
  }
  if (record === undefined) {
    // No record: a presumed abort (a participant asked about a transaction we have no
    // record of). A participant holds a PREPARE only after our record was chosen, and the
    // record outlives it until the participant acknowledged the decision, which moved the
    // session to it or past it; so with no session covering it either, the session was
    // evicted (or the query is forged). Its outcome is unknown here: record nothing. An
    // answer written now would be a guess (it may have committed), and a session written
    // for a long-quiet client would evict a live one's. The abort only reaches a
    // participant that decided it (ignored), forgot it (acknowledged) or prepared it again
    // from a late copy (undone, as it must be).
    return undefined;
  }
  if (record.state !== 'prepared') return undefined;
  if (op.decision === 'commit') {
    twoPc.setCoordinator(key, {
      ...record,
      state: 'committed',
      ...(op.prepareSlot === undefined ? {} : { prepareSlot: op.prepareSlot }),
    });
    return { status: 'committed' };
  }
  book.credit(record.from, record.amount); // undo the debit
  const reason = op.reason ?? 'participant-aborted';
  twoPc.setCoordinator(key, { ...record, state: 'aborted', reason });
  return { status: 'aborted', reason };
}

function decideParticipant(
  twoPc: TwoPcState,
  book: AccountBook,
  slot: Slot,
  command: Command,
  op: Op<'x-decide'>,
): void {
  const record = twoPc.participantRecord(txnKey(command.clientId, command.seq));
  if (record === undefined || record.state !== 'prepared') return;
  // A commit of another preparation than this one: this one was prepared again from a late
  // PREPARE copy after the committed one was forgotten (see TwoPcState.setParticipant), and
  // the commit was credited then. Undo this one instead of crediting twice.
  const superseded = op.decision === 'commit' && op.prepareSlot !== undefined && op.prepareSlot !== record.slot;
  if (op.decision === 'commit' && !superseded) {
    twoPc.setParticipant({ ...record, state: 'committed', slot });
  } else {
    book.debit(record.to, record.amount); // undo the credit
    twoPc.setParticipant({
      ...record,
      state: 'aborted',
      reason: superseded ? supersededReason : (op.reason ?? 'aborted'),
      slot,
    });
  }
}
