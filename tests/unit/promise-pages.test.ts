import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { LogEntry, PaxosMessage } from '../../src/protocol/paxos.js';
import { ballot, drain, logEntry, messagesOf, newReplica } from './helpers/replica-harness.js';

/** A promise larger than a message goes in pages (issue 10, bug 2); these are the page rules. */
type Promise = Extract<PaxosMessage<string>, { type: 'promise' }>;

/** 4 KiB of payload leaves 1 KiB for entries: three of these values to a page. */
const settings = { payloadBytesMax: 4096 };
const value = (slot: number) => `${slot}:`.padEnd(300, 'x');

function acceptorWithTail(slots: number) {
  const log: LogEntry<string>[] = Array.from({ length: slots }, (_, i) => logEntry(i + 1, ballot(1, 1), value(i + 1)));
  return newReplica<string>(1, { log, promised: ballot(1, 1), settings });
}

function campaign() {
  const candidate = newReplica<string>(2, { promised: ballot(1, 1), settings });
  candidate.campaign();
  const prepare = messagesOf(drain(candidate).messages, 'prepare')[0]?.message;
  assert.ok(prepare !== undefined);
  return { candidate, prepare };
}

function promisesOf(r: ReturnType<typeof acceptorWithTail>): Promise[] {
  return messagesOf(drain(r).messages, 'promise').map((o) => o.message);
}

describe('promise pages', () => {
  test('an acceptor pages its tail: each page starts where the previous one said, the last says no more', () => {
    const acceptor = acceptorWithTail(10);
    const { prepare } = campaign();
    acceptor.step(prepare);
    const first = promisesOf(acceptor)[0] as Promise;
    // The candidate's commit index is 0: it asks for everything from slot 1.
    assert.equal(first.fromSlot, 1);
    assert.ok(first.entries.length >= 1 && first.entries.length < 10);
    assert.equal(first.nextSlot, (first.entries.at(-1)?.slot ?? 0) + 1);
    const slots = first.entries.map((e) => e.slot);
    let next: number | undefined = first.nextSlot;
    while (next !== undefined) {
      acceptor.step({ ...prepare, fromSlot: next });
      const page = promisesOf(acceptor)[0] as Promise;
      assert.equal(page.fromSlot, next);
      slots.push(...page.entries.map((e) => e.slot));
      next = page.nextSlot;
    }
    assert.deepEqual(slots, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  });

  test('the candidate counts a paged promise only when complete, asks for each page once, and ignores stale copies', () => {
    const acceptor = acceptorWithTail(7);
    const { candidate, prepare } = campaign();
    acceptor.step(prepare);
    const first = promisesOf(acceptor)[0] as Promise;
    candidate.step(first);
    const ask = messagesOf(drain(candidate).messages, 'prepare');
    assert.deepEqual(
      ask.map((a) => [a.to, a.message.fromSlot]),
      [[1, first.nextSlot]],
    );
    // Holding one page of a promise is not a promise: no majority yet.
    assert.equal(candidate.role, 'candidate');
    // A duplicate of the first page changes nothing and asks nothing.
    candidate.step(first);
    assert.deepEqual(messagesOf(drain(candidate).messages, 'prepare'), []);
    let request = ask[0]?.message;
    while ((candidate.role as string) !== 'leader') {
      assert.ok(request !== undefined, 'the candidate keeps asking until the promise is complete');
      acceptor.step(request);
      const page = promisesOf(acceptor)[0] as Promise;
      candidate.step(page);
      const rd = drain(candidate);
      request = messagesOf(rd.messages, 'prepare')[0]?.message;
      if ((candidate.role as string) === 'leader')
        assert.deepEqual(
          rd.newViews[0]?.entries.map((e) => e.value),
          [1, 2, 3, 4, 5, 6, 7].map(value),
        );
    }
  });

  test('a page that does not move forward is refused (a forged or broken one could loop the exchange)', () => {
    const { candidate, prepare } = campaign();
    candidate.step({
      type: 'promise',
      from: 1,
      ballot: prepare.ballot,
      commitIndex: 0,
      entries: [logEntry(5, ballot(1, 1), 'v')],
      nextSlot: 5,
    });
    assert.deepEqual(messagesOf(drain(candidate).messages, 'prepare'), []);
    assert.equal(candidate.role, 'candidate');
  });
});

describe('a long paged promise between two survivors', () => {
  test('the promiser, paged in the same ballot, does not time out and preempt the candidate (no election livelock)', () => {
    // Nodes 1 and 2 survive (3 is down); both accepted the same 60-slot tail from the dead
    // leader 3 (round 1), none of it known committed: 20 pages each way at 3 values a page.
    const log: LogEntry<string>[] = Array.from({ length: 60 }, (_, i) => logEntry(i + 1, ballot(1, 3), value(i + 1)));
    const nodes = [1, 2].map((id) =>
      newReplica<string>(id, { log: log.map((e) => ({ ...e })), promised: ballot(1, 3), settings }),
    );
    // One tick per hop: a page round trip takes 2 ticks (electionTicks are 10..20).
    let inFlight: Array<{ to: number; message: PaxosMessage<string> }> = [];
    let leader: number | undefined;
    let elections = 0;
    for (let t = 0; t < 2000 && leader === undefined; t++) {
      const now = inFlight;
      inFlight = [];
      for (const { to, message } of now) nodes[to - 1]?.step(message);
      for (const n of nodes) {
        n.tick();
        for (const o of drain(n).messages) {
          if (o.message.type === 'prepare' && o.message.fromSlot === 1) elections++;
          const targets = o.to === 'all' ? [1, 2].filter((x) => x !== n.self) : [o.to];
          for (const to of targets) if (to !== 3) inFlight.push({ to, message: o.message });
        }
        if (n.role === 'leader') leader = n.self;
      }
    }
    assert.ok(
      leader !== undefined,
      `no leader after 2000 ticks (${elections} elections started and preempted while paging)`,
    );
  });
});
