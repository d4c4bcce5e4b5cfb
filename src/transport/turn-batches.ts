/**
 * Items bound for the same place, gathered into one message per turn of the event loop: the
 * client's requests to one node (src/client/request-batcher.ts), a node's answers to one
 * client's reply subject and its forwards to its leader (src/node/client-batches.ts).
 *
 * A batch is bounded in items and in bytes: an item that would overflow the open batch sends
 * that batch at once and starts the next one, so at most one open batch per key is held, and
 * `flush` (scheduled once, at the first item of a turn) sends them all.
 */
export interface TurnBatchBounds {
  itemsMax: number;
  /** An upper bound of the items' encoded bytes (the caller adds its envelope's to each item's
   *  count or keeps room for it). */
  bytesMax: number;
}

interface OpenBatch<T, K> {
  key: K;
  items: T[];
  bytes: number;
  /** The ids of its items, when items have ids (see `idOf`). */
  ids: Set<number> | undefined;
}

export class TurnBatches<T, K = string> {
  private readonly open = new Map<string, OpenBatch<T, K>>();
  private scheduled = false;

  constructor(
    private readonly bounds: TurnBatchBounds,
    /** Runs `flush` after this turn's items (the client: setImmediate; a node: a microtask). */
    private readonly schedule: (run: () => void) => void,
    /** Sends one batch: 1..itemsMax items of at most bytesMax bytes together (one item alone may
     *  be larger; the caller bounds items themselves). */
    private readonly send: (key: K, items: T[]) => void,
    /** Items with ids: a second item of the same id in the open batch is dropped (a duplicated
     *  delivery), since a receiver refuses a batch that names an id twice. */
    private readonly idOf?: (item: T) => number,
  ) {}

  /** Items dropped as a second copy of one already in their batch. */
  duplicatesDropped = 0;

  /** Items waiting for the end of the turn. */
  get waiting(): number {
    let count = 0;
    for (const batch of this.open.values()) count += batch.items.length;
    return count;
  }

  /** `id`: the key as text (the map's key); `key`: what `send` gets. */
  add(id: string, key: K, item: T, bytes: number): void {
    let batch = this.open.get(id);
    if (batch?.ids !== undefined && this.idOf !== undefined && batch.ids.has(this.idOf(item))) {
      this.duplicatesDropped++;
      return;
    }
    if (
      batch !== undefined &&
      (batch.items.length >= this.bounds.itemsMax || batch.bytes + bytes > this.bounds.bytesMax)
    ) {
      this.open.delete(id);
      this.send(batch.key, batch.items);
      batch = undefined;
    }
    if (batch === undefined) {
      batch = { key, items: [], bytes: 0, ids: this.idOf === undefined ? undefined : new Set() };
      this.open.set(id, batch);
    }
    batch.items.push(item);
    if (this.idOf !== undefined) batch.ids?.add(this.idOf(item));
    batch.bytes += bytes;
    if (!this.scheduled) {
      this.scheduled = true;
      this.schedule(() => this.flush());
    }
  }

  /** Sends every open batch now. */
  flush(): void {
    this.scheduled = false;
    const batches = [...this.open.values()];
    this.open.clear();
    for (const batch of batches) this.send(batch.key, batch.items);
  }
}
