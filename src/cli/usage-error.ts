import { stripVTControlCharacters } from 'node:util';

/**
 * A usage error (a missing argument, an unknown flag, a value outside a flag's options) as
 * oclif's parser throws it: a CLIError carrying `oclif.exit`. Returns that exit code (2 for
 * parse errors), or undefined for any other error.
 */
export function usageErrorExit(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const oclif = (error as { oclif?: { exit?: unknown } }).oclif;
  return typeof oclif?.exit === 'number' && oclif.exit !== 0 ? oclif.exit : undefined;
}

/**
 * The one small JSON document a usage error prints under --json, in the shape of every other
 * error (`{error: {code, message, hint}}`): the parser's message without colours, without its
 * "See more help" line, on one line.
 */
export function usageErrorJson(
  message: string,
  commandId: string | undefined,
): { error: { code: 'usage'; message: string; hint: string } } {
  const lines = stripVTControlCharacters(message)
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !/^see more help/i.test(line));
  const command = commandId === undefined ? 'ledger' : `ledger ${commandId.replaceAll(':', ' ')}`;
  return { error: { code: 'usage', message: lines.join(' '), hint: `see \`${command} --help\`` } };
}
