import { afterAll, beforeAll, describe, expect, test } from "@jest/globals";
import type { ChildProcess } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { Queue } from "bullmq";
import { findDatasetDirectory, resolveDataDirectory, RUNS_DIR_ENV_VAR, trainConfigSchema, type RunResult, type TrainJob } from "@sam-repro/deep-nets";
import { initBackend } from "@sam-repro/runtime";
import { redisOptions, QUEUE_NAME } from "./connection.js";
import { createQueueExecutor } from "./queue-executor.js";
import { sweep } from "./sweep.js";
import { redisServerBinary, startTestRedis, startWorkerProcess, waitForLine, type TestRedis } from "./test-redis.js";
import type { RunProgress } from "./worker.js";

// The queue tests need redis-server (the Debian package; .ci/run installs it) and CIFAR-10 (the smoke
// figures train on a 32-image subset of it).
const redisBinary = redisServerBinary();
const dataMissing = (() => {
  try {
    const directory = resolveDataDirectory("cifar10");
    return findDatasetDirectory("cifar10", directory) ? null : `nothing under ${directory}`;
  } catch (error) {
    return (error as Error).message;
  }
})();
const skipReason = !redisBinary ? "redis-server is not installed" : dataMissing ? `no CIFAR-10 (${dataMissing})` : null;
if (skipReason) console.warn(`sweep queue tests skipped: ${skipReason}`);
const describeQueue = skipReason ? describe.skip : describe;

const LOCK_MS = "3000";
let temporary: string;
let redis: TestRedis;
const workers: ChildProcess[] = [];
const workerLog: string[] = [];
const saved: Record<string, string | undefined> = {};

function setEnv(values: Record<string, string>): void {
  for (const [key, value] of Object.entries(values)) {
    if (!(key in saved)) saved[key] = process.env[key];
    process.env[key] = value;
  }
}

/** Points the run store and reports at `name` under the temporary directory. */
function useStore(name: string): { runs: string; reports: string } {
  const runs = path.join(temporary, name, "runs");
  const reports = path.join(temporary, name, "reports");
  setEnv({ [RUNS_DIR_ENV_VAR]: runs, SAM_REPRO_REPORTS_DIR: reports });
  return { runs, reports };
}

/** A figure's data.json and claims.json without what measures time (wall seconds, images per second). */
function figureContent(reports: string, figure: string): unknown {
  const strip = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(strip);
    if (value && typeof value === "object") {
      return Object.fromEntries(Object.entries(value).filter(([key]) => !/seconds|wall|persecond|elapsed/i.test(key)).map(([key, inner]) => [key, strip(inner)]));
    }
    return value;
  };
  const read = (file: string) => strip(JSON.parse(readFileSync(path.join(reports, figure, file), "utf8")));
  return { data: read("data.json"), claims: read("claims.json") };
}

const local = new Map<string, unknown>();

/** A Queue for the test's own look at Redis, and its closer. */
function openQueue(): { queue: Queue; close: () => Promise<void> } {
  const queue = new Queue(QUEUE_NAME, { connection: redisOptions(redis.target) });
  return { queue, close: () => queue.close() };
}

function addWorker(): ChildProcess {
  const child = startWorkerProcess({ url: redis.url, runsDirectory: path.join(temporary, `worker-${workers.length}`), env: { SAM_REPRO_QUEUE_LOCK_MS: LOCK_MS }, log: workerLog });
  workers.push(child);
  return child;
}

const alive = (child: ChildProcess) => child.exitCode === null && child.signalCode === null;

