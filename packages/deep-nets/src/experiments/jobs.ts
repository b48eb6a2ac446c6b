import { fork, type ChildProcess } from "node:child_process";
import os from "node:os";
import * as tf from "@tensorflow/tfjs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import {
  THREADS_ENV_VAR,
  WORKERS_ENV_VAR,
  commitRunResult,
  createProgress,
  readFinishedResult,
  readSetting,
  runDirectory,
  workersSetting,
  writeFileAtomic,
  writeJsonAtomic,
  type Profile,
} from "@sam-repro/runner";
import { activeBackend } from "@sam-repro/runtime";
import type { CifarData } from "../data/cifar-files.js";
import { loadCifar } from "../data/cifar-files.js";
import type { DatasetName } from "../data/cifar-format.js";
import { configHash, type TrainConfig } from "../training/config.js";
import { CONFIG_FILE, writeMetricsFile, type RunResult } from "../training/run-store.js";
import { trainRun, type StepInfo } from "../training/trainer.js";

/** One training run of a figure. Jobs with equal configs share one run directory (and one result). */
export interface TrainJob {
  name: string;
  config: TrainConfig;
}

/** Environment variable: worker processes for a figure's runs (runner's settings module; default: `workerCount`). */
export { WORKERS_ENV_VAR };

/** The identity of a job's run: the hash of its config and the active backend. */
export function jobHash(job: TrainJob): string {
  return configHash(job.config, tf.getBackend());
}

/** The directory of a job in the run store: runs/deep-nets/<profile>/<name>-<hash of config and active backend>. */
export function jobDirectory(job: TrainJob, profile: Profile): string {
  return runDirectory({ package: "deep-nets", profile, name: job.name, hash: jobHash(job) });
}

/** Steps a job takes (for the combined progress bar). */
function jobSteps(job: TrainJob): number {
  const train = job.config.trainSize ?? 45_000;
  return job.config.epochs * Math.floor(train / job.config.batchSize);
}

const dataCache = new Map<DatasetName, CifarData>();

/** Loads a dataset once per process. */
export function cachedCifar(dataset: DatasetName): CifarData {
  let data = dataCache.get(dataset);
  if (!data) {
    data = loadCifar(dataset);
    dataCache.set(dataset, data);
  }
  return data;
}

/**
 * Worker processes to use for `pending` runs: SAM_REPRO_WORKERS, else one per core (at most the runs
 * waiting). On the native backend each worker then runs one kernel thread (`threadsPerWorker`): two
 * single-threaded runs side by side train ~1.4x the images per second of one run on two threads
 * (measured, 1-block PreAct ResNet w16, batch 128: ERM 8.3 s per 5k-image epoch on one thread, 5.5 s
 * on two), and the thread count does not change a run's numbers (each kernel sums in a fixed order).
 */
function workerCount(pending: number): number {
  const requested = workersSetting();
  if (requested !== undefined) return requested;
  const backend = activeBackend();
  const cores = Math.max(1, os.cpus().length);
  // tfjs-node's own thread pool is not ours to size: one process uses every core.
  if (backend && backend.threads > 1 && backend.backend !== "native") return 1;
  return Math.max(1, Math.min(backend?.backend === "native" ? cores : 2, cores, pending));
}

/** Kernel threads of each of `workers` native worker processes: SAM_REPRO_THREADS if set, else the cores shared out. */
function threadsPerWorker(workers: number): Record<string, string> {
  if (readSetting(THREADS_ENV_VAR) !== undefined || activeBackend()?.backend !== "native") return {};
  return { [THREADS_ENV_VAR]: String(Math.max(1, Math.floor(os.cpus().length / workers))) };
}

// Worker processes can run only where this module can be loaded again: compiled JavaScript, or the
// TypeScript sources under the CLI's tsx loader (not inside jest's module sandbox).
function canFork(): boolean {
  if (process.env.JEST_WORKER_ID !== undefined) return false;
  const self = fileURLToPath(import.meta.url);
  return self.endsWith(".js") || process.execArgv.some((arg) => arg.includes("tsx"));
}

