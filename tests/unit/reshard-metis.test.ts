import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { LedgerError } from '../../src/core/errors.js';
import { partitionWithGpmetis, ufactorForTolerance } from '../../src/reshard/metis.js';

/** Two triangles joined by one light edge: 1-2-3 and 4-5-6, 3-4 of weight 1, the rest 10. */
const twoTriangles = {
  text: [
    '6 7 011',
    '1 2 10 3 10',
    '1 1 10 3 10',
    '1 1 10 2 10 4 1',
    '1 3 1 5 10 6 10',
    '1 4 10 6 10',
    '1 4 10 5 10',
    '',
  ].join('\n'),
  vertices: 6,
};

function isSetupError(pattern: RegExp, hint: RegExp) {
  return (e: unknown) =>
    e instanceof LedgerError && e.code === 'setup' && pattern.test(e.message) && hint.test(e.hint ?? '');
}

describe('reshard metis: gpmetis on a temp file', () => {
  const emptyDir = mkdtempSync(join(tmpdir(), 'reshard-metis-test-'));
  after(() => rmSync(emptyDir, { recursive: true, force: true }));

  test('the real gpmetis cuts two triangles at their light edge, and leaves no temp dir behind', async () => {
    // A temp root of our own: other tests running at the same time make dirs in the system's.
    const tempRoot = mkdtempSync(join(tmpdir(), 'reshard-metis-root-'));
    after(() => rmSync(tempRoot, { recursive: true, force: true }));
    const partition = await partitionWithGpmetis(twoTriangles, 2, { seed: 1, ufactor: 30, tempRoot });
    assert.equal(partition.length, 6);
    assert.ok(partition.every((p) => p === 0 || p === 1));
    assert.equal(new Set(partition.slice(0, 3)).size, 1, `${partition}`);
    assert.equal(new Set(partition.slice(3)).size, 1, `${partition}`);
    assert.notEqual(partition[0], partition[3]);
    assert.deepEqual(readdirSync(tempRoot), []);
  });

  test('one part needs no METIS: every vertex in part 0, even with no gpmetis at all', async () => {
    const partition = await partitionWithGpmetis(twoTriangles, 1, {
      seed: 1,
      ufactor: 30,
      binary: join(emptyDir, 'gpmetis'),
    });
    assert.deepEqual(partition, [0, 0, 0, 0, 0, 0]);
  });

  test('a missing gpmetis (named, or not on PATH) is a setup error that says how to install it', async () => {
    const hint = /infra\/setup\.sh.*metis/;
    await assert.rejects(
      partitionWithGpmetis(twoTriangles, 2, { seed: 1, ufactor: 30, binary: join(emptyDir, 'gpmetis') }),
      isSetupError(/gpmetis is not installed/, hint),
    );
    const path = process.env.PATH;
    process.env.PATH = emptyDir;
    try {
      await assert.rejects(
        partitionWithGpmetis(twoTriangles, 2, { seed: 1, ufactor: 30 }),
        isSetupError(/not installed/, hint),
      );
    } finally {
      process.env.PATH = path;
    }
  });

  test('a gpmetis that fails is a setup error quoting its stderr, and the temp dir is still removed', async () => {
    const tempRoot = mkdtempSync(join(tmpdir(), 'reshard-metis-root-'));
    after(() => rmSync(tempRoot, { recursive: true, force: true }));
    const truncated = { text: '3 5 011\n1 2 1\n', vertices: 3 };
    await assert.rejects(
      partitionWithGpmetis(truncated, 2, { seed: 1, ufactor: 30, tempRoot }),
      isSetupError(/gpmetis failed.*Premature end of input file/s, /gpmetis -help/),
    );
    assert.deepEqual(readdirSync(tempRoot), []);
  });

  test('a partition file that does not fit the graph is refused', async () => {
    // The graph file says 6 vertices; the caller expects 7: the part file has one line too few.
    await assert.rejects(
      partitionWithGpmetis({ ...twoTriangles, vertices: 7 }, 2, { seed: 1, ufactor: 30 }),
      isSetupError(/does not fit the graph/, /expected 7 lines/),
    );
  });

  test('a partition file with a blank line is refused, not read as part 0', async () => {
    // A stand-in gpmetis (args: -seed, -ufactor, file, parts) that writes six lines, one blank.
    const fake = join(emptyDir, 'blank-gpmetis');
    writeFileSync(fake, `#!/bin/sh\nprintf '0\\n\\n1\\n1\\n0\\n0\\n' > "$3.part.$4"\n`, { mode: 0o755 });
    await assert.rejects(
      partitionWithGpmetis(twoTriangles, 2, { seed: 1, ufactor: 30, binary: fake }),
      isSetupError(/does not fit the graph/, /line 2 is ""/),
    );
  });

  test('ufactor: both sides of the tolerance with k parts, less the padding, at least 1', () => {
    // 5 % over 3 clusters: the heaviest part at most 2.5 % over, so the lightest at least 5 % under.
    assert.equal(ufactorForTolerance(0.05, 3, 9000, 0), 25);
    assert.equal(ufactorForTolerance(0.05, 2, 9000, 0), 50);
    // Padding raises METIS's average: 1.025 * 9000 / 9003 - 1 = 0.02466 → 24.
    assert.equal(ufactorForTolerance(0.05, 3, 9000, 3), 24);
    assert.equal(ufactorForTolerance(0, 3, 9000, 0), 1);
  });
});
