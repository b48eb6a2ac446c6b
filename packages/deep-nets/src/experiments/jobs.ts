import { fork, type ChildProcess } from "node:child_process";
import os from "node:os";
import * as tf from "@tensorflow/tfjs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { createProgress, type Profile } from "@sam-repro/runner";
import { activeBackend } from "@sam-repro/runtime";
import type { CifarData } from "../data/cifar-files.js";
import { loadCifar } from "../data/cifar-files.js";
import type { DatasetName } from "../data/cifar-format.js";
import { configHash, type TrainConfig } from "../training/config.js";
import { readRunResult, runsDirectory, type RunResult } from "../training/run-store.js";
import { trainRun, type StepInfo } from "../training/trainer.js";

/** One training run of a figure. Jobs with equal configs share one run directory (and one result). */
export interface TrainJob {
  name: string;
  config: TrainConfig;
}

/** Environment variable: worker processes for a figure's runs (default: min(2, CPU cores)). */
export const WORKERS_ENV_VAR = "SAM_REPRO_WORKERS";

/** The directory of a job: runs/deep-nets/<profile>/<name>-<hash of config and active backend>. */
export function jobDirectory(job: TrainJob, profile: Profile): string {
  return path.join(runsDirectory(), "deep-nets", profile, `${job.name}-${configHash(job.config, tf.getBackend())}`);
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
 * Worker processes to use: SAM_REPRO_WORKERS, else one per core (at most 2) on the single-threaded
 * wasm backend, and one on backends that use every core themselves (native, tensorflow).
 */
function workerCount(): number {
  const requested = Number(process.env[WORKERS_ENV_VAR] ?? "");
  if (Number.isInteger(requested) && requested >= 1) return requested;
  const backend = activeBackend();
  if (backend && backend.threads > 1) return 1;
  return Math.max(1, Math.min(2, os.cpus().length));
}

// Worker processes can run only where this module can be loaded again: compiled JavaScript, or the
// TypeScript sources under the CLI's tsx loader (not inside jest's module sandbox).
function canFork(): boolean {
  if (process.env.JEST_WORKER_ID !== undefined) return false;
  const self = fileURLToPath(import.meta.url);
  return self.endsWith(".js") || process.execArgv.some((arg) => arg.includes("tsx"));
}

/**
 * Runs training jobs, in worker processes when there are several cores (each process runs one wasm
 * backend on one core; TFJS-BACKENDS.md) or in this process otherwise. Results are the same either way:
 * every run is seeded and deterministic. Shows one progress bar over all jobs' steps.
 */
export async function runJobs(jobs: TrainJob[], profile: Profile, label: string): Promise<Map<string, RunResult>> {
  const results = new Map<string, RunResult>();
  if (jobs.length === 0) return results;
  const totalSteps = jobs.reduce((sum, job) => sum + jobSteps(job), 0);
  const progress = createProgress(label, totalSteps);
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
    const finished = readRunResult(jobDirectory(job, profile));
    if (finished && finished.hash === configHash(job.config, tf.getBackend())) results.set(job.name, finished);
    else pending.push(job);
  }
  for (const job of jobs) if (results.has(job.name)) done.set(job.name, jobSteps(job));
  if (pending.length === 0) {
    progress.stop();
    return results;
  }
  const workers = Math.min(workerCount(), pending.length);
  try {
    if (workers <= 1 || !canFork()) {
      for (const job of pending) {
        const result = await trainRun(job.config, {
          directory: jobDirectory(job, profile),
          data: cachedCifar(job.config.dataset),
          progress: false,
          onStep: (info) => report(job.name, info, job),
        });
        results.set(job.name, result);
        report(job.name, null, job);
      }
      return results;
    }
    const queue = [...pending];
    const workerFile = fileURLToPath(new URL(`./worker.${fileURLToPath(import.meta.url).endsWith(".ts") ? "ts" : "js"}`, import.meta.url));
    const children = new Set<ChildProcess>();
    // A killed parent takes its workers with it (they are busy training and would notice only later).
    const stopChildren = (signal: NodeJS.Signals) => {
      for (const child of children) child.kill();
      process.exit(signal === "SIGINT" ? 130 : 143);
    };
    process.once("SIGINT", stopChildren);
    process.once("SIGTERM", stopChildren);
    const runWorker = async (): Promise<void> => {
      const child: ChildProcess = fork(workerFile, [], {
        execArgv: process.execArgv,
        env: { ...process.env, SAM_REPRO_QUIET: "1" },
        stdio: ["ignore", "inherit", "inherit", "ipc"],
      });
      children.add(child);
      try {
        for (let job = queue.shift(); job; job = queue.shift()) {
          const current = job;
          const result = await new Promise<RunResult>((resolve, reject) => {
            const onMessage = (message: WorkerMessage) => {
              if (message.type === "step") report(current.name, message.info, current);
              else if (message.type === "done") {
                cleanup();
                resolve(message.result);
              } else if (message.type === "error") {
                cleanup();
                reject(new Error(`${current.name}: ${message.message}`));
              }
            };
            const onExit = (code: number | null) => {
              cleanup();
              reject(new Error(`${current.name}: worker exited with code ${code}`));
            };
            const cleanup = () => {
              child.off("message", onMessage);
              child.off("exit", onExit);
            };
            child.on("message", onMessage);
            child.on("exit", onExit);
            child.send({ type: "train", name: current.name, config: current.config, directory: jobDirectory(current, profile) });
          });
          results.set(current.name, result);
          report(current.name, null, current);
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
    return results;
  } finally {
    progress.stop();
  }
}

export type WorkerMessage =
  | { type: "step"; info: StepInfo }
  | { type: "done"; result: RunResult }
  | { type: "error"; message: string };

export type WorkerRequest = { type: "train"; name: string; config: TrainConfig; directory: string };
