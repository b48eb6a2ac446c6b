import os from "node:os";

/** The signals that ask a run to stop: Ctrl-C, `kill`, a closed terminal. */
export const STOP_SIGNALS = ["SIGINT", "SIGTERM", "SIGHUP"] as const;
export type StopSignal = (typeof STOP_SIGNALS)[number];

/** The conventional exit code of a process stopped by `signal`: 128 + its number (SIGINT 130, SIGTERM 143, SIGHUP 129). */
export function signalExitCode(signal: NodeJS.Signals): number {
  return 128 + (os.constants.signals[signal] ?? 15);
}

/**
 * Thrown by long work at a safe point after a stop signal, once its checkpoint is written: the
 * CLI prints `message` and exits with `signalExitCode(signal)`.
 */
export class StopRequestedError extends Error {
  override name = "StopRequestedError";
  constructor(
    readonly signal: NodeJS.Signals,
    message = `stopped by ${signal}`,
  ) {
    super(message);
  }
}

let requested: NodeJS.Signals | null = null;
let stoppableWork = 0;
let installed = false;

/**
 * Installs the CLI's handlers for SIGINT, SIGTERM and SIGHUP (idempotent). The first signal asks the
 * running work to stop: work that registered with `beginStoppableWork` checkpoints at its next safe
 * point and throws StopRequestedError; with no such work the process exits at once. A second signal
 * exits at once. Either way the exit code is 128 + the signal number and exit hooks (lock release) run.
 */
export function installStopHandlers(write: (line: string) => void = (line) => process.stderr.write(line)): void {
  if (installed) return;
  installed = true;
  // After SIGHUP the terminal is gone: a failed write to it must not turn a clean stop into a crash.
  process.stderr.on("error", () => {});
  for (const signal of STOP_SIGNALS) {
    process.on(signal, () => {
      if (requested !== null) {
        write(`\n${signal} again: exiting now without a checkpoint\n`);
        process.exit(signalExitCode(signal));
      }
      if (stoppableWork === 0) {
        // Other listeners (a pool stopping its worker processes) run first; exit after them if they do not.
        if (process.listenerCount(signal) > 1) setImmediate(() => process.exit(signalExitCode(signal)));
        else process.exit(signalExitCode(signal));
        return;
      }
      requested = signal;
      write(`\n${signal} received: stopping at the next safe point after writing a checkpoint (send it again to exit at once)\n`);
    });
  }
}

/** The stop signal received so far, or null. Long loops call this at each safe point (after `yieldToSignals`). */
export function stopRequested(): NodeJS.Signals | null {
  return requested;
}

/**
 * Declares work that checks `stopRequested()` at safe points, so the first signal waits for it
 * instead of exiting; call the returned function when the work ends.
 */
export function beginStoppableWork(): () => void {
  stoppableWork++;
  let ended = false;
  return () => {
    if (ended) return;
    ended = true;
    stoppableWork--;
  };
}

/**
 * Lets pending signal handlers run: a loop of synchronous tensor steps never returns to the event
 * loop on its own, so a signal would wait for the loop's end.
 */
export function yieldToSignals(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Tests only: forget a received signal. */
export function resetStopRequest(): void {
  requested = null;
}
