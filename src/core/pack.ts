/**
 * Packs items (commands into a slot, log entries into a message, records into a snapshot piece)
 * in order, each pack holding at most `countMax` items whose sizes sum to at most `bytesMax`.
 * A pack holds at least one item: an item larger than the budget goes alone, so packing never
 * stalls; it is the only way a pack goes over its budget. The producers keep every single item
 * far below the budget (a command's fields are bounded on decode, limits.clientIdLengthMax and
 * reasonLengthMax, to ~1.3 KB; a slot is packed to slotBytesMax), so that does not happen in
 * practice, and a lone item still fits under max_payload (tests/unit/message-size.test.ts).
 */
export function fittingCount<T>(
  items: readonly T[],
  start: number,
  bytesOf: (item: T) => number,
  bytesMax: number,
  countMax: number,
): number {
  let bytes = 0;
  let count = 0;
  while (start + count < items.length && count < countMax) {
    const size = bytesOf(items[start + count] as T);
    if (count > 0 && bytes + size > bytesMax) break;
    bytes += size;
    count++;
  }
  return count;
}

export function packByBytes<T>(
  items: readonly T[],
  bytesOf: (item: T) => number,
  bytesMax: number,
  countMax = Infinity,
): T[][] {
  const packs: T[][] = [];
  for (let i = 0; i < items.length;) {
    const n = fittingCount(items, i, bytesOf, bytesMax, countMax);
    packs.push(items.slice(i, i + n));
    i += n;
  }
  return packs;
}
