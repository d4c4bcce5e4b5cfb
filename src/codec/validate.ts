/**
 * Tiny shape checks for decoded messages. Anything off the wire is untrusted: each check
 * throws a DecodeError naming the field, and the node counts and drops the message.
 * Hand-written rather than a schema library because they run on every message of the hot path.
 */
export class DecodeError extends Error {
  override name = 'DecodeError';
}

export type Obj = Record<string, unknown>;

export function fail(path: string, expected: string): never {
  throw new DecodeError(`${path}: expected ${expected}`);
}

export function obj(value: unknown, path: string): Obj {
  if (typeof value !== 'object' || value === null || Array.isArray(value) || value instanceof Uint8Array)
    fail(path, 'a map');
  return value as Obj;
}

export function int(value: unknown, path: string, min = 0): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) fail(path, `an integer >= ${min}`);
  return value;
}

export function str(value: unknown, path: string, maxLength = 256): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > maxLength)
    fail(path, `a string of 1..${maxLength} characters`);
  return value;
}

export function bool(value: unknown, path: string): boolean {
  if (typeof value !== 'boolean') fail(path, 'a boolean');
  return value;
}

export function arr<T>(value: unknown, path: string, maxLength: number, item: (v: unknown, p: string) => T): T[] {
  if (!Array.isArray(value) || value.length > maxLength) fail(path, `a list of at most ${maxLength}`);
  return value.map((v, i) => item(v, `${path}[${i}]`));
}

export function oneOf<T extends string>(value: unknown, path: string, options: readonly T[]): T {
  if (typeof value !== 'string' || !(options as readonly string[]).includes(value))
    fail(path, `one of ${options.join(', ')}`);
  return value as T;
}

export function optional<T>(value: unknown, path: string, check: (v: unknown, p: string) => T): T | undefined {
  return value === undefined || value === null ? undefined : check(value, path);
}
