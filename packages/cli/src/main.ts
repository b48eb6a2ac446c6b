import { CommanderError } from "commander";
import { InputError, StopRequestedError, checkDirectorySettings, installStopHandlers, signalExitCode } from "@sam-repro/runner";
import { buildProgram, invokedCommand } from "./program.js";

const ENVIRONMENT_ERRORS = new Set(["ENOSPC", "EDQUOT", "EROFS", "EACCES", "EPERM"]);

// Exit codes: 0 done; 1 a bug (stack trace); 2 a usage or input error (one line); 128 + n stopped by signal n.
installStopHandlers();
try {
  checkDirectorySettings();
  const argv = process.argv.slice(2);
  if (invokedCommand(argv) === null && !argv.some((arg) => ["-h", "--help", "-V", "--version", "help"].includes(arg))) {
    throw new InputError("missing command; run `sam-repro --help` for the list");
  }
  const program = await buildProgram(argv);
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) {
    // commander has printed its one-line message (or the help / version asked for).
    process.exit(error.exitCode === 0 ? 0 : 2);
  }
  if (error instanceof StopRequestedError) {
    process.stderr.write(`${error.message}\n`);
    process.exit(signalExitCode(error.signal));
  }
  if (error instanceof InputError) {
    process.stderr.write(`error: ${error.message}\n`);
    process.exit(2);
  }
  // The environment refusing a write mid-run (disk full, read-only, permissions): the user's to fix, not a bug.
  const code = (error as NodeJS.ErrnoException | null)?.code;
  if (code && ENVIRONMENT_ERRORS.has(code)) {
    process.stderr.write(`error: ${(error as Error).message}\n`);
    process.exit(2);
  }
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
}
