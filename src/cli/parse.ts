import { badInput } from '../core/errors.js';

/** Parses a whole positive number given on the command line, with an error naming the field. */
export function parsePositiveInteger(text: string, what: string): number {
  const trimmed = text.trim();
  if (!/^\+?\d+$/.test(trimmed)) {
    const hint = /^-/.test(trimmed) ? 'it must be positive' : /[.,eE]/.test(trimmed) ? 'it must be a whole number' : 'it must be a number';
    throw badInput(`${what} "${text}" is not valid: ${hint}`);
  }
  const value = Number(trimmed);
  if (!Number.isSafeInteger(value)) throw badInput(`${what} "${text}" is too large`);
  if (value === 0) throw badInput(`${what} must be greater than zero`);
  return value;
}
