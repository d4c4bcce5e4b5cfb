import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';

import { LedgerError } from '../../src/core/errors.js';
import { parseTestFile } from '../../src/testfile/parse.js';
import type { TestCommand, TestFile } from '../../src/testfile/types.js';
import { peerDir, type PeerFile } from '../helpers/peer-files.js';

function readPeer(name: PeerFile): { text: string; file: TestFile } {
  const text = readFileSync(join(peerDir(), name), 'utf8');
  return { text, file: parseTestFile(text, name) };
}

const transfer = (from: number, to: number, amount: number, line: number): TestCommand => ({
  op: 'transfer',
  from,
  to,
  amount,
  line,
});
const balance = (account: number, line: number): TestCommand => ({ op: 'balance', account, line });
const nodes = (...ids: number[]) => ids;
const range = (a: number, b: number) => Array.from({ length: b - a + 1 }, (_, i) => a + i);

describe('peer test files', () => {
  test('CSE535-F25-Project-3-Testcases.csv (three-column, CRLF, header)', () => {
    const { text, file } = readPeer('CSE535-F25-Project-3-Testcases.csv');
    assert.ok(text.includes('\r\n'), 'this copy keeps its CRLF line endings');
    assert.equal(file.dialect, 'three-column');
    assert.deepEqual(
      file.sets.map((s) => s.set),
      range(1, 10),
    );
    const [set1, set2] = file.sets;
    assert.ok(set1 && set2);
    assert.equal(set1.line, 2);
    assert.deepEqual(set1.liveNodes, range(1, 9));
    assert.equal(set1.contactServers, undefined);
    assert.deepEqual(set1.commands, [
      transfer(1001, 1002, 1, 2),
      transfer(3001, 3002, 1, 3),
      transfer(6001, 6002, 1, 4),
      balance(1002, 5),
      balance(3002, 6),
    ]);
    assert.equal(set2.line, 7);
    assert.deepEqual(set2.liveNodes, nodes(1, 2, 4, 5, 7, 8));
    assert.deepEqual(set2.commands.slice(0, 3), [
      transfer(1001, 1002, 1, 7),
      transfer(1003, 1004, 1, 8),
      { op: 'fail', node: 2, line: 9 },
    ]);
    // Set 3 has a recovery: F(n9) then R(n9).
    const set3 = file.sets[2];
    assert.ok(set3);
    assert.deepEqual(
      set3.commands.filter((c) => c.op === 'fail' || c.op === 'recover'),
      [
        { op: 'fail', node: 9, line: 18 },
        { op: 'recover', node: 9, line: 20 },
        { op: 'fail', node: 7, line: 23 },
      ],
    );
    // Every non-header line with content is exactly one command.
    const commandLines = text
      .split(/\r?\n/)
      .slice(1)
      .filter((l) => l.trim() !== '').length;
    assert.equal(
      file.sets.reduce((n, s) => n + s.commands.length, 0),
      commandLines,
    );
  });

  test('CSE535-F25-Project-3-Demo-Tests.csv (4 sets, the last with a single transaction)', () => {
    const { file } = readPeer('CSE535-F25-Project-3-Demo-Tests.csv');
    assert.equal(file.dialect, 'three-column');
    assert.deepEqual(
      file.sets.map((s) => s.set),
      [1, 2, 3, 4],
    );
    assert.deepEqual(file.sets[0]?.liveNodes, nodes(1, 2, 4, 5, 7, 8));
    assert.deepEqual(file.sets[0]?.commands[0], transfer(2001, 5001, 1, 2));
    assert.equal(file.sets[3]?.commands.length, 1);
    assert.deepEqual(file.sets[3]?.commands[0], transfer(1, 3001, 1, 27));
  });

  test('CSE535-F25-Project-3-New-Testcases.csv (LF, -s reads, jump to set 15 with 5 clusters x 5 nodes)', () => {
    const { text, file } = readPeer('CSE535-F25-Project-3-New-Testcases.csv');
    assert.equal(file.dialect, 'three-column');
    assert.deepEqual(
      file.sets.map((s) => s.set),
      [...range(1, 10), 15],
    );
    const set1 = file.sets[0];
    assert.ok(set1);
    // `-1002` is what a spreadsheet made of `(1002)`: a balance read of 1002.
    assert.deepEqual(set1.commands, [
      transfer(1001, 1002, 1, 2),
      transfer(3001, 3002, 1, 3),
      transfer(6001, 6002, 1, 4),
      balance(1002, 5),
      balance(3002, 6),
    ]);
    assert.equal(file.sets[1]?.commands.at(-1)?.op, 'balance');
    const reads = file.sets.flatMap((s) => s.commands).filter((c) => c.op === 'balance').length;
    assert.equal(reads, (text.match(/^,-\d+,/gm) ?? []).length);
    assert.ok(reads > 0);

    const set15 = file.sets.at(-1);
    assert.ok(set15);
    assert.equal(set15.set, 15);
    assert.equal(set15.line, 393);
    // The first three nodes of each of 5 clusters of 5 (n1..n25): n24, n25 are down, so the list
    // stops at n23, well past the default 9 nodes.
    assert.deepEqual(set15.liveNodes, [1, 2, 3, 6, 7, 8, 11, 12, 13, 16, 17, 18, 21, 22, 23]);
    assert.ok(Math.max(...set15.liveNodes) > 20 && Math.max(...set15.liveNodes) <= 25);
    assert.deepEqual(set15.commands[0], transfer(1, 1801, 1, 393));
    assert.deepEqual(set15.commands.at(-1), transfer(5404, 7204, 1, 402));
  });

  test('New_Test_Cases_-_Lab3.csv (four-column, no header, S-servers, no trailing newline)', () => {
    const { text, file } = readPeer('New_Test_Cases_-_Lab3.csv');
    assert.ok(!text.endsWith('\n'), 'this file has no trailing newline');
    assert.equal(file.dialect, 'four-column');
    assert.deepEqual(
      file.sets.map((s) => s.set),
      range(1, 10),
    );
    const set1 = file.sets[0];
    assert.ok(set1);
    assert.equal(set1.line, 1);
    assert.deepEqual(set1.liveNodes, range(1, 9));
    assert.deepEqual(set1.contactServers, [1, 4, 7]);
    assert.deepEqual(set1.commands, [transfer(100, 501, 8, 1), transfer(1001, 1650, 2, 2), transfer(2800, 2150, 7, 3)]);
    assert.deepEqual(file.sets[3]?.liveNodes, [1, 2, 3, 5, 6, 7, 8, 9]);
    assert.deepEqual(file.sets[3]?.contactServers, [1, 5, 7]);

    // Count the transactions independently: quoted (a, b, c) triples in the raw text.
    const triples = [...text.matchAll(/"\(\s*(\d+)\s*,\s*(\d+)\s*,\s*(\d+)\s*\)"/g)];
    const commands = file.sets.flatMap((s) => s.commands);
    assert.equal(commands.length, triples.length);
    assert.equal(commands.length, 33);
    assert.ok(commands.every((c) => c.op === 'transfer'));
    const total = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
    assert.equal(
      total(commands.map((c) => (c.op === 'transfer' ? c.amount : 0))),
      total(triples.map((m) => Number(m[3]))),
    );
  });
});

