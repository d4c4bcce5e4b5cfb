import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';

import { parseNodeList } from '../../src/cli/parse.js';
import { firstLiveLeaders } from '../../src/cluster/flush.js';
import { LedgerError } from '../../src/core/errors.js';
import type { Topology } from '../../src/ledger/topology.js';
import { guessShape, parseSetShape, planRun, segments, type SetPlan, type Shape } from '../../src/testfile/plan.js';
import { parseTestFile } from '../../src/testfile/parse.js';
import type { TestCommand, TestFile, TestSet } from '../../src/testfile/types.js';
import { PEER_FILES, peerDir, type PeerFile } from '../helpers/peer-files.js';

function readPeer(name: PeerFile): TestFile {
  return parseTestFile(readFileSync(join(peerDir(), name), 'utf8'), name);
}

const leadersOf = (plan: SetPlan | undefined): number[] => {
  assert.ok(plan, 'the plan exists');
  return [...plan.leaders.entries()].sort(([a], [b]) => a - b).map(([, n]) => n);
};
const shapeOf = (plan: SetPlan | undefined) => {
  assert.ok(plan, 'the plan exists');
  return {
    clusters: plan.topology.clusters,
    nodesPerCluster: plan.topology.nodesPerCluster,
    accounts: plan.topology.accounts,
  };
};
const planOfSet = (plans: SetPlan[], set: number): SetPlan => {
  const plan = plans.find((p) => p.set.set === set);
  assert.ok(plan, `a plan for set ${set}`);
  return plan;
};
const range = (a: number, b: number) => Array.from({ length: b - a + 1 }, (_, i) => a + i);
const live = (...ids: number[]) => `"[${ids.map((n) => `n${n}`).join(', ')}]"`;
const set = (liveNodes: number[], commands: TestCommand[] = [], extra: Partial<TestSet> = {}): TestSet => ({
  set: 1,
  line: 1,
  liveNodes,
  commands,
  ...extra,
});
const base: Shape = { clusters: 3, nodesPerCluster: 3 };

/** Asserts a LedgerError('bad-input') whose message matches every pattern. */
function badInputWith(...patterns: RegExp[]) {
  return (e: unknown): boolean => {
    assert.ok(e instanceof LedgerError, `a LedgerError, got ${String(e)}`);
    assert.equal(e.code, 'bad-input');
    for (const p of patterns) assert.match(e.message, p);
    return true;
  };
}

