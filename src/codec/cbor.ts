import { Decoder, Encoder } from 'cbor-x';

/**
 * The only importer of cbor-x. Records (cbor-x's structure sharing) are off because messages
 * cross processes that do not share a record table; maps come back as plain objects.
 */
const encoder = new Encoder({ useRecords: false, mapsAsObjects: true, tagUint8Array: false });
const decoder = new Decoder({ useRecords: false, mapsAsObjects: true });

export function encodeCbor(value: unknown): Uint8Array {
  return encoder.encode(value);
}

/** Throws on bytes that are not one well-formed CBOR item. */
export function decodeCbor(bytes: Uint8Array): unknown {
  return decoder.decode(bytes);
}
