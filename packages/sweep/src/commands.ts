/** The `sweep` and `worker` subcommands of `sam-repro`. */
import path from "node:path";
import type { Command } from "commander";
import { DATA_DIR_ENV_VAR, RUNS_DIR_ENV_VAR, runsDirectory } from "@sam-repro/deep-nets";
import { InputError, REPORTS_DIR_ENV_VAR, checkOutputLocation, parseProfile, profileReportsDir, readSetting, setSetting } from "@sam-repro/runner";
import { BACKEND_ENV_VAR, describeBackend, initBackend } from "@sam-repro/runtime";
import { checkReachable, REDIS_PASSWORD_ENV_VAR, REDIS_URL_ENV_VAR, resolveQueueTarget } from "./connection.js";
import { queueStatus, resolveSweepTarget, sweep, SWEEP_PACKAGES } from "./sweep.js";
import { lockDurationFromEnv, startWorker } from "./worker.js";

/** A positive integer flag, or an InputError naming the flag, the value and what is allowed. */
export function positiveInteger(flag: string, value: string): number {
  const number = Number(value);
  if (!Number.isInteger(number) || number < 1) throw new InputError(`${flag}: "${value}" is not allowed; allowed: an integer >= 1`);
  return number;
}

/** Adds `sweep` and `worker` to the program. */
export function registerCommands(program: Command): void {
  program
    .command("sweep")
    .description("train a figure's runs (local pool, or workers on a Redis queue) and write its figures")
    .argument("[target]", `figure ids and packages (${SWEEP_PACKAGES.join(", ")}), comma-separated`)
    .option("--profile <name>", "smoke | quick | cpu | paper (env SAM_REPRO_PROFILE; default cpu)")
    .option("--queue [url]", `train on workers of the queue at redis://HOST:PORT (no value: $${REDIS_URL_ENV_VAR}; password only from $${REDIS_URL_ENV_VAR} or $${REDIS_PASSWORD_ENV_VAR})`)
    .option("--attempts <n>", "attempts per run before it is reported failed (3)", "3")
    .option("--out <dir>", `where the figures go (env ${REPORTS_DIR_ENV_VAR}; default reports/ at the cpu profile, reports/<profile>/ otherwise)`)
    .option("--status", "show the queue's runs and workers, then exit")
    .action(async (target: string | undefined, flags: { profile?: string; queue?: string | true; attempts: string; out?: string; status?: boolean }) => {
      if (flags.status) {
        const target = resolveQueueTarget(flags.queue);
        await checkReachable(target);
        process.stdout.write(`${await queueStatus(target)}\n`);
        return;
      }
      if (!target) throw new InputError(`sweep: a figure id or package is required; allowed: ${SWEEP_PACKAGES.join(", ")} or one of their figure ids`);
      const profile = parseProfile(flags.profile);
      await resolveSweepTarget(target); // an unknown target fails before anything is loaded or written
      const attempts = positiveInteger("--attempts", flags.attempts);
      const queue = flags.queue !== undefined ? resolveQueueTarget(flags.queue) : undefined;
      if (queue) await checkReachable(queue);
      // As `reproduce`: a non-default profile never overwrites the committed results in reports/.
      const out = profileReportsDir(profile, flags.out);
      checkOutputLocation(out, flags.out != null ? "--out" : "reports directory");
      setSetting(REPORTS_DIR_ENV_VAR, out);
      process.stderr.write(`${describeBackend(await initBackend())}\n`);
      const report = await sweep({ target, profile, attempts, ...(queue ? { queue } : {}) });
      const stats = report.queue ? `; ${report.queue.stored} run(s) came back through the queue, ${report.queue.retried.length} retried` : "";
      process.stderr.write(`sweep: ${report.written.length} figure(s) written, ${report.failed.length} failed${stats}\n`);
      for (const failure of report.failed) process.stderr.write(`  ${failure.figure}: ${failure.error}\n`);
      if (report.failed.length) process.exitCode = 1;
    });

  program
    .command("worker")
    .description("take training runs from a Redis queue, train them, and send the results back")
    .option("--queue [url]", `the queue at redis://HOST:PORT (no value or no flag: $${REDIS_URL_ENV_VAR})`)
    .option("--concurrency <n>", "runs trained at once, one process each (1)", "1")
    .option("--runs-dir <dir>", `checkpoints of the runs (env ${RUNS_DIR_ENV_VAR}; shared storage lets another worker resume a run)`)
    .option("--data-dir <dir>", `data directory (env ${DATA_DIR_ENV_VAR})`)
    .action(async (flags: { queue?: string | true; concurrency: string; runsDir?: string; dataDir?: string }) => {
      const target = resolveQueueTarget(flags.queue);
      const concurrency = positiveInteger("--concurrency", flags.concurrency);
      lockDurationFromEnv(); // a bad value fails here, before anything starts
      await checkReachable(target);
      const runs = path.resolve(flags.runsDir ?? runsDirectory());
      const trainerEnv: Record<string, string> = {};
      if (flags.dataDir) trainerEnv[DATA_DIR_ENV_VAR] = path.resolve(flags.dataDir);
      const backend = readSetting(BACKEND_ENV_VAR);
      if (backend !== undefined) trainerEnv[BACKEND_ENV_VAR] = backend;
      const worker = await startWorker({ target, concurrency, runsDirectory: runs, trainerEnv });
      // Stop on a signal: runs in progress are left to the queue, which hands them to another worker.
      await new Promise<void>((resolve) => {
        const stop = (signal: NodeJS.Signals) => {
          process.stderr.write(`worker ${worker.id}: ${signal}, stopping\n`);
          void worker.close().finally(resolve);
        };
        process.once("SIGINT", stop);
        process.once("SIGTERM", stop);
      });
    });
}
