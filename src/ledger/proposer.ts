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
 *
 * A slot costs a synchronous disk write on every replica (~100-150 us of CPU each on the
 * development machine, most of it the kernel's fsync) plus its messages, whatever it carries.
 * So while two slots are in flight, a new one is proposed only once the batch holds
 * commandsPerSlotBehindMin commands (ReplicaSettings; limits.ts has the node's); a smaller batch
 * waits for a slot to be chosen. At low load little is in flight and a command goes at once;
 * under load slots grow with the load, and the disk writes per transfer fall. Not from one slot
 * in flight: one client's cross-shard transfer would then wait behind the previous one's
 * decision or END (measured: single-client cross-shard p50 20 ms instead of 16).
 */
const slotsInFlightBeforeWaiting = 2;

export function proposeBatch(host: ProposerHost, slotBytesMax: number): void {
  if (host.replica.role !== 'leader') return;
  // A single-member cluster chooses as it proposes: apply that at once, and since applying
  // releases locks, give what waits for them another look (a few rounds at most).
  for (let round = 0; round < 4; round++) {
    host.admitWaiting();
    while (host.admission.batched > 0 && host.replica.proposalRoom > 0) {
      // Behind slots still in flight, a small batch waits to grow (see above).
      if (
        host.replica.slotsInFlight >= slotsInFlightBeforeWaiting &&
        host.admission.batched < host.replica.commandsPerSlotBehindMin
      )
        break;
      const slot = host.replica.propose(host.admission.takeSlot(slotBytesMax));
      assert(slot !== undefined, 'propose must succeed when the pipeline has room');
    }
    if (!host.applyChosen()) break;
  }
}
