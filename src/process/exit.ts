/**
 * How a `ledger` process ends: the signals it stops on, the exit code each gives, and the one
 * place that ends the process. Commands reach these through LedgerCommand (src/cli/
 * base-command.ts), the node process through its entry (src/node/main.ts); library code never
 * ends the process: it returns, or throws, and its caller decides the exit code.
 */

/** Ctrl-C, and a polite kill (a supervisor, a CI timeout, `ledger cluster stop`). */
const stopSignals = ['SIGINT', 'SIGTERM'] as const;
export type StopSignal = (typeof stopSignals)[number];

/** 128 + the signal's number, as a shell reports a process that signal ended. */
export const signalExitCodes: Readonly<Record<StopSignal, number>> = { SIGINT: 130, SIGTERM: 143 };

/** Calls `handler` once, on the first SIGINT or SIGTERM; the function it returns removes it. */
export function onStopSignal(handler: (signal: StopSignal) => void): () => void {
  const listeners = stopSignals.map((signal) => {
    const listener = () => {
      remove();
      handler(signal);
    };
    process.once(signal, listener);
    return { signal, listener };
  });
  const remove = () => {
    for (const { signal, listener } of listeners) process.removeListener(signal, listener);
  };
  return remove;
}

/** The code the process ends with once it has nothing left to do (the command returned). */
export function setExitCode(code: number): void {
  process.exitCode = code;
}

/** Ends the process now: after a signal's cleanup, a second signal, or a fatal error. */
export function exitNow(code: number): never {
  process.exit(code);
}
