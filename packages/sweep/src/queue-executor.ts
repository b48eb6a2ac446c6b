/**
 * The sweeping machine's side of the queue: a JobExecutor (@sam-repro/deep-nets) that enqueues a
 * figure's pending runs on BullMQ, follows them by polling their state (robust to missed events while
 * Redis restarts), stores each result and its weights in the local run store exactly once, and reports
 * runs that failed after their attempts.
 */
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { Queue, QueueEvents, type Job } from "bullmq";
import { jobDirectory, jobHash, runsDirectory, storeRunResult, RESULT_FILE, type JobExecutor, type RunResult, type TrainJob } from "@sam-repro/deep-nets";
import type { Profile } from "@sam-repro/runner";
import { redisOptions, QUEUE_NAME, type RedisTarget } from "./connection.js";
import { jobIdOf, parseTrainReply, REQUEST_FORMAT, type TrainRequest } from "./messages.js";
import type { RunProgress } from "./worker.js";

export interface QueueExecutorOptions {
  target: RedisTarget;
  /** Attempts per run before it is reported failed (a thrown error; a stalled worker counts separately). */
  attempts: number;
  /** How often the runs' states are read. */
  pollMs: number;
  /** Status lines (counts per state, what each worker trains). */
  onStatus?: (line: string) => void;
}

/** What the executor did, for the sweep's report. */
export interface QueueStats {
  /** Runs whose results came back through the queue and were stored. */
  stored: number;
  /** Of those, runs that took more than one attempt (a worker died or the run threw first). */
  retried: string[];
  /** Runs reported failed, with their error. */
  failed: Array<{ run: string; error: string }>;
}

