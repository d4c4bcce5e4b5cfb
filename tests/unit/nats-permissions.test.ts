import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { defaultTopology } from '../../src/ledger/topology.js';
import { natsUserOf, permissionsOf, rolesOf, type NatsRole } from '../../src/node/nats-permissions.js';
import { senderOfSubject, subjects } from '../../src/transport/subjects.js';

/**
 * The role -> allow lists mapping that `cluster start` writes into nats-server's authorization
 * block. A NATS subject matcher written here (tokens, `*` for one, `>` for the rest), not
 * nats-server's, checks what each role may and may not reach; security.test.ts checks the real
 * broker enforces the lists.
 */
function matches(pattern: string, subject: string): boolean {
  const p = pattern.split('.');
  const s = subject.split('.');
  for (let i = 0; i < p.length; i++) {
    if (p[i] === '>') return s.length > i;
    if (i >= s.length || (p[i] !== '*' && p[i] !== s[i])) return false;
  }
  return p.length === s.length;
}

const may = (allow: string[], subject: string) => allow.some((pattern) => matches(pattern, subject));
const s = subjects('ledger');
const node = (n: number): NatsRole => ({ kind: 'node', node: n });

describe('NATS permissions by role', () => {
  test('one user per node, a client and an admin', () => {
    assert.deepEqual(rolesOf(defaultTopology).map(natsUserOf), [
      'n1',
      'n2',
      'n3',
      'n4',
      'n5',
      'n6',
      'n7',
      'n8',
      'n9',
      'client',
      'admin',
    ]);
  });

  test('named clients are users of their own, each reading only its own inboxes', () => {
    const users = rolesOf(defaultTopology, ['teller-a', 'teller-b']).map(natsUserOf);
    assert.deepEqual(users.slice(9), ['client', 'client-teller-a', 'client-teller-b', 'admin']);
    const a = permissionsOf({ kind: 'client', name: 'teller-a' }, 'ledger', defaultTopology);
    const shared = permissionsOf({ kind: 'client' }, 'ledger', defaultTopology);
    assert.ok(may(a.subscribe, `${s.clientInbox('client-teller-a', 'x')}.1`));
    assert.ok(may(a.subscribe, '_INBOX.client-teller-a.q.1'));
    for (const other of ['client-teller-b', 'client']) {
      assert.ok(!may(a.subscribe, `${s.clientInbox(other, 'x')}.1`), `teller-a reads ${other}'s inbox`);
      assert.ok(!may(a.subscribe, `_INBOX.${other}.q.1`), `teller-a reads ${other}'s request inbox`);
    }
    assert.ok(!may(shared.subscribe, `${s.clientInbox('client-teller-a', 'x')}.1`), 'the shared client reads teller-a');
    assert.deepEqual(a.publish, shared.publish, 'requests only, like any client');
  });

  test('a client publishes requests only, and reads only its own inboxes', () => {
    const p = permissionsOf({ kind: 'client' }, 'ledger', defaultTopology);
    assert.ok(may(p.publish, s.nodeRequests(4)));
    for (const subject of [s.clusterPaxos(1, 1), s.nodePaxos(2, 1), s.clusterTwoPc(2, 1), s.nodeAdmin(1), s.events])
      assert.ok(!may(p.publish, subject), `client publishes ${subject}`);
    assert.ok(may(p.subscribe, `${s.clientInbox('client', 'abc')}.7`));
    assert.ok(may(p.subscribe, '_INBOX.client.xyz.1'));
    for (const subject of [
      `${s.clientInbox('admin', 'abc')}.7`,
      '_INBOX.admin.xyz.1',
      '_INBOX.xyz.1',
      s.events,
      s.nodeRequests(1),
      s.clusterPaxos(1, 1),
    ])
      assert.ok(!may(p.subscribe, subject), `client reads ${subject}`);
  });

  test('only the admin publishes admin requests, and reads the metrics', () => {
    const p = permissionsOf({ kind: 'admin' }, 'ledger', defaultTopology);
    assert.ok(may(p.publish, s.nodeAdmin(9)) && may(p.publish, s.nodeRequests(1)));
    assert.ok(may(p.subscribe, s.events) && may(p.subscribe, `${s.userInbox('admin')}.c.1`));
    assert.ok(!may(p.publish, s.clusterPaxos(1, 1)) && !may(p.publish, s.clusterTwoPc(1, 2)));
    assert.ok(!may(p.subscribe, `${s.userInbox('client')}.c.1`));
    for (const role of [node(1), { kind: 'client' } as NatsRole])
      assert.ok(!may(permissionsOf(role, 'ledger', defaultTopology).publish, s.nodeAdmin(1)));
  });

  test("a node publishes only as itself: its cluster's and its peers' Paxos subjects, 2PC to other clusters", () => {
    const p = permissionsOf(node(2), 'ledger', defaultTopology); // cluster 1: nodes 1..3
    for (const subject of [
      s.clusterPaxos(1, 2),
      s.nodePaxos(1, 2),
      s.nodePaxos(3, 2),
      s.clusterTwoPc(2, 1),
      s.clusterTwoPc(3, 1),
    ])
      assert.ok(may(p.publish, subject), `n2 may publish ${subject}`);
    for (const subject of [
      s.clusterPaxos(1, 1), // as another member
      s.nodePaxos(3, 1),
      s.clusterPaxos(2, 2), // another cluster's Paxos
      s.nodePaxos(4, 2),
      s.clusterTwoPc(2, 2), // 2PC as another cluster
      s.clusterTwoPc(1, 1), // 2PC to its own cluster
      s.nodeAdmin(1),
    ])
      assert.ok(!may(p.publish, subject), `n2 publishes ${subject}`);
    // Forwards within its cluster, answers any inbox, publishes its metrics.
    assert.ok(may(p.publish, s.nodeRequests(1)) && !may(p.publish, s.nodeRequests(4)));
    assert.ok(may(p.publish, `${s.clientInbox('client', 'x')}.3`) && may(p.publish, '_INBOX.admin.y.2'));
    assert.ok(may(p.publish, s.events));
  });

  test('a node reads only what is meant for it', () => {
    const p = permissionsOf(node(5), 'ledger', defaultTopology); // cluster 2: nodes 4..6
    for (const subject of [
      s.clusterPaxos(2, 4),
      s.nodePaxos(5, 6),
      s.nodeRequests(5),
      s.nodeAdmin(5),
      s.clusterTwoPc(2, 3),
    ])
      assert.ok(may(p.subscribe, subject), `n5 reads ${subject}`);
    for (const subject of [
      s.clusterPaxos(1, 1),
      s.nodePaxos(4, 6),
      s.nodeRequests(4),
      s.nodeAdmin(4),
      s.clusterTwoPc(1, 2),
      `${s.userInbox('client')}.a.1`,
      s.events,
    ])
      assert.ok(!may(p.subscribe, subject), `n5 reads ${subject}`);
  });

  test('the sender a protocol subject names', () => {
    assert.equal(senderOfSubject(s.clusterPaxos(1, 3), 'n'), 3);
    assert.equal(senderOfSubject(s.nodePaxos(1, 12), 'n'), 12);
    assert.equal(senderOfSubject(s.clusterTwoPc(1, 2), 'c'), 2);
    assert.equal(senderOfSubject(s.clusterTwoPc(1, 2), 'n'), undefined);
    for (const bad of [
      'ledger.c1.paxos',
      'ledger.c1.paxos.n',
      'ledger.c1.paxos.n0',
      'ledger.c1.paxos.n01',
      'ledger.c1.paxos.nx',
    ])
      assert.equal(senderOfSubject(bad, 'n'), undefined, bad);
  });
});
