/**
 * "Each retry gets the first outcome": every definite answer the attempts of one (clientId, seq)
 * got is the same. An `unknown` among them is fine (no answer); two different definite answers
 * (committed then aborted, two different balances for one read) are a violation. A read that
 * got no balance (`read-failed`) answered nothing about the state and is not compared.
 */
import type { CompletionEvent } from '../history.js';
import { describeOp, type Operation } from './operations.js';

/** What a definite completion says, as compared between attempts (undefined: says nothing). */
function answerOf(event: CompletionEvent): string | undefined {
  const result = event.result;
  if (event.type === 'unknown' || result === undefined || result.kind === 'read-failed') return undefined;
  return result.kind === 'balance' ? `balance ${result.balance}` : result.kind;
}

export function checkRetryOutcomes(operations: readonly Operation[]): string[] {
  const violations: string[] = [];
  for (const operation of operations) {
    const answers = operation.completions.flatMap((e) => {
      const answer = answerOf(e);
      return answer === undefined ? [] : [{ answer, timeMs: e.timeMs }];
    });
    const first = answers[0];
    const differing = answers.find((a) => a.answer !== first?.answer);
    if (first === undefined || differing === undefined) continue;
    violations.push(
      `client ${operation.clientId} seq ${operation.seq} (${describeOp(operation.op)}): ` +
        `answered ${first.answer} at ${first.timeMs}, then ${differing.answer} at ${differing.timeMs}`,
    );
  }
  return violations;
}
