/**
 * Operating errors: things that go wrong in a correct program (bad user input, an unreachable
 * cluster, a file that cannot be opened). Each carries a stable code, a one-line message and a
 * hint saying what to try next, so the CLI can print them without a stack trace.
 */
export type LedgerErrorCode =
  'bad-input' | 'unknown-account' | 'not-found' | 'unavailable' | 'timeout' | 'storage' | 'config' | 'setup';

export class LedgerError extends Error {
  override name = 'LedgerError';
  readonly code: LedgerErrorCode;
  readonly hint: string | undefined;

  constructor(code: LedgerErrorCode, message: string, options: { hint?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.hint = options.hint;
  }
}

export function badInput(message: string, hint?: string): LedgerError {
  return new LedgerError('bad-input', message, hint === undefined ? {} : { hint });
}
