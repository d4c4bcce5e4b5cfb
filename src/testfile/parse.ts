/**
 * Parser for test files (docs/test-files.md). Pure: text in, model out; the caller reads the file. The
 * only import besides our own core is the CSV tokenizer of `csv-parse` (synchronous API, no I/O).
 *
 * Two dialects, told apart by the header if there is one, else by the first set row:
 * - three-column: `Set Number,Transactions,Live Nodes` (header optional), nodes `nK`;
 * - four-column:  `Set,Transactions,Live Servers,Contact Servers` (header optional, usually
 *   absent), servers `SK`.
 *
 * A set starts on a row whose first cell holds its number; that row carries the live list (and,
 * in the four-column dialect, the contact servers). The following rows leave those cells empty and
 * hold one command each in the Transactions cell:
 *   `(s, r, amt)` transfer, `(s)` or `-s` balance read (a spreadsheet turns `(1002)` into
 *   `-1002`), `F(nK)` fail, `R(nK)` recover.
 *
 * Decisions (what the file format leaves open):
 * - Records are read one physical line at a time: CRLF, LF, lone CR, a missing last newline and a
 *   UTF-8 BOM are all accepted; a quoted cell cannot span lines (no valid row needs that), so an
 *   unclosed quote is reported on its own line instead of swallowing the rest of the file.
 * - Blank lines and rows whose cells are all empty (`,,` as spreadsheets write) are skipped,
 *   anywhere in the file.
 * - Spaces around cells and inside commands are ignored (`F( n1 )`, `( 1001 ,1002, 1 )`);
 *   letters are case-insensitive (`f(N1)`); `nK` and `SK` are accepted in both dialects.
 * - A row may have fewer cells than its dialect (missing trailing cells are empty); a row with a
 *   non-empty cell beyond the dialect's last column is an error (typically an unquoted
 *   `(s, r, amt)`, split by its commas).
 * - Set numbers are positive integers, unique in the file, in any order, with jumps allowed.
 * - A set may have no commands (its first row's Transactions cell empty and no rows after it):
 *   the runner then only resets the system and applies the live list. A continuation row (no set
 *   number) must hold a command; live lists and contact servers are only read on a set's first row.
 * - A live list is `[a, b, …]` with distinct nodes, possibly empty (`[]`: every node fails).
 *   Contact servers use the same form, are distinct, and each must be in the set's live list.
 * - Accounts, amounts and node ids are positive integers written in decimal digits (no sign,
 *   fraction or exponent). A transfer from an account to itself is not rejected here: the ledger's
 *   rules decide its outcome.
 * - The first error throws `LedgerError('bad-input')` naming the file, the line, the offending
 *   text and what was expected; nothing is partially returned.
 */
import { parse as parseCsv } from 'csv-parse/sync';

import { LedgerError } from '../core/errors.js';
import { parseNodeId } from '../core/node-id-text.js';
import type { TestCommand, TestFile, TestFileDialect, TestSet } from './types.js';

const COMMAND_FORMS = '(sender, receiver, amount), (account), F(nK) or R(nK)';
const HINT = 'the file format is described by `ledger run --help` and in the README ("Test files")';

const DIALECTS: Record<TestFileDialect, { columns: number; names: string; node: string; example: string }> = {
  'three-column': {
    columns: 3,
    names: 'Set Number,Transactions,Live Nodes',
    node: 'n',
    example: '1,"(1001, 1002, 1)","[n1, n2, n3]"',
  },
  'four-column': {
    columns: 4,
    names: 'Set,Transactions,Live Servers,Contact Servers',
    node: 'S',
    example: '1,"(100, 501, 8)","[S1, S2, S3, S4, S5, S6, S7, S8, S9]","[S1, S4, S7]"',
  },
};

interface Row {
  line: number;
  /** The line as written, for error messages. */
  text: string;
  /** Cells, trimmed. */
  cells: string[];
}

class Failure {
  constructor(private readonly fileName: string) {}

  /** `tests.csv line 7: "(1001, 1002)" is not a transaction: expected …` */
  at(line: number, text: string, what: string, expected: string): LedgerError {
    return new LedgerError('bad-input', `${this.fileName} line ${line}: ${quote(text)} ${what}: expected ${expected}`, {
      hint: HINT,
    });
  }

  plain(line: number, message: string): LedgerError {
    return new LedgerError('bad-input', `${this.fileName} line ${line}: ${message}`, { hint: HINT });
  }
}

