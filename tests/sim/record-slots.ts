import type { Command } from '../../src/protocol/commands.js';
import type { Slot } from '../../src/protocol/ids.js';
import type { CoordinatorRecord, ParticipantRecord } from '../../src/protocol/twopc.js';

/**
 * The slots the 2PC records name, checked against the cluster's chosen log as the simulator saw
 * it chosen (not through src/twopc). A coordinator record names the slot that chose its PREPARE:
 * a leader aborts on silence only a PREPARE chosen above the slots it recovered
 * (TwoPcDriver.mayAbortOnSilence), so a slot that is wrong the same way on every replica (which
 * the state hash cannot see) would let it abort a transfer an earlier leader answered committed.
 * A prepared participant record names the slot that chose its PREPARE: its yes vote carries it,
 * and the commit must name it back (prepareSlot).
 */
export function recordSlotProblem(
  coordinatorRecords: readonly CoordinatorRecord[],
  preparedParticipantRecords: readonly ParticipantRecord[],
  chosen: ReadonlyMap<Slot, readonly Command[]>,
): string | undefined {
  const choseIn = (slot: Slot | undefined, r: { clientId: string; seq: number }, kind: Command['op']['kind']) =>
    slot !== undefined &&
    (chosen.get(slot)?.some((c) => c.clientId === r.clientId && c.seq === r.seq && c.op.kind === kind) ?? false);
  for (const r of coordinatorRecords)
    if (!choseIn(r.slot, r, 'x-prepare-coordinator'))
      return `coordinator record ${r.clientId}#${r.seq} names slot ${String(r.slot)}, which did not choose its PREPARE`;
  for (const r of preparedParticipantRecords)
    if (!choseIn(r.slot, r, 'x-prepare-participant'))
      return `prepared participant record ${r.clientId}#${r.seq} names slot ${r.slot}, which did not choose its PREPARE`;
  return undefined;
}