describe('accepted variations', () => {
  const canonical =
    'Set Number,Transactions,Live Nodes\n1,"(1001, 1002, 3)","[n1, n2, n4]"\n,(1002),\n,F(n1),\n,R(n1),\n';

  test('CRLF, lone CR, BOM, no header, no final newline, extra spaces and blank rows give the same sets', () => {
    const expected = parseTestFile(canonical, 'a.csv');
    const variants = [
      canonical.replace(/\n/g, '\r\n'),
      canonical.replace(/\n/g, '\r'),
      '\uFEFF' + canonical,
      canonical.trimEnd(),
      canonical + ',,\n,,\r\n\n   \n',
      'Set Number,Transactions,Live Nodes\n\n 1 , "( 1001 ,1002,3 )" , "[ n1,n2 , N4 ]" \n,  ( 1002 ) ,\n, f( n1 ),\n,R (n1)\n',
    ];
    for (const v of variants) {
      const got = parseTestFile(v, 'b.csv');
      assert.deepEqual(
        got.sets.map((s) => ({ ...s, line: 0, commands: s.commands.map((c) => ({ ...c, line: 0 })) })),
        expected.sets.map((s) => ({ ...s, line: 0, commands: s.commands.map((c) => ({ ...c, line: 0 })) })),
        JSON.stringify(v),
      );
    }
    assert.deepEqual(
      expected.sets[0]?.commands.map((c) => c.op),
      ['transfer', 'balance', 'fail', 'recover'],
    );
  });

  test('line numbers count blank lines', () => {
    const f = parseTestFile('\n\n1,"(1, 2, 3)","[n1]"\n\n,-2,\n', 'c.csv');
    assert.equal(f.sets[0]?.line, 3);
    assert.deepEqual(f.sets[0]?.commands, [transfer(1, 2, 3, 3), balance(2, 5)]);
  });

  test('jumps and unordered set numbers; a set without commands is allowed', () => {
    const f = parseTestFile('7,"(1, 2, 3)","[n1]"\n2,,"[n1, n2]"\n40,(5),[]\n', 'd.csv');
    assert.deepEqual(
      f.sets.map((s) => [s.set, s.commands.length, s.liveNodes]),
      [
        [7, 1, [1]],
        [2, 0, [1, 2]],
        [40, 1, []],
      ],
    );
  });

  test('a four-column file may have a header', () => {
    const f = parseTestFile(
      'Set,Transactions,Live Servers,Contact Servers\n3,"(1, 2, 3)","[S1, S2]","[S2]"\n',
      'e.csv',
    );
    assert.equal(f.dialect, 'four-column');
    assert.deepEqual(f.sets[0]?.contactServers, [2]);
  });
});

