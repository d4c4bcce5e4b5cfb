import { mkdirSync } from 'node:fs';
import type { TwoPcEvent } from '../twopc/driver.js';

/**
 * Failpoints for crash tests: `LEDGER_FAILPOINT=EVENT@PHASE` makes this node SIGKILL itself at
 * a step of Two-Phase Commit, either right after the step was persisted and before anything
 * was sent (`before-send`), or right after its messages were flushed to the broker
 * (`after-send`). With `LEDGER_FAILPOINT_ONCE=DIR`, only the first node to reach the point
 * dies (it creates DIR; others find it there), so a whole cluster can be armed at once and
 * whichever node leads at that moment crashes. Unset, the failpoint is inert.
 *
 * Events: coordinator:prepare-proposed (the PREPARE goes to the participant in the same ready),
 * coordinator:prepare-chosen, coordinator:committed (both PREPAREs chosen with yes: the client's
 * answer is in the same ready, the decision not chosen yet), coordinator:decision-chosen,
 * participant:prepare-proposed, participant:prepare-chosen, participant:tombstone-chosen (an
 * ABORT chosen at the coordinator's request, see TwoPcDriver), participant:decision-applied.
 */
export interface Failpoint {
  event: TwoPcEvent;
  phase: 'before-send' | 'after-send';
  onceDir: string | undefined;
}

export function failpointFromEnv(env: NodeJS.ProcessEnv): Failpoint | undefined {
  const spec = env.LEDGER_FAILPOINT;
  if (spec === undefined || spec === '') return undefined;
  const [event, phase] = spec.split('@');
  if (phase !== 'before-send' && phase !== 'after-send')
    throw new Error(`LEDGER_FAILPOINT=${spec}: expected EVENT@before-send or EVENT@after-send`);
  return { event: event as TwoPcEvent, phase, onceDir: env.LEDGER_FAILPOINT_ONCE };
}

/** True when the failpoint fires now (and, when one-shot, claims it for this node). */
export function shouldCrash(
  failpoint: Failpoint | undefined,
  events: readonly TwoPcEvent[],
  phase: Failpoint['phase'],
): boolean {
  if (failpoint === undefined || failpoint.phase !== phase || !events.includes(failpoint.event)) return false;
  if (failpoint.onceDir === undefined) return true;
  try {
    mkdirSync(failpoint.onceDir);
    return true;
  } catch {
    return false; // another node got there first
  }
}

/** A crash on purpose, the failpoint's whole point: not an exit, so not src/process/exit.ts
 *  (which ends a process that stops), and nothing is flushed or closed on the way. */
export function crashNow(): never {
  process.kill(process.pid, 'SIGKILL');
  throw new Error('unreachable: SIGKILL did not stop the process');
}