describe('planRun on the peer files', () => {
  test('CSE535-F25-Project-3-Testcases.csv plans 10 sets, each on 3 clusters x 3 nodes with 9000 accounts, each flushed, led by the first live node of each cluster', () => {
    const file = readPeer('CSE535-F25-Project-3-Testcases.csv');
    const plans = planRun(file, 'CSE535-F25-Project-3-Testcases.csv', { flush: true });
    assert.equal(plans.length, 10);
    assert.deepEqual(
      plans.map((p) => p.set.set),
      range(1, 10),
    );
    for (const plan of plans) {
      assert.deepEqual(shapeOf(plan), { clusters: 3, nodesPerCluster: 3, accounts: 9000 }, `set ${plan.set.set}`);
      assert.equal(plan.topology.initialBalance, 10);
      assert.equal(plan.flush, true, `set ${plan.set.set} flushes`);
      assert.deepEqual(
        [...plan.live].sort((a, b) => a - b),
        [...plan.set.liveNodes].sort((a, b) => a - b),
      );
      // The first live node of each cluster, computed independently of the code under test.
      const expected = [1, 2, 3].map((c) => range(3 * c - 2, 3 * c).find((n) => plan.live.has(n)) ?? 3 * c - 2);
      assert.deepEqual(leadersOf(plan), expected, `set ${plan.set.set}`);
    }
    // Set 2's live list is n1, n2, n4, n5, n7, n8: leaders n1, n4, n7.
    assert.deepEqual(leadersOf(planOfSet(plans, 2)), [1, 4, 7]);
  });

  test('New-Testcases set 8, whose live list lacks n2, is led by n1, n4, n7', () => {
    const plans = planRun(readPeer('CSE535-F25-Project-3-New-Testcases.csv'), 'new.csv', { flush: true });
    const set8 = planOfSet(plans, 8);
    assert.ok(!set8.live.has(2));
    assert.deepEqual(leadersOf(set8), [1, 4, 7]);
  });

  test('a set naming n23 whose live list gives 3 of every 5 a majority (New-Testcases set 15) runs on 5 clusters x 5 nodes with 9000 accounts, led by n1, n6, n11, n16, n21', () => {
    const plans = planRun(readPeer('CSE535-F25-Project-3-New-Testcases.csv'), 'new.csv', { flush: true });
    assert.deepEqual(
      plans.map((p) => p.set.set),
      [...range(1, 10), 15],
    );
    const set15 = planOfSet(plans, 15);
    assert.deepEqual(shapeOf(set15), { clusters: 5, nodesPerCluster: 5, accounts: 9000 });
    assert.deepEqual(leadersOf(set15), [1, 6, 11, 16, 21]);
    assert.equal(set15.flush, true);
    for (const p of plans.filter((p) => p.set.set !== 15))
      assert.deepEqual(shapeOf(p), { clusters: 3, nodesPerCluster: 3, accounts: 9000 }, `set ${p.set.set}`);
  });

  test('New_Test_Cases_-_Lab3.csv (four-column) plans 3000 accounts, flushes only before the first set, and is led by its contact servers (set 4: contact S5 leads cluster 2)', () => {
    const file = readPeer('New_Test_Cases_-_Lab3.csv');
    assert.equal(file.dialect, 'four-column');
    const plans = planRun(file, 'New_Test_Cases_-_Lab3.csv', { flush: true });
    assert.equal(plans.length, 10);
    assert.deepEqual(
      plans.map((p) => p.flush),
      [true, ...Array<boolean>(9).fill(false)],
    );
    for (const plan of plans) {
      assert.deepEqual(shapeOf(plan), { clusters: 3, nodesPerCluster: 3, accounts: 3000 }, `set ${plan.set.set}`);
      assert.deepEqual(
        leadersOf(plan),
        plan.set.contactServers,
        `set ${plan.set.set}: leaders are the contact servers`,
      );
    }
    assert.deepEqual(leadersOf(planOfSet(plans, 4)), [1, 5, 7]);
    assert.equal(planOfSet(plans, 4).leaders.get(2), 5);
  });

  test('with flush: false no plan flushes, in either dialect', () => {
    for (const name of PEER_FILES) {
      const plans = planRun(readPeer(name), name, { flush: false });
      assert.ok(plans.length > 0);
      assert.deepEqual(
        plans.map((p) => p.flush),
        plans.map(() => false),
        name,
      );
    }
  });

  test('a set whose live list lacks n1 is led in cluster 1 by n2, and a cluster with nobody live by its first member', () => {
    const text = `1,"(1, 2, 3)",${live(2, 3, 5, 6)}\n`;
    const [plan] = planRun(parseTestFile(text, 'x.csv'), 'x.csv', { flush: true });
    assert.deepEqual(leadersOf(plan), [2, 5, 7]);
  });

  test('a four-column cluster without a contact server is led by its first live node', () => {
    const text = `1,"(1, 2, 3)","[S2, S3, S5, S6, S8]","[S3]"\n`;
    const [plan] = planRun(parseTestFile(text, 'x.csv'), 'x.csv', { flush: true });
    assert.deepEqual(leadersOf(plan), [3, 5, 8]);
  });

  test('the accounts option sets the accounts of every shape, and a four-column file changing shape flushes again', () => {
    const text = `1,"(1, 2, 3)","[S1, S2, S3]","[S1]"\n2,"(1, 2, 3)","[S1, S2, S3]","[S2]"\n3,"(1, 2, 3)","[S1, S2, S3, S4, S5, S6, S7, S8, S9, S10, S11, S12]","[S1]"\n`;
    const plans = planRun(parseTestFile(text, 'x.csv'), 'x.csv', { flush: true, accounts: 1200 });
    assert.deepEqual(
      plans.map((p) => p.topology.accounts),
      [1200, 1200, 1200],
    );
    assert.deepEqual(
      plans.map((p) => p.topology.clusters),
      [3, 3, 4],
    );
    assert.deepEqual(
      plans.map((p) => p.flush),
      [true, false, true],
    );
  });
});

