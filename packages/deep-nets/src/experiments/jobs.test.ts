import { afterAll, beforeAll, describe, expect, test } from "@jest/globals";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import * as tf from "@tensorflow/tfjs";
import { RESULT_FILE, writeResultFile } from "@sam-repro/runner";
import { configHash, type TrainConfig } from "../training/config.js";
import { RUNS_DIR_ENV_VAR, type RunResult } from "../training/run-store.js";
import { completedRun, jobDirectory, jobHash, storeRunResult, type TrainJob } from "./jobs.js";

// The config.json of the cpu profile's Fig. 1 ERM run, seed 0 (runs/deep-nets/cpu/erm-s0-aa87cce42786/ on the
// machine that trained it, native backend), as stored: not passed through the schema, whose defaults may grow.
const ERM_S0 = {
  dataset: "cifar10",
  model: "resnet_tiny",
  width: 16,
  trainSize: 5000,
  validationSize: 5000,
  testSize: 10000,
  augment: false,
  epochs: 30,
  batchSize: 128,
  learningRate: 0.1,
  schedule: "cosine",
  momentum: 0.9,
  weightDecay: 0.0005,
  sam: { variant: "sgd", rho: 0.05, ascentBatch: "same", batchNormStatistics: "both-passes", ascentSteps: 1 },
  emaTau: null,
  evalEvery: 5,
  evaluateAtStart: true,
  evalTrainSize: 1000,
  evalNoisySize: 1000,
  evalValidationSize: 0,
  sharpness: null,
  seed: 0,
} as TrainConfig;

/**
 * The hashes the code before the run store moved to @sam-repro/runner gave this config (deep-nets' own configHash
 * at commit 5099bf9, run once with tsx on each backend name): stored runs are found only while these stay the same.
 */
const OLD_HASHES = { native: "aa87cce42786", cpu: "1ee3ff99f016", wasm: "eb67ca84e2ec", tensorflow: "ec96f4a5e701" };

let runs: string;
const saved = process.env[RUNS_DIR_ENV_VAR];
beforeAll(async () => {
  await tf.setBackend("cpu");
  runs = mkdtempSync(path.join(os.tmpdir(), "deep-nets-jobs-"));
  process.env[RUNS_DIR_ENV_VAR] = runs;
});
afterAll(() => {
  rmSync(runs, { recursive: true, force: true });
  if (saved === undefined) delete process.env[RUNS_DIR_ENV_VAR];
  else process.env[RUNS_DIR_ENV_VAR] = saved;
});

describe("run directories of training jobs", () => {
  test("the hash of a fixed config on each backend is the one the old code gave (the names of existing runs)", () => {
    for (const [backend, hash] of Object.entries(OLD_HASHES)) expect(configHash(ERM_S0, backend)).toBe(hash);
  });

  test("jobDirectory is runs/deep-nets/<profile>/<name>-<hash of config and active backend>, as before", () => {
    expect(tf.getBackend()).toBe("cpu");
    const job: TrainJob = { name: "erm-s0", config: ERM_S0 };
    expect(jobHash(job)).toBe(OLD_HASHES.cpu);
    expect(jobDirectory(job, "cpu")).toBe(path.join(runs, "deep-nets", "cpu", `erm-s0-${OLD_HASHES.cpu}`));
  });

  test("a run stored by storeRunResult is found by completedRun; a result.json of another identity is not", () => {
    const job: TrainJob = { name: "erm-s0", config: ERM_S0 };
    const trained = { hash: "from-a-worker", config: ERM_S0, status: "completed", metrics: [], weightsFile: "weights-0030.bin", backend: "wasm" } as unknown as RunResult;
    const stored = storeRunResult(job, "smoke", trained, new Uint8Array([1, 2, 3]));
    expect(stored.hash).toBe(jobHash(job));
    const directory = jobDirectory(job, "smoke");
    expect(readdirSync(directory).sort()).toEqual(["config.json", "metrics.jsonl", RESULT_FILE, "weights-0030.bin"]);
    expect(JSON.parse(readFileSync(path.join(directory, "config.json"), "utf8"))).toEqual(ERM_S0);
    expect(completedRun(job, "smoke")).toEqual(stored);

    writeResultFile(directory, { ...stored, hash: OLD_HASHES.native }); // trained on another backend
    expect(completedRun(job, "smoke")).toBeNull();
  });
});
