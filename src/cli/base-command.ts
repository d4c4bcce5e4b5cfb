import { Command, Flags, type Interfaces } from '@oclif/core';
import { AssertionError } from '../core/assert.js';
import { LedgerError, type LedgerErrorCode } from '../core/errors.js';
import { resolveDataDir } from '../cluster/local-cluster.js';
import { NotSentError } from '../transport/transport.js';
import { usageErrorExit, usageErrorJson } from './usage-error.js';

/** Exit codes: 1 a failed operation, 2 bad input (like a usage error), 3 an unknown outcome. */
const exitCodes: Record<LedgerErrorCode, number> = {
  'bad-input': 2,
  'unknown-account': 2,
  'not-found': 1,
  unavailable: 1,
  timeout: 1,
  storage: 1,
  config: 1,
  setup: 1,
};

/**
 * The base of every `ledger` command: `--json` on all of them (oclif prints the value `run`
 * returns), `--data-dir` to find the cluster, and operating errors printed as one line with a
 * hint (or one JSON document with --json) instead of a stack trace.
 */
export abstract class LedgerCommand<T extends typeof Command> extends Command {
  static override enableJsonFlag = true;
  static override baseFlags = {
    'data-dir': Flags.string({
      description: 'where the cluster keeps its data, config and logs [default: ./.ledger]',
      env: 'LEDGER_DATA_DIR',
      helpGroup: 'GLOBAL',
    }),
  };

  protected flags!: Interfaces.InferredFlags<(typeof LedgerCommand)['baseFlags'] & T['flags']>;
  protected args!: Interfaces.InferredArgs<T['args']>;

  override async init(): Promise<void> {
    await super.init();
    const { flags, args } = await this.parse({
      flags: this.ctor.flags,
      baseFlags: (super.ctor as typeof LedgerCommand).baseFlags,
      enableJsonFlag: this.ctor.enableJsonFlag,
      args: this.ctor.args,
      strict: this.ctor.strict,
    });
    this.flags = flags as typeof this.flags;
    this.args = args as typeof this.args;
  }

  protected get dataDir(): string {
    return resolveDataDir(this.flags['data-dir']);
  }

  protected override async catch(error: Error & { exitCode?: number }): Promise<unknown> {
    // A one-shot command whose connection to NATS was lost and did not come back in time.
    if (error instanceof NotSentError) {
      return this.catch(new LedgerError('unavailable', error.message, { hint: 'is nats-server running? see `ledger cluster status`', cause: error }));
    }
    if (error instanceof LedgerError) {
      const exit = exitCodes[error.code];
      if (this.jsonEnabled()) {
        this.logJson({ error: { code: error.code, message: error.message, ...(error.hint === undefined ? {} : { hint: error.hint }) } });
      } else {
        this.logToStderr(`error: ${error.message}${error.hint === undefined ? '' : `\nhint: ${error.hint}`}`);
      }
      return this.exit(exit);
    }
    const usageExit = usageErrorExit(error);
    if (usageExit !== undefined && this.jsonEnabled()) {
      // oclif's own --json error document dumps the whole parser state (thousands of lines).
      this.logJson(usageErrorJson(error.message, this.id));
      return this.exit(usageExit);
    }
    if (error instanceof AssertionError) this.logToStderr('internal error (a bug in ledger): please report it with the stack below');
    return super.catch(error);
  }
}