/** The result of a job whose run is complete (result.json for this config and backend), or null. */
export function completedRun(job: TrainJob, profile: Profile): RunResult | null {
  return readFinishedResult<RunResult>(jobDirectory(job, profile), jobHash(job));
}

/**
 * Trains the runs of `pending` (none complete yet) and calls `onDone` with each result, `onStep` with
 * progress. Rejects when a run could not be trained, after the other runs have finished.
 */
export type JobExecutor = (
  pending: TrainJob[],
  profile: Profile,
  onStep: (job: TrainJob, info: StepInfo) => void,
  onDone: (job: TrainJob, result: RunResult) => void,
) => Promise<void>;

let executor: JobExecutor | null = null;

/**
 * Routes the training of every later `runJobs` call to `next` (a job queue, @sam-repro/sweep) instead
 * of the local pool; null restores the local pool. Returns the previous executor.
 */
export function setJobExecutor(next: JobExecutor | null): JobExecutor | null {
  const previous = executor;
  executor = next;
  return previous;
}

/**
 * Stores a run trained elsewhere (a sweep worker) in this machine's run store, as `trainRun` would have
 * left it: the final weights file, config.json, metrics.jsonl, then result.json (the commit point).
 * The result carries this machine's run identity (config and hash); `backend` keeps who trained it.
 */
export function storeRunResult(job: TrainJob, profile: Profile, result: RunResult, weights: Uint8Array | null): RunResult {
  const directory = jobDirectory(job, profile);
  const stored: RunResult = { ...result, config: job.config, hash: jobHash(job) };
  // One writer per run directory, as trainRun: a local `train` of the same run cannot interleave.
  return commitRunResult(directory, stored, {
    purpose: `sweep: store ${job.name} trained by a worker`,
    writeFiles: () => {
      if (weights && stored.weightsFile) writeFileAtomic(path.join(directory, stored.weightsFile), weights);
      writeJsonAtomic(path.join(directory, CONFIG_FILE), job.config);
      writeMetricsFile(directory, stored.metrics);
    },
  });
}

/**
 * Runs training jobs that are not complete yet: by the executor set with setJobExecutor, else by the
 * local pool (worker processes when there are several cores, this process otherwise). Results are the
 * same either way: every run is seeded and deterministic. Shows one progress bar over all jobs' steps.
 */
export async function runJobs(jobs: TrainJob[], profile: Profile, label: string): Promise<Map<string, RunResult>> {
  const results = new Map<string, RunResult>();
  if (jobs.length === 0) return results;
  const totalSteps = jobs.reduce((sum, job) => sum + jobSteps(job), 0);
  const done = new Map<string, number>();
  const report = (name: string, info: StepInfo | null, job: TrainJob) => {
    done.set(name, info ? info.step : jobSteps(job));
    const stepsDone = [...done.values()].reduce((a, b) => a + b, 0);
    const finished = jobs.filter((j) => results.has(j.name)).length;
    progress.update(stepsDone, {
      runs: `${finished}/${jobs.length}`,
      ...(info ? { run: name, epoch: `${info.epoch}/${info.epochs}`, loss: info.loss, err: info.error, "img/s": Math.round(info.imagesPerSecond) } : {}),
    });
  };
  // Finished runs are read here, so that only the others start workers (which load the data).
  const pending: TrainJob[] = [];
  for (const job of jobs) {
    const finished = completedRun(job, profile);
    if (finished) results.set(job.name, finished);
    else pending.push(job);
  }
  for (const job of jobs) if (results.has(job.name)) done.set(job.name, jobSteps(job));
  // The reused runs count in the percentage, not in the rate behind the ETA.
  const progress = createProgress(label, totalSteps, undefined, [...done.values()].reduce((a, b) => a + b, 0));
  if (pending.length === 0) {
    progress.stop();
    return results;
  }
  try {
    const onStep = (job: TrainJob, info: StepInfo) => report(job.name, info, job);
    const onDone = (job: TrainJob, result: RunResult) => {
      results.set(job.name, result);
      report(job.name, null, job);
    };
    await (executor ?? runLocalPool)(pending, profile, onStep, onDone);
    return results;
  } finally {
    progress.stop();
  }
}