describe('guessShape', () => {
  test('a set naming only nodes of the base shape keeps it, even with an F/R of its last node', () => {
    assert.deepEqual(guessShape(set(range(1, 9), [{ op: 'fail', node: 9, line: 2 }]), base), base);
    assert.deepEqual(guessShape(set([1, 2]), base), base);
    assert.deepEqual(guessShape(set([]), base), base);
    const big = { clusters: 5, nodesPerCluster: 5 };
    assert.deepEqual(guessShape(set([1, 2, 3, 6, 7, 8, 11, 12, 13, 16, 17, 18, 21, 22, 23]), big), big);
  });

  test('the set-15 pattern (first three of every five live, up to n23) gets 5 clusters x 5 nodes', () => {
    const pattern = [1, 2, 3, 6, 7, 8, 11, 12, 13, 16, 17, 18, 21, 22, 23];
    assert.deepEqual(guessShape(set(pattern), base), { clusters: 5, nodesPerCluster: 5 });
  });

  test('on a tie the smaller clusters win: n1..n15 all live is 5 clusters x 3, not 3 x 5', () => {
    // 3 per cluster: 5 of 5 clusters have a majority; 5 per cluster: 3 of 3. Both score 1.
    assert.deepEqual(guessShape(set(range(1, 15)), base), { clusters: 5, nodesPerCluster: 3 });
  });

  test('a fail command naming n12 on a set living on n1..n9 makes the shape grow to 4 clusters x 3', () => {
    // F/R nodes count among the named nodes; with n12 named, 3 per cluster gives 3 of 4
    // clusters a majority, 5 per cluster 2 of 3, 7 per cluster 1 of 3.
    assert.deepEqual(guessShape(set(range(1, 9), [{ op: 'fail', node: 12, line: 2 }]), base), {
      clusters: 4,
      nodesPerCluster: 3,
    });
    const text = `1,"(1, 2, 3)",${live(...range(1, 9))}\n,F(n12),\n`;
    const [plan] = planRun(parseTestFile(text, 'x.csv'), 'x.csv', { flush: true });
    assert.deepEqual(shapeOf(plan), { clusters: 4, nodesPerCluster: 3, accounts: 9000 });
  });

  test('contact servers count among the named nodes', () => {
    assert.deepEqual(guessShape(set(range(1, 9), [], { contactServers: [1, 4, 12] }), base), {
      clusters: 4,
      nodesPerCluster: 3,
    });
  });

  test('an explicit setShapes entry wins over the guess, for that set only', () => {
    const text = `15,"(1, 2, 3)",${live(1, 2, 3, 6, 7, 8, 11, 12, 13, 16, 17, 18, 21, 22, 23)}\n16,"(1, 2, 3)",${live(1, 2, 3, 6, 7, 8, 11, 12, 13, 16, 17, 18, 21, 22, 23)}\n`;
    const plans = planRun(parseTestFile(text, 'x.csv'), 'x.csv', {
      flush: true,
      setShapes: new Map([[15, { clusters: 4, nodesPerCluster: 7 }]]),
    });
    assert.deepEqual(shapeOf(plans[0]), { clusters: 4, nodesPerCluster: 7, accounts: 9000 });
    assert.deepEqual(leadersOf(plans[0]), [1, 8, 16, 22]);
    assert.deepEqual(shapeOf(plans[1]), { clusters: 5, nodesPerCluster: 5, accounts: 9000 });
  });

  test('the baseShape option is the shape of sets that fit in it', () => {
    const text = `1,"(1, 2, 3)",${live(1, 2, 3)}\n`;
    const [plan] = planRun(parseTestFile(text, 'x.csv'), 'x.csv', {
      flush: true,
      baseShape: { clusters: 2, nodesPerCluster: 5 },
    });
    assert.deepEqual(shapeOf(plan), { clusters: 2, nodesPerCluster: 5, accounts: 9000 });
    assert.deepEqual(leadersOf(plan), [1, 6]);
  });
});

