import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after } from 'node:test';
import type { NodeStore, PersistBatch } from '../../../src/ports/node-store.js';
import { openNodeStore, type OpenNodeStoreOptions } from '../../../src/storage/open.js';

/**
 * Real SQLite files for the store's tests, in a temporary directory the test file removes when
 * it ends (call once per file, at its top level).
 */
export function tempStores(prefix: string): {
  options: (overrides?: Partial<OpenNodeStoreOptions>) => OpenNodeStoreOptions;
  withStore: <T>(opts: OpenNodeStoreOptions, body: (store: NodeStore) => T) => Promise<T>;
} {
  const tempRoot = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  after(() => fs.rmSync(tempRoot, { recursive: true, force: true }));
  let fileCount = 0;
  return {
    /** A new file each call: accounts 1..10 at 100 unless overridden. */
    options(overrides = {}) {
      fileCount += 1;
      return {
        file: path.join(tempRoot, `node-${fileCount}.db`),
        firstAccount: 1,
        lastAccount: 10,
        initialBalance: 100,
        ...overrides,
      };
    },
    /** Opens, runs `body`, and always closes, so a failed assertion does not leak a handle. */
    async withStore(opts, body) {
      const store = await openNodeStore(opts);
      try {
        return body(store);
      } finally {
        store.close();
      }
    },
  };
}

export const emptyBatch: PersistBatch = { promised: undefined, entries: [], newViews: [], state: undefined };
