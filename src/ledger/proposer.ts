import { assert } from '../core/assert.js';
import type { Replica } from '../paxos/replica.js';
import type { Admission } from './admission.js';
import type { Batch } from '../protocol/commands.js';

/** What the proposer works with (the ShardServer composes them). */
export interface ProposerHost {
  readonly replica: Replica<Batch>;
  readonly admission: Admission;
  /** Gives the waiting commands another look at the locks (Admission.admitWaiting). */
  admitWaiting(): void;
  /** Applies what the replica has chosen; false when nothing was. */
  applyChosen(): boolean;
}

/**
 * Group commit at the leader: the batch is proposed once per turn of the Ready loop (the
 * runtime's explicit ShardServer.propose), not one command at a time as they arrive, so one
 * slot (one accept, one disk write on every replica) carries everything that arrived since the
 * previous turn, while that one was being persisted and sent. Proposing each arrival at once
 * would spend the whole pipeline on one-command slots under load.
 */
export function proposeBatch(host: ProposerHost, slotBytesMax: number): void {
  if (host.replica.role !== 'leader') return;
  // A single-member cluster chooses as it proposes: apply that at once, and since applying
  // releases locks, give what waits for them another look (a few rounds at most).
  for (let round = 0; round < 4; round++) {
    host.admitWaiting();
    while (host.admission.batched > 0 && host.replica.proposalRoom > 0) {
      const slot = host.replica.propose(host.admission.takeSlot(slotBytesMax));
      assert(slot !== undefined, 'propose must succeed when the pipeline has room');
    }
    if (!host.applyChosen()) break;
  }
}
