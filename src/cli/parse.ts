import { badInput } from '../core/errors.js';

/** Parses a whole positive number given on the command line, with an error naming the field. */
export function parsePositiveInteger(text: string, what: string): number {
  const trimmed = text.trim();
  if (!/^\+?\d+$/.test(trimmed)) {
    const asNumber = Number(trimmed);
    const hint = trimmed === '' || !Number.isFinite(asNumber) ? 'it must be a number' : asNumber < 0 ? 'it must be positive' : 'it must be a whole number';
    throw badInput(`${what} "${text}" is not valid: ${hint}`);
  }
  const value = Number(trimmed);
  if (!Number.isSafeInteger(value)) throw badInput(`${what} "${text}" is too large`);
  if (value === 0) throw badInput(`${what} must be greater than zero`);
  return value;
}

/** Parses `n1,n2, 4` (the n is optional) into node ids, each one of `known`. */
export function parseNodeList(text: string, known: readonly number[]): number[] {
  const nodes: number[] = [];
  for (const part of text.split(',').map((p) => p.trim()).filter((p) => p !== '')) {
    const match = /^[nNsS]?(\d+)$/.exec(part);
    const node = match === null ? Number.NaN : Number(match[1]);
    if (!known.includes(node)) throw badInput(`"${part}" is not a node of this cluster`, `nodes are n${known[0]}..n${known[known.length - 1]}`);
    if (!nodes.includes(node)) nodes.push(node);
  }
  return nodes;
}

/** `--node N` checked against the cluster: a node it does not have is bad input (exit 2). */
export function requireKnownNode(node: number, known: readonly number[]): number {
  if (!known.includes(node)) throw badInput(`node ${node} does not exist`, `nodes are n${known[0]}..n${known[known.length - 1]}`);
  return node;
}
