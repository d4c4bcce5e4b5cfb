import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

/**
 * Exports nothing used, removed in issue 11 (and in its review): they stay removed (a caller that needs one again
 * should write what it needs where it needs it, and delete this line).
 */
const root = fileURLToPath(new URL('../../../', import.meta.url));
const removed: Array<[file: string, name: string]> = [
  ['src/protocol/ids.ts', 'isPositiveSafeInteger'],
  ['src/core/assert.ts', 'unreachable'],
  ['src/testfile/types.ts', 'TestCommandOp'],
  ['src/codec/ledger-codec.ts', 'decodeClientOperation'],
  ['src/codec/ledger-codec.ts', 'decodeLogOperation'],
  ['src/codec/ledger-codec.ts', 'decodeLogCommand'],
  ['src/codec/ledger-codec.ts', 'decodePaxosMessage'],
  ['src/codec/admin-bodies.ts', 'decodeStateHashes'],
  ['src/codec/admin-bodies.ts', 'decodeNodeViews'],
  ['src/node/metrics-publisher.ts', 'metricsIntervalMs'],
  ['src/node/config.ts', 'validateConfig'],
  ['src/testfile/runner.ts', 'shapeText'],
  ['src/testfile/plan.ts', 'autoShapeLimits'],
  ['src/process/exit.ts', 'stopSignals'],
  ['src/load/recorder.ts', 'zeroCounts'],
  ['src/load/zipf.ts', 'zipfItemsMax'],
  ['src/protocol/admin.ts', 'faultOps'],
  ['src/demo/demo.ts', 'demoFile'],
  ['src/cluster/local-cluster.ts', 'readClusterState'],
  ['src/cluster/local-cluster.ts', 'spawnNode'],
];

test('the dead exports removed in issue 11 are not exported again', () => {
  for (const [file, name] of removed) {
    const source = readFileSync(`${root}${file}`, 'utf8');
    assert.doesNotMatch(
      source,
      new RegExp(`export\\s+(function|type|const|interface|class)\\s+${name}\\b`),
      `${file} exports ${name}`,
    );
  }
});
