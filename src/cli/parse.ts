import { badInput } from '../core/errors.js';
import { parseNodeId } from '../core/node-id-text.js';
import type { NodeId } from '../protocol/ids.js';

/** Parses a whole positive number given on the command line, with an error naming the field. */
export function parsePositiveInteger(text: string, what: string): number {
  const trimmed = text.trim();
  if (!/^\+?\d+$/.test(trimmed)) {
    const asNumber = Number(trimmed);
    // 1e30 is a whole number to Number(), but far beyond what an amount can be: say so.
    if (Number.isInteger(asNumber) && asNumber > Number.MAX_SAFE_INTEGER)
      throw badInput(`${what} "${text}" is too large`, `at most ${Number.MAX_SAFE_INTEGER}`);
    const hint =
      trimmed === '' || !Number.isFinite(asNumber)
        ? 'it must be a number'
        : asNumber < 0
          ? 'it must be positive'
          : Number.isInteger(asNumber)
            ? 'write it in digits'
            : 'it must be a whole number';
    throw badInput(`${what} "${text}" is not valid: ${hint}`);
  }
  const value = Number(trimmed);
  if (!Number.isSafeInteger(value))
    throw badInput(`${what} "${text}" is too large`, `at most ${Number.MAX_SAFE_INTEGER}`);
  if (value === 0) throw badInput(`${what} must be greater than zero`);
  return value;
}

/** A node id given on the command line, `4` or `n4` (bad input otherwise). */
export function parseNode(text: string): NodeId {
  const node = parseNodeId(text);
  if (node === undefined) throw badInput(`node "${text}" is not valid: give a node id such as 4 or n4`);
  return node;
}

/** Parses `n1,n2, 4` (the n is optional) into node ids, each one of `known`. */
export function parseNodeList(text: string, known: readonly number[]): number[] {
  const nodes: number[] = [];
  for (const part of text
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p !== '')) {
    const node = parseNodeId(part);
    if (node === undefined || !known.includes(node))
      throw badInput(`"${part}" is not a node of this cluster`, `nodes are n${known[0]}..n${known[known.length - 1]}`);
    if (!nodes.includes(node)) nodes.push(node);
  }
  return nodes;
}

/** "1 unit", "2 units": an amount of money as the CLI prints it. */
export function unitCount(amount: number): string {
  return `${amount} ${amount === 1 ? 'unit' : 'units'}`;
}

/** `--node N` checked against the cluster: a node it does not have is bad input (exit 2). */
export function requireKnownNode(node: number, known: readonly number[]): number {
  if (!known.includes(node))
    throw badInput(`node ${node} does not exist`, `nodes are n${known[0]}..n${known[known.length - 1]}`);
  return node;
}
