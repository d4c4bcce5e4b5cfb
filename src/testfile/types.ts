/**
 * The parsed model of a test file (docs/test-files.md). Produced by `parseTestFile` (./parse.ts), consumed
 * by the runner. Plain data only: no I/O, no behaviour.
 *
 * Node ids are numbers in both dialects: `n4` (three-column files) and `S4` (four-column files)
 * both become 4. Every command and set carries the 1-based line of the file it came from, so the
 * runner can point back at the file in its output.
 */

/**
 * - `three-column`: `Set Number,Transactions,Live Nodes` (header optional), nodes written `nK`.
 *   The runner flushes the system before each set.
 * - `four-column`: `Set,Transactions,Live Servers,Contact Servers` (no header), servers written
 *   `SK`. State is kept across sets; each cluster's requests go to its contact server.
 */
export type TestFileDialect = 'three-column' | 'four-column';

export interface TestFile {
  dialect: TestFileDialect;
  /** In file order. Set numbers are unique but may jump (1, 2, …, 10, 15) or be out of order. */
  sets: TestSet[];
}

export interface TestSet {
  /** The set number written in the file's first column. */
  set: number;
  /** Line of the set's first row (the row carrying the set number). */
  line: number;
  /** Nodes alive for this set, in the order written; never contains duplicates. May be empty. */
  liveNodes: number[];
  /** Four-column dialect only: the server each cluster's requests go to, in the order written. */
  contactServers?: number[];
  /** In file order. May be empty (a set row with an empty Transactions cell and no other rows). */
  commands: TestCommand[];
}

export type TestCommand =
  /** `"(s, r, amt)"`: move `amount` (a positive integer) from account `from` to account `to`. */
  | { op: 'transfer'; from: number; to: number; amount: number; line: number }
  /** `(s)`, or `-s` as a spreadsheet rewrites `(s)`: read the balance of `account`. */
  | { op: 'balance'; account: number; line: number }
  /** `F(nK)`: fail node K. */
  | { op: 'fail'; node: number; line: number }
  /** `R(nK)`: recover node K. */
  | { op: 'recover'; node: number; line: number };