/** Opens the queue and returns the executor, its statistics and a close function. */
export function createQueueExecutor(options: QueueExecutorOptions): { executor: JobExecutor; stats: QueueStats; close: () => Promise<void> } {
  const queue = new Queue(QUEUE_NAME, { connection: redisOptions(options.target) });
  // A status line is shown once, until it changes.
  let lastStatus = "";
  const showStatus = (line: string) => {
    if (line !== lastStatus) options.onStatus?.(line);
    lastStatus = line;
  };
  // While Redis is away, commands wait for ioredis to reconnect; each failed attempt is an 'error' event.
  queue.on("error", (error) => showStatus(`queue unreachable (${error.message}); waiting for it to come back`));
  // Progress is only shown, so it comes from the event stream (a missed event is harmless): reading whole
  // jobs at every poll would fetch the weights that fine-tuning jobs carry again and again.
  const events = new QueueEvents(QUEUE_NAME, { connection: redisOptions(options.target) });
  events.on("error", () => {});
  const latestProgress = new Map<string, Partial<RunProgress>>();
  events.on("progress", ({ jobId, data }) => {
    if (typeof data === "object" && data !== null) latestProgress.set(jobId, data as Partial<RunProgress>);
  });
  const stats: QueueStats = { stored: 0, retried: [], failed: [] };

  const enqueue = async (request: TrainRequest): Promise<void> => {
    const id = jobIdOf(request.directory);
    const state = await queue.getJobState(id);
    // A run that failed in an earlier sweep is tried again; one in any other state is followed as it is.
    if (state === "failed") await queue.remove(id);
    else if (state !== "unknown") return;
    await queue.add(request.name, request, {
      jobId: id,
      attempts: options.attempts,
      backoff: { type: "exponential", delay: 1000 },
      removeOnComplete: false,
      removeOnFail: false,
    });
  };

  const executor: JobExecutor = async (pending, profile, onStep, onDone) => {
    const outstanding = new Map<string, { job: TrainJob; request: TrainRequest }>();
    for (const job of pending) {
      const request = trainRequest(job, profile);
      await retry(() => enqueue(request));
      outstanding.set(jobIdOf(request.directory), { job, request });
    }
    const failures: Array<{ run: string; error: string }> = [];
    while (outstanding.size > 0) {
      await sleep(options.pollMs);
      const counts = { queued: 0, active: 0 };
      const working: string[] = [];
      try {
        for (const [id, { job, request }] of [...outstanding]) {
          const state = await queue.getJobState(id);
          if (state === "unknown") {
            // Gone from Redis (flushed, or restarted without its AOF): queue it again, nothing is lost.
            await enqueue(request);
            counts.queued++;
            continue;
          }
          const queued = state === "completed" || state === "failed" ? await queue.getJob(id) : null;
          if (state === "completed" && queued) {
            outstanding.delete(id);
            try {
              collect(queued, job, profile, onDone);
            } catch (error) {
              failures.push({ run: job.name, error: (error as Error).message });
              stats.failed.push(failures.at(-1)!);
            }
            await queued.remove().catch(() => {});
          } else if (state === "failed" && queued) {
            // The trainer's message starts with the run's name, which the report puts first anyway.
            const firstLine = queued.failedReason.split("\n")[0]!;
            const reason = firstLine.startsWith(`${job.name}: `) ? firstLine.slice(job.name.length + 2) : firstLine;
            const failure = { run: job.name, error: `${reason} (after ${queued.attemptsMade} attempt(s))` };
            failures.push(failure);
            stats.failed.push(failure);
            outstanding.delete(id);
          } else if (state === "active") {
            counts.active++;
            const progress = latestProgress.get(id);
            if (progress?.worker) {
              working.push(`${progress.worker} ${job.name} epoch ${progress.epoch}/${progress.epochs}`);
              if (progress.totalSteps) {
                onStep(job, { epoch: progress.epoch ?? 0, epochs: progress.epochs ?? 0, step: progress.step ?? 0, totalSteps: progress.totalSteps, loss: progress.loss ?? Number.NaN, error: progress.error ?? Number.NaN, imagesPerSecond: 0 });
              }
            }
          } else counts.queued++;
        }
      } catch (error) {
        showStatus(`queue unreachable (${(error as Error).message}); retrying`);
        continue;
      }
      const status = `runs: ${counts.queued} queued, ${counts.active} active, ${pending.length - outstanding.size - failures.length} done, ${failures.length} failed${working.length ? ` | ${working.join("; ")}` : ""}`;
      showStatus(status);
    }
    if (failures.length) {
      throw new Error(`${failures.length} run(s) failed: ${failures.map((f) => `${f.run}: ${f.error.split("\n")[0]}`).join("; ")}`);
    }
  };

  const collect = (queued: Job, job: TrainJob, profile: Profile, onDone: (job: TrainJob, result: RunResult) => void) => {
    const reply = parseTrainReply(queued.returnvalue);
    const weights = reply.weightsBase64 ? Buffer.from(reply.weightsBase64, "base64") : null;
    onDone(job, storeRunResult(job, profile, reply.result, weights));
    stats.stored++;
    if (queued.attemptsMade > 1 || (queued.stalledCounter ?? 0) > 0) stats.retried.push(job.name);
  };

  const close = async () => {
    await Promise.all([queue.close(), events.close()]);
  };
  return { executor, stats, close };
}

/** The queue message of a job: its run directory (relative to the runs directory), identity and config. */
function trainRequest(job: TrainJob, profile: Profile): TrainRequest {
  return {
    format: REQUEST_FORMAT,
    name: job.name,
    profile,
    directory: path.relative(runsDirectory(), jobDirectory(job, profile)),
    hash: jobHash(job),
    config: job.config,
    initSource: job.config.initFrom ? initSource(job.config.initFrom) : null,
  };
}

/** The run a fine-tuning job starts from, read from the local run store to travel with the job. */
function initSource(initFrom: string): NonNullable<TrainRequest["initSource"]> {
  const resultFile = path.join(initFrom, RESULT_FILE);
  if (!existsSync(resultFile)) throw new Error(`initFrom: ${initFrom} has no ${RESULT_FILE} (its run must finish first)`);
  const resultJson = readFileSync(resultFile, "utf8");
  const weightsFile = (JSON.parse(resultJson) as RunResult).weightsFile;
  const relative = path.relative(runsDirectory(), initFrom);
  const directory = relative.startsWith("..") || path.isAbsolute(relative) ? path.join("imports", path.basename(initFrom)) : relative;
  return { directory, resultJson, weightsFile, weightsBase64: readFileSync(path.join(initFrom, weightsFile)).toString("base64") };
}

/** Retries `action` while Redis is unreachable (up to about a minute). */
async function retry<T>(action: () => Promise<T>, tries = 60): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await action();
    } catch (error) {
      if (attempt >= tries) throw error;
      await sleep(1000);
    }
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
