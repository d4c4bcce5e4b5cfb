import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { cropProfile, parseCpuProfile, summariseProfiles, type CpuProfile } from '../../bench/profile-summary.js';

const root = 'file:///proj/';
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
    const s = summariseProfiles([parseCpuProfile(JSON.stringify(fixture()))], root, 10);
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
    const s = summariseProfiles([fixture(), fixture()], root, 1);
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