describe('planRun errors, before anything runs', () => {
  test('an account beyond the topology names the file, the line and the accounts there are', () => {
    const text = `1,"(1, 2, 3)",${live(...range(1, 9))}\n,"(9001, 1, 1)",\n`;
    assert.throws(
      () => planRun(parseTestFile(text, 'big.csv'), 'big.csv', { flush: true }),
      badInputWith(/^big\.csv line 2 \(set 1\): /, /account 9001 does not exist/, /accounts are 1\.\.9000/),
    );
  });

  test('a balance read beyond the topology is an error too, as is any account past 3000 in a four-column file', () => {
    const three = `1,"(1, 2, 3)",${live(1)}\n,(9000),\n,(9002),\n`;
    assert.throws(
      () => planRun(parseTestFile(three, 'r.csv'), 'r.csv', { flush: true }),
      badInputWith(/^r\.csv line 3 /, /account 9002/),
    );
    const four = `1,"(1, 2, 3)","[S1, S4, S7]","[S1, S4, S7]"\n,"(3001, 2, 1)",,\n`;
    assert.throws(
      () => planRun(parseTestFile(four, 'f.csv'), 'f.csv', { flush: true }),
      badInputWith(/^f\.csv line 2 \(set 1\): /, /account 3001/, /accounts are 1\.\.3000/),
    );
  });

  test('an error in a later set stops the whole plan: nothing is returned for the sets before it', () => {
    const text = `1,"(1, 2, 3)",${live(1)}\n2,"(1, 2, 3)",${live(1)}\n,"(1, 9999, 3)",\n`;
    assert.throws(
      () => planRun(parseTestFile(text, 'late.csv'), 'late.csv', { flush: true }),
      badInputWith(/^late\.csv line 3 \(set 2\): /),
    );
  });

  test("a typo n42 in a live list is refused at the set's line with what was expected, instead of building 14 clusters", () => {
    const text = `1,"(1, 2, 3)",${live(1, 2, 42)}\n`;
    assert.throws(
      () => planRun(parseTestFile(text, 'typo.csv'), 'typo.csv', { flush: true }),
      badInputWith(
        /^typo\.csv line 1 \(set 1\): /,
        /n42 is outside every shape the runner supports/,
        /expected n1\.\.n25/,
      ),
    );
  });

  test('a node past n25 in an F/R or a contact list is refused at its own line; S-prefixed in a four-column file', () => {
    const fail = `1,"(1, 2, 3)",${live(1, 2, 3)}\n,"(1, 2, 3)",\n,R(n26),\n`;
    assert.throws(
      () => planRun(parseTestFile(fail, 'r.csv'), 'r.csv', { flush: true }),
      badInputWith(/^r\.csv line 3 \(set 1\): n26 is outside/),
    );
    const four = `1,"(1, 2, 3)","[S1, S4, S30]","[S1, S4, S30]"\n`;
    assert.throws(
      () => planRun(parseTestFile(four, 'f.csv'), 'f.csv', { flush: true }),
      badInputWith(/^f\.csv line 1 \(set 1\): S30 is outside/, /expected S1\.\.S25/),
    );
  });

  test('n16..n25 are inside the supported shapes (5 x 5 at most, never 6+ clusters); --set-shape still reaches past n25', () => {
    assert.deepEqual(guessShape(set([1, 2, 16]), base), { clusters: 4, nodesPerCluster: 5 });
    assert.deepEqual(guessShape(set([1, 2, 25]), base), { clusters: 5, nodesPerCluster: 5 });
    const text = `1,"(1, 2, 3)",${live(1, 2, 3, 42)}\n`;
    const [plan] = planRun(parseTestFile(text, 'x.csv'), 'x.csv', {
      flush: true,
      setShapes: new Map([[1, { clusters: 7, nodesPerCluster: 7 }]]),
    });
    assert.deepEqual(shapeOf(plan), { clusters: 7, nodesPerCluster: 7, accounts: 9000 });
  });

  test('F(n12) in a set forced to 3 clusters x 3 nodes names the line of the F and the shape', () => {
    const text = `1,"(1, 2, 3)",${live(...range(1, 9))}\n,F(n12),\n`;
    assert.throws(
      () => planRun(parseTestFile(text, 'node.csv'), 'node.csv', { flush: true, setShapes: new Map([[1, base]]) }),
      badInputWith(/^node\.csv line 2 \(set 1\): /, /node 12 does not exist in 3 clusters x 3 nodes/),
    );
  });

  test('a live list naming n12 in a set forced to 3 clusters x 3 nodes names the set line', () => {
    const text = `1,"(1, 2, 3)",${live(1, 2, 12)}\n,"(4, 5, 6)",\n`;
    assert.throws(
      () => planRun(parseTestFile(text, 'live.csv'), 'live.csv', { flush: true, setShapes: new Map([[1, base]]) }),
      badInputWith(/^live\.csv line 1 \(set 1\): /, /node 12 does not exist in 3 clusters x 3 nodes/),
    );
  });

  test('two contact servers of the same cluster in a four-column set are refused', () => {
    const text = `1,"(1, 2, 3)","[S1, S2, S3, S4, S5, S6, S7, S8, S9]","[S1, S4, S7]"\n2,"(1, 2, 3)","[S1, S2, S3, S4, S5, S6, S7, S8, S9]","[S1, S2, S7]"\n`;
    assert.throws(
      () => planRun(parseTestFile(text, 'two.csv'), 'two.csv', { flush: true }),
      badInputWith(/^two\.csv line 2 \(set 2\): /, /two contact servers for cluster 1/),
    );
  });
});

