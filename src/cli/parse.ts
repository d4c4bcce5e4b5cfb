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
