/**
 * An upper bound of the size of a value's CBOR encoding (src/codec/cbor.ts), computed without
 * encoding it: the pure cores cannot import the codec, yet must pack messages under the broker's
 * max_payload (see payloadBudgets in limits.ts). For plain data only: maps, lists, strings,
 * numbers, booleans, null, undefined and byte strings, which is all the protocols send.
 *
 * It bounds rather than mirrors the encoder: every number counts as its widest form, a string's
 * length header as if each character took 3 bytes (the encoder sizes the header from that
 * estimate before it writes the characters), and a map's header as the 3 bytes cbor-x reserves. tests/unit/encoded-size.test.ts checks the
 * bound against the real encoder on worst-case and random values.
 */
export function encodedBytesMax(value: unknown): number {
  switch (typeof value) {
    case 'string':
      return headerBytes(value.length * 3) + utf8Bytes(value);
    case 'number':
      // A safe integer takes at most 1 + 8 bytes; any other number is at most a float64.
      return 9;
    case 'boolean':
    case 'undefined':
      return 1;
    case 'object': {
      if (value === null) return 1;
      if (value instanceof Uint8Array) return headerBytes(value.length) + value.length;
      if (Array.isArray(value)) {
        let total = headerBytes(value.length);
        for (const item of value) total += encodedBytesMax(item);
        return total;
      }
      let total = 0;
      let keys = 0;
      for (const key in value) {
        if (!Object.prototype.hasOwnProperty.call(value, key)) continue;
        keys++;
        total += encodedBytesMax(key) + encodedBytesMax((value as Record<string, unknown>)[key]);
      }
      // The encoder reserves a 16-bit count for every map (32-bit beyond 65,535 keys).
      return (keys < 0x10000 ? 3 : 5) + total;
    }
    default:
      // bigint, symbol and functions never travel: counting them large makes a mistake visible.
      return 1_000_000_000;
  }
}

/** A CBOR major-type header for a length (or count) of n. */
function headerBytes(n: number): number {
  if (n < 24) return 1;
  if (n < 0x100) return 2;
  if (n < 0x10000) return 3;
  if (n < 0x100000000) return 5;
  return 9;
}

/** UTF-8 length of a JavaScript string (lone surrogates are written as 3 bytes, U+FFFD). */
function utf8Bytes(s: string): number {
  let bytes = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      bytes += 4;
      i++;
    } else bytes += 3;
  }
  return bytes;
}
