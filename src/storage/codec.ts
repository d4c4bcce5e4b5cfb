import { decodeCbor, encodeCbor } from '../codec/cbor.js';
import { LedgerError } from '../core/errors.js';
import type { Slot } from '../protocol/ids.js';
import type { Outcome, Batch } from '../protocol/commands.js';

/**
 * Column encodings. Batches go in as CBOR (compact, and the same codec the wire uses); outcomes
 * as JSON text. The file is written only by this store, so decoding checks shape just enough to
 * report a damaged file as a storage error instead of crashing deep in the ledger.
 */

/** A NO-OP is stored as NULL, never as CBOR null, so an empty batch stays distinct from it. */
export function encodeBatch(value: Batch | null): Buffer | null {
  return value === null ? null : toBuffer(encodeCbor(value));
}

export function decodeBatch(bytes: Uint8Array | null, where: string): Batch | null {
  if (bytes === null) return null;
  const value = decodeCbor(bytes);
  if (!Array.isArray(value)) throw damaged(`${where}: value is not a batch`);
  return value as Batch;
}

export interface ViewEntry {
  slot: Slot;
  value: Batch | null;
}

export function encodeViewEntries(entries: readonly ViewEntry[]): Buffer {
  return toBuffer(encodeCbor(entries));
}

export function decodeViewEntries(bytes: Uint8Array, where: string): ViewEntry[] {
  const value = decodeCbor(bytes);
  if (!Array.isArray(value)) throw damaged(`${where}: entries are not a list`);
  return value.map((item: unknown) => {
    if (typeof item !== 'object' || item === null) throw damaged(`${where}: entry is not an object`);
    const { slot, value: batch } = item as { slot?: unknown; value?: unknown };
    if (typeof slot !== 'number' || !(batch === null || Array.isArray(batch)))
      throw damaged(`${where}: malformed entry`);
    return { slot, value: batch as Batch | null };
  });
}

export function encodeOutcome(outcome: Outcome): string {
  return JSON.stringify(outcome);
}

export function decodeOutcome(text: string, where: string): Outcome {
  const value: unknown = JSON.parse(text);
  if (typeof value !== 'object' || value === null || typeof (value as { status?: unknown }).status !== 'string') {
    throw damaged(`${where}: outcome is not an Outcome`);
  }
  return value as Outcome;
}

/** better-sqlite3 binds Buffers as BLOBs; cbor-x returns a view on its shared buffer, so wrap
 *  the same bytes without copying (SQLite copies them when the statement runs). */
function toBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function damaged(message: string): LedgerError {
  return new LedgerError('storage', `damaged database: ${message}`, {
    hint: 'restore the node from a backup or let it catch up from an empty data directory',
  });
}