/**
 * The local pool: worker processes when there are several cores (each runs one wasm backend on one core;
 * TFJS-BACKENDS.md), or this process otherwise. Every run is seeded and deterministic, so either gives the
 * same results.
 */
async function runLocalPool(
  pending: TrainJob[],
  profile: Profile,
  onStep: (job: TrainJob, info: StepInfo) => void,
  onDone: (job: TrainJob, result: RunResult) => void,
): Promise<void> {
  const workers = Math.min(workerCount(pending.length), pending.length);
  if (workers <= 1 || !canFork()) {
    for (const job of pending) {
      const result = await trainRun(job.config, {
        directory: jobDirectory(job, profile),
        data: cachedCifar(job.config.dataset),
        progress: false,
        onStep: (info) => onStep(job, info),
      });
      onDone(job, result);
    }
    return;
  }
  const queue = [...pending];
  const children = new Set<ChildProcess>();
  // A killed parent takes its workers with it (they are busy training and would notice only later).
  const stopChildren = (signal: NodeJS.Signals) => {
    for (const child of children) child.kill();
    process.exit(signal === "SIGINT" ? 130 : 143);
  };
  process.once("SIGINT", stopChildren);
  process.once("SIGTERM", stopChildren);
  const runWorker = async (): Promise<void> => {
    const child = startTrainerProcess(threadsPerWorker(workers));
    children.add(child);
    try {
      for (let job = queue.shift(); job; job = queue.shift()) {
        const current = job;
        const request: WorkerRequest = { type: "train", name: current.name, config: current.config, directory: jobDirectory(current, profile) };
        onDone(current, await trainInProcess(child, request, (info) => onStep(current, info)));
      }
    } finally {
      child.kill();
      children.delete(child);
    }
  };
  try {
    await Promise.all(Array.from({ length: workers }, () => runWorker()));
  } finally {
    process.off("SIGINT", stopChildren);
    process.off("SIGTERM", stopChildren);
  }
}

/**
 * Starts a trainer process (worker.ts): it trains the runs sent to it with `trainInProcess`, one at a
 * time, and exits when its parent goes. `env` is added to this process's environment (backend, data
 * directory). Needs compiled JavaScript or the CLI's tsx loader (see canFork).
 */
export function startTrainerProcess(env: Record<string, string> = {}): ChildProcess {
  const workerFile = fileURLToPath(new URL(`./worker.${fileURLToPath(import.meta.url).endsWith(".ts") ? "ts" : "js"}`, import.meta.url));
  return fork(workerFile, [], {
    execArgv: process.execArgv,
    env: { ...process.env, SAM_REPRO_QUIET: "1", ...env },
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
}

/** Trains one run in a trainer process; rejects with the run's error, or when the process exits first. */
export function trainInProcess(child: ChildProcess, request: WorkerRequest, onStep: (info: StepInfo) => void): Promise<RunResult> {
  return new Promise<RunResult>((resolve, reject) => {
    const onMessage = (message: WorkerMessage) => {
      if (message.type === "step") onStep(message.info);
      else if (message.type === "done") {
        cleanup();
        resolve(message.result);
      } else if (message.type === "error") {
        cleanup();
        reject(new Error(`${request.name}: ${message.message}`));
      }
    };
    const onExit = (code: number | null, signal: NodeJS.Signals | null) => {
      cleanup();
      reject(new Error(`${request.name}: trainer process exited (${signal ?? `code ${code}`})`));
    };
    const cleanup = () => {
      child.off("message", onMessage);
      child.off("exit", onExit);
    };
    if (child.exitCode !== null || child.signalCode !== null) {
      reject(new Error(`${request.name}: trainer process has exited`));
      return;
    }
    child.on("message", onMessage);
    child.on("exit", onExit);
    child.send(request);
  });
}

export type WorkerMessage =
  | { type: "step"; info: StepInfo }
  | { type: "done"; result: RunResult }
  | { type: "error"; message: string };

export type WorkerRequest = { type: "train"; name: string; config: TrainConfig; directory: string };
