import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { LedgerError } from '../../src/core/errors.js';
import {
  buildAccountGraph,
  formatMetisGraph,
  metisWeightPadding,
  reshardAccountsMax,
  reshardHistoryTransfersMax,
} from '../../src/reshard/graph.js';

/** Three clusters of four accounts: c1 = 1..4, c2 = 5..8, c3 = 9..12. */
const ownerOf = (a: number) => Math.ceil(a / 4);
const tiny = { ownerOf, clusters: 3, accounts: 12 };

/** METIS's file read back on its own terms: header, then each 1-based vertex's weight and edges. */
function parseMetis(text: string) {
  const lines = text.trimEnd().split('\n');
  const [n, m, fmt] = lines[0]!.split(' ');
  const vertices = lines.slice(1).map((line) => {
    const [weight, ...rest] = line.split(' ').map(Number);
    const edges = new Map<number, number>();
    for (let i = 0; i < rest.length; i += 2) edges.set(rest[i]!, rest[i + 1]!);
    return { weight: weight!, edges };
  });
  return { n: Number(n), m: Number(m), fmt, vertices };
}

describe('reshard graph: the account graph in METIS format', () => {
  test('a tiny history gives exactly the file METIS expects', () => {
    // 2-6 twice (once each way), 2-3 once; c3 has no account in the history.
    const graph = buildAccountGraph({
      ...tiny,
      history: [
        [2, 6],
        [6, 2],
        [2, 3],
      ],
    });
    assert.deepEqual(graph.historyAccounts, [2, 3, 6]);
    // Vertices: heavy c1 (1, 4 untouched: 2), heavy c2 (3 untouched), heavy c3 (4), then 2, 3, 6.
    // Edges: 2-6 (2), 2-3 (1), and the inertia edges 2-H1, 3-H1, 6-H2: 5 in all.
    assert.equal(
      formatMetisGraph(graph),
      ['6 5 011', '2 4 1 5 1', '3 6 1', '4', '1 1 1 5 1 6 2', '1 1 1 4 1', '1 2 1 4 2', ''].join('\n'),
    );
  });

  test('header counts and symmetry hold on a larger history, every account weighed once', () => {
    const history: Array<[number, number]> = [];
    // Even accounts 2..24 of 30 in three clusters of 10: each cluster keeps some untouched.
    for (let i = 0; i < 200; i++) history.push([2 * ((i % 12) + 1), 2 * (((i * 5 + 3) % 12) + 1)]);
    const clean = history.filter(([a, b]) => a !== b);
    const input = { ownerOf: (a: number) => Math.ceil(a / 10), clusters: 3, accounts: 30, history: clean };
    const parsed = parseMetis(formatMetisGraph(buildAccountGraph(input)));
    assert.equal(parsed.fmt, '011');
    assert.equal(parsed.vertices.length, parsed.n);
    let halfEdges = 0;
    parsed.vertices.forEach((v, i) => {
      halfEdges += v.edges.size;
      for (const [u, w] of v.edges) {
        assert.ok(u >= 1 && u <= parsed.n && u !== i + 1, `vertex ${i + 1} names ${u}`);
        assert.equal(parsed.vertices[u - 1]!.edges.get(i + 1), w, `edge ${i + 1}-${u} on both ends, same weight`);
      }
    });
    assert.equal(parsed.m * 2, halfEdges);
    assert.equal(
      parsed.vertices.reduce((sum, v) => sum + v.weight, 0),
      30,
      'no cluster has all its accounts in the history here, so the weights add up to the accounts',
    );
    // Transfer edge weights add up to the transfers (each once per endpoint); inertia edges weigh 1.
    const historyVertices = parsed.vertices.slice(3);
    const transferWeight = historyVertices.reduce(
      (sum, v) => sum + [...v.edges].filter(([u]) => u > 3).reduce((s, [, w]) => s + w, 0),
      0,
    );
    assert.equal(transferWeight, 2 * clean.length);
  });

  test('a cluster whose accounts are all in the history has a heavy vertex of weight 1, counted as padding', () => {
    const history: Array<[number, number]> = [
      [1, 2],
      [3, 4],
      [1, 5],
    ];
    const graph = buildAccountGraph({ ...tiny, history });
    assert.equal(graph.accountCounts[0], 0);
    assert.equal(parseMetis(formatMetisGraph(graph)).vertices[0]!.weight, 1);
    assert.equal(metisWeightPadding(graph), 1);
  });

  test('refuses a history or a map that does not fit the topology', () => {
    const refused = (f: () => unknown, pattern: RegExp) =>
      assert.throws(f, (e: unknown) => e instanceof LedgerError && e.code === 'bad-input' && pattern.test(e.message));
    refused(() => buildAccountGraph({ ...tiny, history: [[1, 13]] }), /account 13/);
    refused(() => buildAccountGraph({ ...tiny, history: [[0, 2]] }), /account 0/);
    refused(() => buildAccountGraph({ ...tiny, history: [[3, 3]] }), /to itself/);
    refused(() => buildAccountGraph({ ...tiny, ownerOf: () => 4, history: [] }), /cluster 4/);
    refused(() => buildAccountGraph({ ...tiny, accounts: reshardAccountsMax + 1, history: [] }), /too many/);
    const tooLong = new Array<[number, number]>(reshardHistoryTransfersMax + 1);
    refused(() => buildAccountGraph({ ...tiny, history: tooLong }), /too long/);
  });
});