export function parseTestFile(text: string, fileName: string): TestFile {
  const fail = new Failure(fileName);
  const rows = tokenize(text, fail);

  const first = rows[0];
  if (first === undefined) {
    throw fail.plain(
      1,
      `the file has no rows: expected a set row such as ${DIALECTS['three-column'].example} (after an optional header "${DIALECTS['three-column'].names}"), or ${DIALECTS['four-column'].example}`,
    );
  }

  // Dialect: from the header if there is one, else from the first row.
  let dataRows = rows;
  let dialect: TestFileDialect;
  if (isHeader(first)) {
    const width = significantWidth(first.cells);
    if (width === 3) dialect = 'three-column';
    else if (width === 4) dialect = 'four-column';
    else
      throw fail.at(
        first.line,
        first.text,
        `is a header with ${width} column${width === 1 ? '' : 's'}`,
        `"${DIALECTS['three-column'].names}" or "${DIALECTS['four-column'].names}"`,
      );
    dataRows = rows.slice(1);
    if (dataRows.length === 0)
      throw fail.at(first.line, first.text, 'is followed by no set', `set rows such as ${DIALECTS[dialect].example}`);
  } else {
    dialect = significantWidth(first.cells) >= 4 ? 'four-column' : 'three-column';
  }
  const d = DIALECTS[dialect];

  const sets: TestSet[] = [];
  const setLines = new Map<number, number>();
  let current: TestSet | undefined;

  for (const row of dataRows) {
    const width = significantWidth(row.cells);
    if (width > d.columns) {
      const unquoted = row.cells
        .slice(1)
        .some((c) => (c.startsWith('(') && !c.endsWith(')')) || (c.startsWith('[') && !c.endsWith(']')));
      throw fail.at(
        row.line,
        row.text,
        `has ${width} columns`,
        `${d.columns} (${d.names})${unquoted ? '; a cell holding commas must be in double quotes, e.g. "(1001, 1002, 1)" or "[n1, n2]"' : ''}`,
      );
    }
    const [setCell = '', commandCell = '', liveCell = '', contactCell = ''] = row.cells;

    if (setCell !== '') {
      const set = parseSetNumber(setCell, row, fail);
      const previous = setLines.get(set);
      if (previous !== undefined)
        throw fail.at(
          row.line,
          row.text,
          `repeats set number ${set} (first on line ${previous})`,
          'each set number once',
        );
      setLines.set(set, row.line);

      if (liveCell === '')
        throw fail.at(
          row.line,
          row.text,
          `starts set ${set} without a live list`,
          `the live ${dialect === 'three-column' ? 'nodes' : 'servers'} on the set's first row, e.g. ${d.example}`,
        );
      const liveNodes = parseNodeList(liveCell, row, fail, d.node, 'live list');
      current = { set, line: row.line, liveNodes, commands: [] };

      if (dialect === 'four-column') {
        if (contactCell === '')
          throw fail.at(
            row.line,
            row.text,
            `starts set ${set} without contact servers`,
            `the contact servers on the set's first row, e.g. ${d.example}`,
          );
        const contactServers = parseNodeList(contactCell, row, fail, d.node, 'contact server list');
        for (const s of contactServers) {
          if (!liveNodes.includes(s))
            throw fail.at(
              row.line,
              contactCell,
              `names contact server ${d.node}${s}, which is not in the live list ${liveCell}`,
              'contact servers that are live',
            );
        }
        current.contactServers = contactServers;
      }
      sets.push(current);
      if (commandCell !== '') current.commands.push(parseCommand(commandCell, row, fail));
      continue;
    }

    if (current === undefined)
      throw fail.at(
        row.line,
        row.text,
        'comes before any set',
        `the first row to start a set with its number, e.g. ${d.example}`,
      );
    if (liveCell !== '')
      throw fail.at(
        row.line,
        row.text,
        `has a live list on a row that does not start a set (set ${current.set} started on line ${current.line})`,
        `live lists only on a set's first row, the one with the set number`,
      );
    if (contactCell !== '')
      throw fail.at(
        row.line,
        row.text,
        `has contact servers on a row that does not start a set (set ${current.set} started on line ${current.line})`,
        `contact servers only on a set's first row, the one with the set number`,
      );
    if (commandCell === '')
      throw fail.at(row.line, row.text, 'has no command', `one of ${COMMAND_FORMS} in the Transactions column`);
    current.commands.push(parseCommand(commandCell, row, fail));
  }

  return { dialect, sets };
}

/**
 * Quotes offending text for a message: in double quotes, or in single quotes when the text holds
 * double quotes itself (rows of these files often do), so it reads as written.
 */
