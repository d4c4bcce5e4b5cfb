import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The four peer test files (docs/test-files.md, "The peer files"). */
export const PEER_FILES = [
  'CSE535-F25-Project-3-Testcases.csv',
  'CSE535-F25-Project-3-Demo-Tests.csv',
  'CSE535-F25-Project-3-New-Testcases.csv',
  'New_Test_Cases_-_Lab3.csv',
] as const;

export type PeerFile = (typeof PEER_FILES)[number];

/**
 * Where the peer files are: the workspace's shared/ folder beside the checkout (three levels up
 * from dist/tests/helpers), or LEDGER_PEER_TESTS. Missing files fail the test: these are the
 * files the runner must accept, so a skip would hide a gap.
 */
export function peerDir(): string {
  const relative = fileURLToPath(new URL('../../../../shared/peer-tests/', import.meta.url));
  const candidates = [relative, process.env['LEDGER_PEER_TESTS']].filter(
    (d): d is string => d !== undefined && d !== '',
  );
  const found = candidates.find((d) => PEER_FILES.every((f) => existsSync(join(d, f))));
  if (found === undefined) {
    assert.fail(
      `peer test files not found: looked in ${relative}` +
        (process.env['LEDGER_PEER_TESTS']
          ? ` and LEDGER_PEER_TESTS=${process.env['LEDGER_PEER_TESTS']}`
          : ' (LEDGER_PEER_TESTS is not set)') +
        `; expected ${PEER_FILES.join(', ')}`,
    );
  }
  return found;
}

/**
 * The transfers of set 9 of CSE535-F25-Project-3-New-Testcases.csv as (from, to) pairs, each of
 * 1 unit: 1001..1005 are in c1 and 4001 in c2, so four of the ten cross shards. The reshard
 * tests plan from it (PrintReshard gives `(4001, c2, c1)`).
 */
export const peerSet9Transfers: ReadonlyArray<readonly [number, number]> = [
  [1001, 4001],
  [1002, 1003],
  [1004, 1005],
  [4001, 1002],
  [1003, 1004],
  [1001, 1005],
  [1003, 4001],
  [1005, 1002],
  [1004, 4001],
  [1005, 1001],
];