describe('parseSetShape', () => {
  test('"15=5x5" and " 3 = 2 X 7 " are parsed', () => {
    assert.deepEqual(parseSetShape('15=5x5'), [15, { clusters: 5, nodesPerCluster: 5 }]);
    assert.deepEqual(parseSetShape(' 3 = 2 X 7 '), [3, { clusters: 2, nodesPerCluster: 7 }]);
  });

  test('an even number of nodes per cluster ("15=5x4") is refused', () => {
    assert.throws(() => parseSetShape('15=5x4'), badInputWith(/odd/, /got 4/));
  });

  test('text that is not SET=CxN ("abc") is refused, quoting it', () => {
    assert.throws(() => parseSetShape('abc'), badInputWith(/"abc" is not SET=CLUSTERSxNODES/));
    assert.throws(() => parseSetShape('15=5'), badInputWith(/is not SET=CLUSTERSxNODES/));
  });

  test('zero clusters ("15=0x5") is refused', () => {
    assert.throws(() => parseSetShape('15=0x5'), badInputWith(/clusters must be a positive integer/));
  });
});

describe('segments', () => {
  const t = (line: number): TestCommand => ({ op: 'transfer', from: 1, to: 2, amount: 1, line });
  const b = (line: number): TestCommand => ({ op: 'balance', account: 1, line });
  const f = (line: number): TestCommand => ({ op: 'fail', node: 2, line });
  const r = (line: number): TestCommand => ({ op: 'recover', node: 2, line });
  const indices = (s: ReturnType<typeof segments>) => s.map((seg) => seg.map((e) => e.index));

  test('F and R stand alone, the transactions between them are grouped, and file indices are kept', () => {
    const commands = [t(1), b(2), f(3), t(4), t(5), r(6), f(7), b(8)];
    const s = segments(commands);
    assert.deepEqual(indices(s), [[0, 1], [2], [3, 4], [5], [6], [7]]);
    s.forEach((seg) => seg.forEach(({ index, command }) => assert.equal(command, commands[index])));
  });

  test('commands starting or ending with F/R give no empty segment; transactions alone form one segment', () => {
    assert.deepEqual(indices(segments([f(1), t(2), r(3)])), [[0], [1], [2]]);
    assert.deepEqual(indices(segments([t(1), t(2), b(3)])), [[0, 1, 2]]);
  });

  test('an empty command list gives no segments', () => {
    assert.deepEqual(segments([]), []);
  });
});