function quote(text: string): string {
  const visible = text.replace(/[\u0000-\u001f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return visible.includes('"') && !visible.includes("'") ? `'${visible}'` : `"${visible}"`;
}

/** Splits into physical lines and each line into trimmed cells; drops blank and all-empty rows. */
function tokenize(text: string, fail: Failure): Row[] {
  const body = text.startsWith('\uFEFF') ? text.slice(1) : text;
  const rows: Row[] = [];
  body.split(/\r\n|\r|\n/).forEach((raw, index) => {
    const line = index + 1;
    if (raw.trim() === '') return;
    let records: string[][];
    try {
      records = parseCsv(raw, { relax_column_count: true, trim: true, skip_empty_lines: true }) as string[][];
    } catch (e) {
      const code = (e as { code?: unknown }).code;
      const expected =
        code === 'CSV_QUOTE_NOT_CLOSED'
          ? 'every opening double quote closed on the same line'
          : code === 'CSV_INVALID_CLOSING_QUOTE'
            ? 'a comma or the end of the line right after a closing double quote'
            : `a valid CSV row (${e instanceof Error ? e.message : String(e)})`;
      throw fail.at(line, raw, 'is not a valid CSV row', expected);
    }
    const cells = (records[0] ?? []).map((c) => c.trim());
    if (cells.every((c) => c === '')) return;
    rows.push({ line, text: raw.trim(), cells });
  });
  return rows;
}

function isHeader(row: Row): boolean {
  return /^set\b/i.test(row.cells[0] ?? '');
}

/** Number of cells up to the last non-empty one. */
function significantWidth(cells: string[]): number {
  let n = cells.length;
  while (n > 0 && cells[n - 1] === '') n--;
  return n;
}

/** A positive integer written in decimal digits, or undefined. */
function positiveInt(s: string): number | undefined {
  if (!/^\d+$/.test(s)) return undefined;
  const n = Number(s);
  return n >= 1 && Number.isSafeInteger(n) ? n : undefined;
}

function parseSetNumber(cell: string, row: Row, fail: Failure): number {
  const n = positiveInt(cell);
  if (n === undefined) throw fail.at(row.line, cell, 'is not a set number', 'a positive integer in the first column');
  return n;
}

/** A node id in a test file: `n4` or `S4` (`n 4` too). Unlike on the command line the letter is
 *  required: a bare `4` in a live list or in F(4) is a typo, not a node. */
export function parseTestFileNode(text: string): number | undefined {
  const lettered = /^([ns])\s*(.*)$/is.exec(text);
  return lettered === null ? undefined : parseNodeId(`${lettered[1]}${lettered[2]}`);
}

function parseNodeList(cell: string, row: Row, fail: Failure, letter: string, what: string): number[] {
  const expected = `a list like [${letter}1, ${letter}2, ${letter}4] of distinct node ids ${letter}K with K a positive integer`;
  const m = /^\[(.*)\]$/s.exec(cell);
  if (m === undefined || m === null) throw fail.at(row.line, cell, `is not a ${what}`, expected);
  const inner = (m[1] ?? '').trim();
  if (inner === '') return [];
  const nodes: number[] = [];
  for (const item of inner.split(',').map((s) => s.trim())) {
    const node = parseTestFileNode(item);
    if (node === undefined)
      throw fail.at(row.line, cell, `is not a ${what}: ${quote(item)} is not a node id`, expected);
    if (nodes.includes(node)) throw fail.at(row.line, cell, `is not a ${what}: it names ${item} twice`, expected);
    nodes.push(node);
  }
  return nodes;
}

function parseCommand(cell: string, row: Row, fail: Failure): TestCommand {
  const line = row.line;
  const notCommand = () => fail.at(line, cell, 'is not a transaction', COMMAND_FORMS);

  // (sender, receiver, amount) or (account)
  const paren = /^\((.*)\)$/s.exec(cell);
  if (paren !== null) {
    const parts = (paren[1] ?? '').split(',').map((s) => s.trim());
    if (parts.length === 3) {
      const [fromText = '', toText = '', amountText = ''] = parts;
      const from = positiveInt(fromText);
      if (from === undefined)
        throw fail.at(
          line,
          cell,
          `has sender ${quote(fromText)}, not an account number`,
          '(sender, receiver, amount) with accounts that are positive integers',
        );
      const to = positiveInt(toText);
      if (to === undefined)
        throw fail.at(
          line,
          cell,
          `has receiver ${quote(toText)}, not an account number`,
          '(sender, receiver, amount) with accounts that are positive integers',
        );
      const amount = positiveInt(amountText);
      if (amount === undefined)
        throw fail.at(
          line,
          cell,
          amountText === '' ? 'has no amount' : `has amount ${quote(amountText)}, not a positive whole number`,
          '(sender, receiver, amount) with an amount that is a whole number of at least 1',
        );
      return { op: 'transfer', from, to, amount, line };
    }
    if (parts.length === 1) {
      const account = positiveInt(parts[0] ?? '');
      if (account === undefined)
        throw fail.at(
          line,
          cell,
          'is not a balance read',
          '(account) with an account number that is a positive integer',
        );
      return { op: 'balance', account, line };
    }
    throw notCommand();
  }

  // -account: what a spreadsheet makes of (account)
  const negative = /^-\s*(\d+)$/.exec(cell);
  if (negative !== null) {
    const account = positiveInt(negative[1] ?? '');
    if (account === undefined)
      throw fail.at(
        line,
        cell,
        'is not a balance read',
        '-account or (account) with an account number that is a positive integer',
      );
    return { op: 'balance', account, line };
  }

  // F(nK) / R(nK)
  const fr = /^([FR])\s*\((.*)\)$/is.exec(cell);
  if (fr !== null) {
    const letter = (fr[1] ?? '').toUpperCase();
    const nodeText = (fr[2] ?? '').trim();
    const node = parseTestFileNode(nodeText);
    if (node === undefined)
      throw fail.at(
        line,
        cell,
        `names ${quote(nodeText)}, not a node id`,
        `${letter}(nK) with K a positive integer, e.g. ${letter}(n4)`,
      );
    return letter === 'F' ? { op: 'fail', node, line } : { op: 'recover', node, line };
  }

  throw notCommand();
}
