/**
 * `sam-repro worker`: takes training runs from the queue, trains each in a trainer process of
 * @sam-repro/deep-nets (the same one the local pool uses), reports progress and returns the result and
 * final weights through the queue. Any number of workers on any machines; one may join or leave at
 * any time. The worker's own event loop stays free while its trainer processes compute, so BullMQ can
 * keep renewing the job locks; a worker that dies (kill -9) stops renewing, its run is detected as
 * stalled and handed to another worker.
 */
import type { ChildProcess } from "node:child_process";
import { existsSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { UnrecoverableError, Worker, type Job } from "bullmq";
import { startTrainerProcess, trainInProcess, RESULT_FILE, type StepInfo } from "@sam-repro/deep-nets";
import { LOCK_MS_ENV_VAR, lockFileFor, queueLockMsSetting, readLockHolder, writeFileAtomic, type Environment } from "@sam-repro/runner";
import { describeTarget, redisOptions, QUEUE_NAME, type RedisTarget } from "./connection.js";
import { parseTrainRequest, type TrainReply } from "./messages.js";

/** Lock timing of workers, in milliseconds (BullMQ's defaults are 30 s; tests shorten them). */
export { LOCK_MS_ENV_VAR };

/** The lock duration from $SAM_REPRO_QUEUE_LOCK_MS (default 30 s), or an InputError naming the variable. */
export function lockDurationFromEnv(env?: Environment): number {
  return queueLockMsSetting(env);
}

/** Progress a worker publishes on its active job (job.progress). */
export interface RunProgress {
  /** hostname:pid of the worker process. */
  worker: string;
  /** pid of the trainer process (it holds the run directory's lock), 0 before it is chosen. */
  trainer: number;
  step: number;
  totalSteps: number;
  epoch: number;
  epochs: number;
  loss: number | null;
  error: number | null;
}

export interface WorkerOptions {
  target: RedisTarget;
  /** Runs trained at once (one trainer process each). */
  concurrency: number;
  /** Runs directory of this machine: checkpoints go there (shared storage lets another worker resume a run). */
  runsDirectory: string;
  /** Extra environment of the trainer processes (backend, data directory). */
  trainerEnv?: Record<string, string>;
  /** Lock duration; stalled runs are looked for at a quarter of it. Default $SAM_REPRO_QUEUE_LOCK_MS or 30 s. */
  lockMs?: number;
  log?: (line: string) => void;
}

/** A running worker; `close` stops taking runs, stops its trainers and disconnects. */
export interface RunningWorker {
  id: string;
  close(): Promise<void>;
}

/**
 * On shared storage, the run directory of a run whose worker died (BullMQ found its job stalled) is
 * still locked by that worker's trainer on another host, which the lock cannot check. The job's last
 * progress names that trainer: when the lock's holder is exactly it, the lock is left over and removed.
 * (On the same host, the lock itself sees that the holder is gone.)
 */
function releaseStaleLock(directory: string, previous: Partial<RunProgress>, log: (line: string) => void): void {
  const holder = readLockHolder(directory);
  const [host, pid] = [previous.worker!.slice(0, previous.worker!.lastIndexOf(":")), previous.trainer];
  if (holder && holder.host === host && holder.pid === pid && host !== os.hostname()) {
    rmSync(lockFileFor(directory), { force: true });
    log(`worker: removed the lock of ${directory} left by the stalled attempt on ${host} (trainer pid ${pid})`);
  }
}

/** Starts a worker on the queue at `options.target`. */
export async function startWorker(options: WorkerOptions): Promise<RunningWorker> {
  const id = `${os.hostname()}:${process.pid}`;
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const lockMs = options.lockMs ?? lockDurationFromEnv();
  const idle: ChildProcess[] = [];
  const all = new Set<ChildProcess>();
  const startTrainer = (): ChildProcess => {
    const child = startTrainerProcess(options.trainerEnv ?? {});
    all.add(child);
    child.once("exit", () => all.delete(child));
    return child;
  };
  const takeTrainer = (): ChildProcess => {
    for (let child = idle.pop(); child; child = idle.pop()) if (child.exitCode === null && child.signalCode === null) return child;
    return startTrainer();
  };
  // One trainer per slot, started now: loading tfjs takes seconds, which the first run should not wait for.
  for (let slot = 0; slot < options.concurrency; slot++) idle.push(startTrainer());

  const processRun = async (job: Job): Promise<TrainReply> => {
    let request;
    try {
      request = parseTrainRequest(job.data);
    } catch (error) {
      // Retrying cannot fix a malformed message: fail the job now, with the reason, and keep working.
      throw new UnrecoverableError(`job ${job.id}: ${(error as Error).message}`);
    }
    // The progress an earlier attempt left: who trained this run before (see releaseStaleLock).
    const previous = typeof job.progress === "object" ? (job.progress as Partial<RunProgress>) : null;
    let trainerPid = 0;
    const progress = (info: Partial<StepInfo>) =>
      job
        .updateProgress({
          worker: id,
          trainer: trainerPid,
          step: info.step ?? 0,
          totalSteps: info.totalSteps ?? 0,
          epoch: info.epoch ?? 0,
          epochs: info.epochs ?? request.config.epochs,
          loss: info.loss ?? null,
          error: info.error ?? null,
        } satisfies RunProgress)
        .catch(() => {}); // Redis away for a moment: the next report will do.
    await progress({});
    let config = request.config;
    if (request.initSource) {
      // The run to fine-tune from, unless this runs directory already has it (shared storage).
      const source = path.join(options.runsDirectory, request.initSource.directory);
      if (!existsSync(path.join(source, RESULT_FILE))) {
        writeFileAtomic(path.join(source, request.initSource.weightsFile), Buffer.from(request.initSource.weightsBase64, "base64"));
        writeFileAtomic(path.join(source, RESULT_FILE), request.initSource.resultJson);
      }
      config = { ...config, initFrom: source };
    }
    const directory = path.join(options.runsDirectory, request.directory);
    if (previous?.worker && previous.worker !== id) releaseStaleLock(directory, previous, log);
    let lastReport = 0;
    const trainer = takeTrainer();
    trainerPid = trainer.pid ?? 0;
    let result;
    try {
      result = await trainInProcess(trainer, { type: "train", name: request.name, config, directory }, (info) => {
        const now = Date.now();
        if (now - lastReport > 1000 || info.step === info.totalSteps) {
          lastReport = now;
          void progress(info);
        }
      });
    } finally {
      idle.push(trainer); // a trainer that has exited is skipped by takeTrainer
    }
    const weightsPath = result.weightsFile ? path.join(directory, result.weightsFile) : "";
    const weightsBase64 = weightsPath && existsSync(weightsPath) ? readFileSync(weightsPath).toString("base64") : "";
    return { result, weightsBase64 };
  };

  const worker = new Worker(QUEUE_NAME, processRun, {
    connection: redisOptions(options.target),
    concurrency: options.concurrency,
    lockDuration: lockMs,
    // A dead worker's lock expires after lockMs; checking 4 times as often finds its run within ~1.25 lockMs
    // instead of up to 2 lockMs (a check is one small script in Redis).
    stalledInterval: Math.round(lockMs / 4),
    // A run whose worker died goes back to the queue (at most twice); attempts for thrown errors are set per job.
    maxStalledCount: 2,
    name: `sam-repro-worker-${id}`,
  });
  worker.on("active", (job) => log(`worker ${id}: training ${job.id} (attempt ${job.attemptsMade + 1})`));
  worker.on("completed", (job) => log(`worker ${id}: done ${job.id}`));
  worker.on("failed", (job, error) => log(`worker ${id}: ${job?.id ?? "a job"} failed: ${error.message.split("\n")[0]}`));
  worker.on("error", (error) => log(`worker ${id}: queue error: ${error.message}`));
  try {
    await worker.waitUntilReady();
  } catch (error) {
    for (const child of all) child.kill(); // their IPC channels would keep this process alive
    throw error;
  }
  log(`worker ${id}: taking runs from ${describeTarget(options.target)} (queue ${QUEUE_NAME}, concurrency ${options.concurrency}, runs in ${options.runsDirectory})`);
  return {
    id,
    async close() {
      for (const child of all) child.kill();
      await worker.close(true);
    },
  };
}