describe('firstLiveLeaders', () => {
  const topology: Topology = { clusters: 3, nodesPerCluster: 3, accounts: 9000, initialBalance: 10 };

  test('the first live member leads each cluster; a cluster with none live gets its first member', () => {
    assert.deepEqual(
      [...firstLiveLeaders(topology, new Set([2, 3, 5, 6]))],
      [
        [1, 2],
        [2, 5],
        [3, 7],
      ],
    );
    assert.deepEqual(
      [...firstLiveLeaders(topology, new Set(range(1, 9)))],
      [
        [1, 1],
        [2, 4],
        [3, 7],
      ],
    );
  });

  test('a preferred leader of the cluster wins; one from another cluster is ignored', () => {
    const got = firstLiveLeaders(
      topology,
      new Set(range(1, 9)),
      new Map([
        [1, 3],
        [2, 9],
      ]),
    );
    assert.deepEqual(
      [...got],
      [
        [1, 3],
        [2, 4],
        [3, 7],
      ],
    );
  });

  test("a 5 x 5 topology with set 15's live list is led by n1, n6, n11, n16, n21", () => {
    const t5: Topology = { clusters: 5, nodesPerCluster: 5, accounts: 9000, initialBalance: 10 };
    const got = firstLiveLeaders(t5, new Set([1, 2, 3, 6, 7, 8, 11, 12, 13, 16, 17, 18, 21, 22, 23]));
    assert.deepEqual([...got.values()], [1, 6, 11, 16, 21]);
  });
});

describe('parseNodeList', () => {
  const nine = range(1, 9);

  test('accepts "n1, 2,S3" as nodes 1, 2, 3, ignoring empty parts and repeats', () => {
    assert.deepEqual(parseNodeList('n1, 2,S3', nine), [1, 2, 3]);
    assert.deepEqual(parseNodeList(' N4 ,, s4, 4 ', nine), [4]);
    assert.deepEqual(parseNodeList('', nine), []);
  });

  test('rejects "n10" for 9 nodes, saying which nodes there are', () => {
    assert.throws(() => parseNodeList('n1,n10', nine), badInputWith(/"n10" is not a node of this cluster/));
    assert.throws(
      () => parseNodeList('n10', nine),
      (e: unknown) => e instanceof LedgerError && e.hint === 'nodes are n1..n9',
    );
  });

  test('rejects "x" and other non-node text', () => {
    assert.throws(() => parseNodeList('x', nine), badInputWith(/"x" is not a node/));
    assert.throws(() => parseNodeList('n1x', nine), badInputWith(/"n1x"/));
    assert.throws(() => parseNodeList('0', nine), badInputWith(/"0"/));
  });
});

describe('planRun: a contact server that is not live', () => {
  test('does not lead: its cluster falls back to its first live node, so a flush never names a failed leader', () => {
    // The parser refuses such a file; planRun must not rely on it for a TestFile built elsewhere.
    const file: TestFile = {
      dialect: 'four-column',
      sets: [{ set: 1, line: 1, liveNodes: [1, 2, 3, 5, 6, 7, 8, 9], contactServers: [1, 4, 7], commands: [] }],
    };
    const plans = planRun(file, 'contact.csv', { flush: true });
    assert.deepEqual([...(plans[0] as SetPlan).leaders.values()], [1, 5, 7]);
  });
});