describe('malformed files', () => {
  const SET = '1,"(1001, 1002, 1)","[n1, n2, n3]"';

  /** Parses `text` as bad.csv and checks the error names the file, `line` and the `text`. */
  function expectBad(text: string, line: number, offending: string, ...fragments: string[]): void {
    assert.throws(
      () => parseTestFile(text, 'bad.csv'),
      (e: unknown) => {
        assert.ok(e instanceof LedgerError, `a LedgerError, got ${String(e)}`);
        assert.equal(e.code, 'bad-input');
        assert.ok(e.message.startsWith(`bad.csv line ${line}: `), `names line ${line}: ${e.message}`);
        const quoted = offending.includes('"') ? `'${offending}'` : `"${offending}"`;
        assert.ok(e.message.includes(quoted), `quotes ${quoted}: ${e.message}`);
        assert.ok(e.message.includes('expected'), `says what was expected: ${e.message}`);
        for (const f of fragments) assert.ok(e.message.includes(f), `mentions ${JSON.stringify(f)}: ${e.message}`);
        return true;
      },
    );
  }

  test('a transfer without its amount', () => {
    expectBad(
      `Set Number,Transactions,Live Nodes\n${SET}\n,"(1001, 1002, 1)",\n,"(1001, 1002)",\n`,
      4,
      '(1001, 1002)',
      'is not a transaction',
      '(sender, receiver, amount), (account), F(nK) or R(nK)',
    );
    expectBad(`${SET}\n,"(1001, 1002, )",\n`, 2, '(1001, 1002, )', 'has no amount');
  });

  test('amount 0, negative or fractional', () => {
    expectBad(`${SET}\n,"(1001, 1002, 0)",\n`, 2, '(1001, 1002, 0)', 'amount "0"', 'at least 1');
    expectBad(`${SET}\n,"(1001, 1002, -5)",\n`, 2, '(1001, 1002, -5)', 'amount "-5"');
    expectBad(`${SET}\n\n,"(1001, 1002, 1.5)",\n`, 3, '(1001, 1002, 1.5)', 'amount "1.5"');
  });

  test('bad accounts', () => {
    expectBad(`${SET}\n,"(abc, 1002, 1)",\n`, 2, '(abc, 1002, 1)', 'sender "abc"');
    expectBad(`${SET}\n,"(1001, 0, 1)",\n`, 2, '(1001, 0, 1)', 'receiver "0"');
    expectBad(`${SET}\n,(0),\n`, 2, '(0)', 'balance read');
    expectBad(`${SET}\n,-0,\n`, 2, '-0', 'balance read');
  });

  test('a garbage command', () => {
    expectBad(`${SET}\n,transfer 1 to 2,\n`, 2, 'transfer 1 to 2', 'is not a transaction');
    expectBad(`${SET}\n,1002,\n`, 2, '1002', 'is not a transaction');
  });

  test('an unknown node form in F/R', () => {
    expectBad(`${SET}\n,F(x4),\n`, 2, 'F(x4)', '"x4", not a node id', 'F(nK)');
    expectBad(`${SET}\n,R(n0),\n`, 2, 'R(n0)', 'R(nK)');
    expectBad(`${SET}\n,F(4),\n`, 2, 'F(4)', '"4", not a node id', 'F(nK)');
  });

  test('an unparsable live list', () => {
    expectBad(`${SET}\n2,"(1, 2, 3)","n1, n2"\n`, 2, 'n1, n2', 'is not a live list', '[n1, n2, n4]');
    expectBad(`${SET}\n2,"(1, 2, 3)","[n1, q2]"\n`, 2, '[n1, q2]', '"q2" is not a node id');
    expectBad(`${SET}\n2,"(1, 2, 3)","[n1, 2]"\n`, 2, '[n1, 2]', '"2" is not a node id');
    expectBad(`${SET}\n2,"(1, 2, 3)","[n1, n2, n1]"\n`, 2, '[n1, n2, n1]', 'names n1 twice');
  });

  test('a set without a live list, or a live list on a later row', () => {
    expectBad(`${SET}\n2,"(1, 2, 3)",\n`, 2, '2,"(1, 2, 3)",', 'without a live list');
    expectBad(`${SET}\n,"(1, 2, 3)","[n1]"\n`, 2, ',"(1, 2, 3)","[n1]"', 'does not start a set');
  });

  test('a command before any set', () => {
    expectBad(
      `Set Number,Transactions,Live Nodes\n,"(1001, 1002, 1)",\n${SET}\n`,
      2,
      ',"(1001, 1002, 1)",',
      'comes before any set',
    );
  });

  test('a bad or repeated set number', () => {
    expectBad(
      `${SET}\n,(1001),\n1,"(1, 2, 3)","[n1]"\n`,
      3,
      '1,"(1, 2, 3)","[n1]"',
      'repeats set number 1 (first on line 1)',
    );
    expectBad(`${SET}\nx2,"(1, 2, 3)","[n1]"\n`, 2, 'x2', 'not a set number');
    expectBad(`${SET}\n0,"(1, 2, 3)","[n1]"\n`, 2, '0', 'not a set number');
  });

  test('a wrong column count', () => {
    // An unquoted transfer is split by its commas.
    expectBad(
      `${SET}\n,(1001, 1002, 1),\n`,
      2,
      ',(1001, 1002, 1),',
      'has 4 columns',
      'expected 3 (Set Number,Transactions,Live Nodes)',
      'double quotes',
    );
    expectBad(`${SET}\n2,"(1, 2, 3)","[n1]",x\n`, 2, '2,"(1, 2, 3)","[n1]",x', 'has 4 columns');
    expectBad('Set Number,Transactions\n1,(5)\n', 1, 'Set Number,Transactions', 'header with 2 columns');
  });

  test('an empty file, or a header alone', () => {
    for (const empty of ['', '\n\n', '\r\n ,, \r\n']) {
      assert.throws(
        () => parseTestFile(empty, 'bad.csv'),
        (e: unknown) =>
          e instanceof LedgerError &&
          e.code === 'bad-input' &&
          /^bad\.csv line 1: the file has no rows: expected/.test(e.message),
      );
    }
    expectBad('Set Number,Transactions,Live Nodes\r\n', 1, 'Set Number,Transactions,Live Nodes', 'followed by no set');
  });

  test('an unclosed quote', () => {
    expectBad(
      `${SET}\n,"(1001, 1002, 1),\n,(5),\n`,
      2,
      ',"(1001, 1002, 1),',
      'not a valid CSV row',
      'closed on the same line',
    );
  });

  test('a four-column row with a bad contact server', () => {
    const row1 = '1,"(100, 501, 8)","[S1, S2, S3, S4, S5, S6, S7, S8, S9]","[S1, S4, S7]"';
    expectBad(
      `${row1}\n2,"(1, 2, 3)","[S1, S2, S3, S4, S5, S6, S7, S8, S9]","[S1, X4, S7]"\n`,
      2,
      '[S1, X4, S7]',
      'contact server list',
      '"X4" is not a node id',
    );
    expectBad(
      `${row1}\n2,"(1, 2, 3)","[S1, S2, S3, S5, S6, S7, S8, S9]","[S1, S4, S7]"\n`,
      2,
      '[S1, S4, S7]',
      'contact server S4, which is not in the live list',
    );
    expectBad(
      `${row1}\n2,"(1, 2, 3)","[S1, S2, S3]",\n`,
      2,
      '2,"(1, 2, 3)","[S1, S2, S3]",',
      'without contact servers',
    );
    expectBad(
      `${row1}\n,"(1, 2, 3)",,"[S1]"\n`,
      2,
      ',"(1, 2, 3)",,"[S1]"',
      'contact servers on a row that does not start a set',
    );
  });

  test('nothing is partially returned: an error late in a valid-looking file still throws', () => {
    const good = readFileSync(join(peerDir(), 'CSE535-F25-Project-3-Testcases.csv'), 'utf8');
    // The file has no final newline: the bad row goes on a line of its own after the last one.
    const bad = `${good.replace(/\r\n$/, '')}\r\n,F(x4),\r\n`;
    expectBad(bad, good.replace(/\r\n$/, '').split('\r\n').length + 1, 'F(x4)');
  });
});
