/**
 * Assertions guard programmer errors: a broken invariant means the code is wrong, so we crash
 * loudly instead of carrying on with corrupt state (TigerBeetle's rule). Operating errors
 * (bad input, lost messages, a full disk) are typed and handled instead, see errors.ts.
 */
export class AssertionError extends Error {
  override name = 'AssertionError';
}

export function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new AssertionError(message);
}