describeQueue(`sweep over a BullMQ queue with real worker processes${skipReason ? ` (skipped: ${skipReason})` : ""}`, () => {
  beforeAll(async () => {
    await initBackend("wasm");
    temporary = mkdtempSync(path.join(os.tmpdir(), "sweep-test-"));
    setEnv({ SAM_REPRO_QUIET: "1" });
    redis = await startTestRedis(redisBinary!);
    for (let i = 0; i < 3; i++) addWorker();
    // The reference: the same figures trained by the local pool (this process), one run store each.
    for (const figure of ["fig10-interpolation", "msam-vs-m", "fig1-perturbations"]) {
      const { reports } = useStore(`local-${figure}`);
      const report = await sweep({ target: figure, profile: "smoke", log: () => {} });
      expect(report.failed).toEqual([]);
      local.set(figure, figureContent(reports, figure));
    }
    await Promise.all(workers.map((_, i) => waitForLine(workerLog, new RegExp(`runs in .*worker-${i}\\)`))));
    // 15 smoke runs on wasm (msam-vs-m has 7 since it gained GroupNorm and ghost-BatchNorm arms): a loaded machine needs more than 5 minutes.
  }, 900_000);

  afterAll(async () => {
    for (const child of workers) if (alive(child)) child.kill("SIGKILL");
    await redis?.stop();
    for (const [key, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
    if (temporary) rmSync(temporary, { recursive: true, force: true });
  });

  test("a smoke sweep over 3 workers writes the same figures as the local pool (fine-tuning runs start from weights sent through the queue)", async () => {
    const { reports, runs } = useStore("queue");
    const report = await sweep({ target: "fig10-interpolation", profile: "smoke", queue: redis.target, pollMs: 200, log: () => {} });
    expect(report.failed).toEqual([]);
    // Fig. 10 trains Fig. 9's runs: 2 base runs, then 3 continuations started from their weights.
    expect(report.queue!.stored).toBe(5);
    expect(figureContent(reports, "fig10-interpolation")).toEqual(local.get("fig10-interpolation"));
    // Runs came back into this run store only through Redis: the workers' own run directories are elsewhere.
    expect(readdirSync(path.join(runs, "deep-nets", "smoke")).length).toBe(5);
    const trainedBy = new Set(workerLog.filter((line) => / done deep-nets\.smoke\.ft-/.test(line)).map((line) => line.split(" ")[1]));
    expect(trainedBy.size).toBeGreaterThan(1);
  }, 600_000);

  test("malformed messages fail their job with the field named and do not stop any worker", async () => {
    const { queue, close } = openQueue();
    try {
      const bad = [
        await queue.add("garbage", { format: "not-a-run" }, { attempts: 3 }),
        await queue.add("escape", { format: "sam-repro/train@1", name: "x", profile: "smoke", directory: "../../etc", hash: "h", config: {}, initSource: null }),
        await queue.add("text", "just a string" as never),
      ];
      const reasons: string[] = [];
      for (const job of bad) {
        for (let i = 0; i < 300 && (await queue.getJob(job.id!).then((j) => j!.getState())) !== "failed"; i++) await new Promise((r) => setTimeout(r, 100));
        const failed = (await queue.getJob(job.id!))!;
        expect(await failed.getState()).toBe("failed");
        expect(failed.attemptsMade).toBe(1); // not retried: a malformed message stays malformed
        reasons.push(failed.failedReason);
      }
      expect(reasons[0]).toMatch(/malformed training request: format: .*\(got "not-a-run"\)/);
      expect(reasons[1]).toMatch(/malformed training request: (directory|config\.\w+): /);
      expect(reasons[2]).toMatch(/malformed training request: \(the message\): .*\(got "just a string"\)/);
      for (const job of bad) await (await queue.getJob(job.id!))!.remove();
    } finally {
      await close();
    }
    expect(workers.every(alive)).toBe(true);
  }, 120_000);

  test("a worker killed with kill -9 mid-run: its run stalls, another worker retrains it, the figure equals the local one", async () => {
    const { reports } = useStore("killed");
    const { queue, close } = openQueue();
    let killed: number | null = null;
    const running = sweep({ target: "msam-vs-m", profile: "smoke", queue: redis.target, pollMs: 200, log: () => {} });
    try {
      for (let i = 0; i < 600 && killed === null; i++) {
        for (const job of await queue.getActive()) {
          const progress = job.progress as Partial<RunProgress>;
          const pid = Number(String(progress.worker ?? "").split(":").at(-1));
          const victim = workers.find((child) => child.pid === pid && alive(child));
          if (victim) {
            victim.kill("SIGKILL");
            killed = pid;
            break;
          }
        }
        if (killed === null) await new Promise((r) => setTimeout(r, 100));
      }
    } finally {
      await close();
    }
    expect(killed).not.toBeNull();
    addWorker(); // a worker can join mid-sweep
    const report = await running;
    expect(report.failed).toEqual([]);
    // m-SAM vs m at smoke: ERM and m = 16 (the batch: SAM) and 4 with BatchNorm and GroupNorm, plus ghost-BatchNorm ERM.
    expect(report.queue!.stored).toBe(7);
    expect(report.queue!.retried.length).toBeGreaterThanOrEqual(1);
    expect(figureContent(reports, "msam-vs-m")).toEqual(local.get("msam-vs-m"));
  }, 600_000);

  test("Redis restarted mid-sweep (AOF on): no run lost or stored twice, the figure equals the local one", async () => {
    const { reports, runs } = useStore("restart");
    const stored: string[] = [];
    const sweepLog: string[] = [];
    const running = sweep({ target: "fig1-perturbations", profile: "smoke", queue: redis.target, pollMs: 200, log: (line) => sweepLog.push(line) });
    const store = path.join(runs, "deep-nets", "smoke");
    const completed = () => (existsSync(store) ? readdirSync(store).filter((run) => existsSync(path.join(store, run, "result.json"))) : []);
    for (let i = 0; i < 1200 && completed().length === 0; i++) await new Promise((r) => setTimeout(r, 100));
    stored.push(...completed());
    expect(stored.length).toBeGreaterThanOrEqual(1);
    // Down longer than the first reconnection delay (1 s), so that the clients find it gone, not just restarted.
    await redis.restart(1500);
    const report = await running;
    expect(sweepLog.some((line) => /queue unreachable \(connect ECONNREFUSED/.test(line))).toBe(true);
    expect(workers.filter(alive).length).toBe(3); // the two first workers left after kill -9, and the one that joined
    expect(report.failed).toEqual([]);
    expect(report.queue!.stored).toBe(5); // every run stored exactly once: 5 runs (ERM, 16-SAM, 4-SAM, n-SAM, Random), 5 stores
    expect(completed().length).toBe(5);
    expect(figureContent(reports, "fig1-perturbations")).toEqual(local.get("fig1-perturbations"));
  }, 600_000);

  test("a run that throws is retried, then reported failed with its error, while the other runs are stored", async () => {
    useStore("throws");
    const base = { model: "resnet_tiny", width: 4, trainSize: 32, validationSize: 100, testSize: 32, augment: false, epochs: 1, batchSize: 16, evalEvery: 1, evalTrainSize: 16 };
    const good: TrainJob = { name: "good", config: trainConfigSchema.parse({ ...base, seed: 7, sam: { variant: "sgd" } }) };
    // A batch larger than the training set: the trainer throws an InputError on every attempt.
    const bad: TrainJob = { name: "bad", config: trainConfigSchema.parse({ ...base, batchSize: 64, seed: 7, sam: { variant: "sgd" } }) };
    const { executor, stats, close } = createQueueExecutor({ target: redis.target, attempts: 2, pollMs: 200 });
    const done: RunResult[] = [];
    try {
      await expect(executor([good, bad], "smoke", () => {}, (_job, result) => done.push(result))).rejects.toThrow(
        /^1 run\(s\) failed: bad: InputError: batchSize\b.*\b64 is larger than the 32 training images.*\(after 2 attempt\(s\)\)$/,
      );
    } finally {
      await close();
    }
    expect(done.map((result) => result.status)).toEqual(["completed"]);
    expect(stats.failed.map((failure) => failure.run)).toEqual(["bad"]);
  }, 600_000);

  test("a figure whose run keeps failing is reported with the error; the sweep still writes the other figures", async () => {
    // Fig. 1's runs are complete here (copied from its local reference); msam-vs-m's go to the queue,
    // where the one worker left has no data (its trainer throws on every attempt).
    const { reports, runs } = useStore("partial");
    cpSync(path.join(temporary, "local-fig1-perturbations", "runs"), runs, { recursive: true });
    for (const child of workers) if (alive(child)) child.kill("SIGKILL");
    const emptyData = path.join(temporary, "no-data");
    mkdirSync(emptyData);
    const lost = startWorkerProcess({ url: redis.url, runsDirectory: path.join(temporary, "worker-no-data"), env: { SAM_REPRO_QUEUE_LOCK_MS: LOCK_MS, SAM_REPRO_DATA_DIR: emptyData }, log: workerLog });
    workers.push(lost);
    const report = await sweep({ target: "msam-vs-m,fig1-perturbations", profile: "smoke", queue: redis.target, attempts: 2, pollMs: 200, log: () => {} });
    expect(report.written).toEqual(["fig1-perturbations"]);
    expect(report.failed.map((failure) => failure.figure)).toEqual(["msam-vs-m"]);
    expect(report.failed[0]!.error).toMatch(/run\(s\) failed: .*cifar10: .*\(after 2 attempt\(s\)\)/);
    expect(figureContent(reports, "fig1-perturbations")).toEqual(local.get("fig1-perturbations"));
    expect(existsSync(path.join(reports, "msam-vs-m"))).toBe(false);
  }, 600_000);

  test("workers sharing one runs directory: a worker killed after a checkpoint, its run finished by another, the figure equals the local one", async () => {
    for (const child of workers) if (alive(child)) child.kill("SIGKILL");
    const shared = path.join(temporary, "shared-runs");
    for (let i = 0; i < 2; i++) {
      workers.push(startWorkerProcess({ url: redis.url, runsDirectory: shared, env: { SAM_REPRO_QUEUE_LOCK_MS: LOCK_MS }, log: workerLog }));
    }
    const { reports } = useStore("shared");
    const { queue, close } = openQueue();
    let killed = false;
    const running = sweep({ target: "msam-vs-m", profile: "smoke", queue: redis.target, pollMs: 200, log: () => {} });
    try {
      // Kill the worker of a run that has a checkpoint (an epoch done) and no result yet.
      for (let i = 0; i < 3000 && !killed; i++) {
        for (const job of await queue.getActive()) {
          const run = path.join(shared, (job.data as { directory: string }).directory);
          if (!existsSync(path.join(run, "checkpoint.json")) || existsSync(path.join(run, "result.json"))) continue;
          const pid = Number(String((job.progress as Partial<RunProgress>).worker ?? "").split(":").at(-1));
          const victim = workers.find((child) => child.pid === pid && alive(child));
          if (victim) {
            victim.kill("SIGKILL");
            killed = true;
            break;
          }
        }
        if (!killed) await new Promise((r) => setTimeout(r, 20));
      }
    } finally {
      await close();
    }
    expect(killed).toBe(true);
    const report = await running;
    expect(report.failed).toEqual([]);
    expect(report.queue!.retried.length).toBeGreaterThanOrEqual(1);
    expect(figureContent(reports, "msam-vs-m")).toEqual(local.get("msam-vs-m"));
  }, 600_000);
});
