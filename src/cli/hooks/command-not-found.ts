import type { Hook } from '@oclif/core';
import { closestCommand, unknownCommandWords } from '../closest-command.js';

/**
 * `ledger statsu`: one error line with a "did you mean" hint, exit 2 like any usage error (one
 * JSON error document with --json). Unlike @oclif/plugin-not-found it never asks a question and
 * never runs a command the user did not type, so it says the same on a terminal and in a script.
 */
const hook: Hook<'command_not_found'> = async function (opts) {
  const known = [...opts.config.commandIDs, ...opts.config.topics.map((t) => t.name)]
    .filter((id) => !id.includes('help'))
    .map((id) => id.replaceAll(':', ' '));
  const typed = unknownCommandWords(opts.id.split(':'), known);
  const suggestion = closestCommand(typed, known);
  const message = `"${typed}" is not a ledger command`;
  const hint =
    suggestion === undefined
      ? '`ledger --help` lists the commands'
      : `did you mean \`ledger ${suggestion}\`? (\`ledger --help\` lists the commands)`;
  if ((opts.argv ?? []).includes('--json')) {
    process.stdout.write(`${JSON.stringify({ error: { code: 'usage', message, hint } }, null, 2)}\n`);
  } else {
    process.stderr.write(`error: ${message}\nhint: ${hint}\n`);
  }
  this.exit(2);
};

export default hook;
