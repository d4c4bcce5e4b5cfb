import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, test } from 'node:test';
import { cropProfile, parseCpuProfile, summariseProfiles, type CpuProfile } from '../../bench/profile-summary.js';
import { decodeVlq, SourceMap, sourceLocator } from '../../bench/source-map.js';

const root = 'file:///proj/';
/** The file relative to the project and the 1-based line (the real one maps to TypeScript). */
const locate = (url: string, line: number) => (url === '' ? '' : `${url.replace(root, '')}:${line + 1}`);
const frame = (functionName: string, url = '', lineNumber = -1) => ({
  functionName,
  scriptId: '0',
  url,
  lineNumber,
  columnNumber: 0,
});

/** (root) -> main (a.js, line 10) -> leaf (a.js, line 20); (idle); (garbage collector); and a
 *  function of another file called from main. One sample a millisecond from t = 1000 µs. */
function fixture(): CpuProfile {
  return {
    nodes: [
      { id: 1, callFrame: frame('(root)'), children: [2, 4, 5] },
      { id: 2, callFrame: frame('main', `${root}dist/src/a.js`, 9), children: [3, 6] },
      { id: 3, callFrame: frame('leaf', `${root}dist/src/a.js`, 19) },
      { id: 4, callFrame: frame('(idle)') },
      { id: 5, callFrame: frame('(garbage collector)') },
      { id: 6, callFrame: frame('', 'node:internal/timers', 99) },
    ],
    startTime: 1000,
    endTime: 11_000,
    //        t = 2000 3000 4000 5000 6000 7000 8000 9000 10000 11000
    samples: [3, 3, 2, 4, 4, 5, 3, 6, 4, 3],
    timeDeltas: [1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000],
  };
}

describe('CPU profile summary (.cpuprofile)', () => {
  test('self time by function and by file, as shares of the busy (not idle) samples', () => {
    const s = summariseProfiles([parseCpuProfile(JSON.stringify(fixture()))], locate, 10);
    assert.equal(s.samples, 10);
    assert.equal(s.busySamples, 7);
    assert.equal(s.spanMs, 10);
    assert.deepEqual(
      s.functions.map((f) => [f.name, f.where, f.samples, f.pct]),
      [
        ['leaf', 'dist/src/a.js:20', 4, 57.1],
        ['main', 'dist/src/a.js:10', 1, 14.3],
        ['(garbage collector)', '', 1, 14.3],
        ['(anonymous)', 'node:internal/timers:100', 1, 14.3],
      ],
    );
    assert.deepEqual(
      s.files.map((f) => [f.where, f.samples]),
      [
        ['dist/src/a.js', 5],
        ['(garbage collector)', 1],
        ['node:internal/timers', 1],
      ],
    );
  });

  test('several profiles (the processes of one role) add up; the limit keeps the top', () => {
    const s = summariseProfiles([fixture(), fixture()], locate, 1);
    assert.equal(s.busySamples, 14);
    assert.deepEqual(
      s.functions.map((f) => [f.name, f.samples, f.pct]),
      [['leaf', 8, 57.1]],
    );
  });

  test('cropping keeps the samples of the window, with their times, and recounts hitCount', () => {
    const cropped = cropProfile(fixture(), 3500, 7000);
    assert.deepEqual(cropped.samples, [2, 4, 4, 5]);
    assert.equal(cropped.startTime, 3500);
    assert.equal(cropped.endTime, 7000);
    // The first delta runs from the new start: the times of the samples are kept.
    assert.deepEqual(cropped.timeDeltas, [500, 1000, 1000, 1000]);
    const hits = Object.fromEntries(cropped.nodes.map((n) => [n.id, n.hitCount]));
    assert.deepEqual(hits, { 1: 0, 2: 1, 3: 0, 4: 2, 5: 1, 6: 0 });
    // A window past the profile keeps its own bounds.
    const all = cropProfile(fixture(), 0, 1e9);
    assert.deepEqual(all.samples, fixture().samples);
    assert.equal(all.startTime, 1000);
    assert.equal(all.endTime, 11_000);
    // DevTools needs a profile that still parses.
    parseCpuProfile(JSON.stringify(cropped));
  });

  test('a malformed profile is refused with what is wrong', () => {
    const bad = (change: (p: any) => void, pattern: RegExp) => {
      const p: any = fixture();
      change(p);
      assert.throws(() => parseCpuProfile(JSON.stringify(p)), pattern);
    };
    bad((p) => p.timeDeltas.pop(), /10 samples but 9 timeDeltas/);
    bad((p) => (p.samples[0] = 42), /sample names node 42/);
    bad((p) => delete p.nodes, /nodes, samples and timeDeltas/);
    bad((p) => (p.startTime = 'soon'), /numeric startTime/);
    bad((p) => (p.nodes[1].callFrame = undefined), /every node has an id and a callFrame/);
    assert.throws(() => parseCpuProfile('null'), /JSON object/);
  });
});

describe('source maps: a profile names the TypeScript line', () => {
  test('base64 VLQ segments decode, signs and continuation digits included', () => {
    assert.deepEqual(decodeVlq('AAAA'), [0, 0, 0, 0]);
    assert.deepEqual(decodeVlq('IAAC'), [4, 0, 0, 1]);
    assert.deepEqual(decodeVlq('F'), [-2]);
    assert.deepEqual(decodeVlq('gB'), [16]);
    assert.throws(() => decodeVlq('A*'), /not a base64 VLQ digit/);
  });

  test('a generated position maps to the original line of the last segment at or before it', () => {
    // Line 0 -> a.ts line 0; line 1: column 0 -> line 2, column 4 -> line 2 (column 1);
    // line 2 has no segment; line 3 -> line 4 (relative to the previous: +2 lines).
    const map = new SourceMap({ sources: ['../src/a.ts'], mappings: 'AAAA;AAEA,IAAC;;AAEA' });
    assert.deepEqual(map.originalOf(0, 10), { source: '../src/a.ts', line: 0 });
    assert.deepEqual(map.originalOf(1, 5), { source: '../src/a.ts', line: 2 });
    assert.equal(map.originalOf(2, 0), undefined);
    assert.deepEqual(map.originalOf(3, 0), { source: '../src/a.ts', line: 4 });
    assert.equal(map.originalOf(9, 0), undefined);
  });

  test('the locator reads the .js.map beside a compiled file, and falls back to the compiled line', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ledger-srcmap-'));
    try {
      mkdirSync(join(dir, 'dist', 'src'), { recursive: true });
      writeFileSync(join(dir, 'dist', 'src', 'a.js'), '');
      writeFileSync(
        join(dir, 'dist', 'src', 'a.js.map'),
        JSON.stringify({ version: 3, sources: ['../../src/a.ts'], mappings: 'AAAA;AAEA' }),
      );
      const locate = sourceLocator(dir);
      assert.equal(locate(pathToFileURL(join(dir, 'dist', 'src', 'a.js')).href, 1, 0), 'src/a.ts:3');
      assert.equal(locate(pathToFileURL(join(dir, 'dist', 'src', 'b.js')).href, 4, 0), 'dist/src/b.js:5');
      assert.equal(locate('node:internal/timers', 99, 0), 'node:internal/timers:100');
      assert.equal(locate('', -1, -1), '');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
