/**
 * The pieces of the replicated state's hash (LedgerState.stateHash): a sum of per-item hashes,
 * so each change updates it in O(1) and two replicas that applied the same slots agree.
 */

/** 32-bit integer mixing (murmur3's finaliser): small input changes flip many output bits. */
export function mix(h: number): number {
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return h ^ (h >>> 16);
}

/** FNV-1a over the UTF-16 code units of `text`. */
export function stringHash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h;
}

/** Byte-order string comparison, for orders every replica must agree on. */
export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
