import { Command, Flags, type Interfaces } from '@oclif/core';
import { AssertionError } from '../core/assert.js';
import { LedgerError, type LedgerErrorCode } from '../core/errors.js';
import { resolveDataDir } from '../cluster/local-cluster.js';
import { exitNow, onStopSignal, setExitCode, signalExitCodes, type StopSignal } from '../process/exit.js';
import { NotSentError } from '../transport/transport.js';
import { usageErrorExit, usageErrorJson } from './usage-error.js';

/** The exit codes of every command (a signal's: src/process/exit.ts). */
export const exitCodes = {
  ok: 0,
  /** The operation failed, or what it checked is not so (a cluster without a leader). */
  failed: 1,
  /** Bad input, like a usage error. */
  badInput: 2,
  /** Sent, with no answer: it may or may not have happened. */
  unknownOutcome: 3,
} as const;

const errorExitCodes: Record<LedgerErrorCode, number> = {
  'bad-input': exitCodes.badInput,
  'unknown-account': exitCodes.badInput,
  'not-found': exitCodes.failed,
  unavailable: exitCodes.failed,
  timeout: exitCodes.failed,
  storage: exitCodes.failed,
  config: exitCodes.failed,
  setup: exitCodes.failed,
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

  // ---- ending the process: the commands' one way (library code returns codes instead) -------

  /** The exit code once `run` has returned (see exitCodes). */
  protected setExitCode(code: number): void {
    setExitCode(code);
  }

  /** Runs `handler` on the first SIGINT or SIGTERM; the function it returns removes it. */
  protected onStopSignal(handler: (signal: StopSignal) => void): () => void {
    return onStopSignal(handler);
  }

  /** Ends the process now, with the exit code that says `signal` ended it. */
  protected exitForSignal(signal: StopSignal): never {
    return exitNow(signalExitCodes[signal]);
  }

  /** Ends the process now (a long-running command whose work is over, or a fatal error). */
  protected exitNow(code: number): never {
    return exitNow(code);
  }

  protected override async catch(error: Error & { exitCode?: number }): Promise<unknown> {
    // A one-shot command whose connection to NATS was lost and did not come back in time.
    if (error instanceof NotSentError) {
      return this.catch(
        new LedgerError('unavailable', error.message, {
          hint: 'is nats-server running? see `ledger cluster status`',
          cause: error,
        }),
      );
    }
    if (error instanceof LedgerError) {
      const exit = errorExitCodes[error.code];
      if (this.jsonEnabled()) {
        this.logJson({
          error: {
            code: error.code,
            message: error.message,
            ...(error.hint === undefined ? {} : { hint: error.hint }),
          },
        });
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
    if (error instanceof AssertionError)
      this.logToStderr('internal error (a bug in ledger): please report it with the stack below');
    return super.catch(error);
  }
}
