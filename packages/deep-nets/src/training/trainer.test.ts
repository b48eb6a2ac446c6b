import { afterAll, beforeAll, describe, expect, test } from "@jest/globals";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "@sam-repro/runtime";
import { SamOptimizer } from "@sam-repro/sam";
import { syntheticCifar } from "../data/test-files.js";
import { modelFromPreset } from "../models/architecture.js";
import { ResNet } from "../models/resnet.js";
import { trainConfigSchema, type TrainConfigInput } from "./config.js";
import { batchTensors } from "./prepared-data.js";
import { METRICS_FILE, readWeightsFile } from "./run-store.js";
import { learningRateAt } from "./schedule.js";
import { trainRun } from "./trainer.js";

let temporary: string;
const data = syntheticCifar(200, 64, 10, 1);

beforeAll(async () => {
  await initBackend("wasm");
  temporary = mkdtempSync(path.join(os.tmpdir(), "deep-nets-trainer-"));
  process.env.SAM_REPRO_QUIET = "1";
});
afterAll(() => rmSync(temporary, { recursive: true, force: true }));

function smokeConfig(overrides: Partial<TrainConfigInput> = {}) {
  return trainConfigSchema.parse({
    model: "resnet_tiny",
    width: 4,
    trainSize: 64,
    validationSize: 16,
    testSize: 32,
    batchSize: 16,
    epochs: 3,
    evalEvery: 1,
    evalTrainSize: 32,
    ...overrides,
  });
}

describe("learning-rate schedules (SPEC 4.1)", () => {
  test("piecewise drops by 10 at 50% and by 100 at 75%; cosine follows 0.5 + 0.5 cos(pi t/E)", () => {
    expect([0, 49.9, 50, 74.9, 75, 99].map((t) => learningRateAt("piecewise", 0.1, t, 100))).toEqual([0.1, 0.1, 0.01, 0.01, 0.001, 0.001]);
    expect(learningRateAt("cosine", 0.1, 50, 100)).toBeCloseTo(0.05, 12);
    expect(learningRateAt("cosine", 0.1, 100, 100)).toBeCloseTo(0, 12);
    expect(learningRateAt("constant", 0.02, 77, 100)).toBe(0.02);
  });
});

describe("training runs", () => {
  test("killing a run after an epoch and starting it again ends with the same numbers and weights", async () => {
    // m-SAM with sub-batches, EMA and augmentation exercise every piece of resumable state.
    const config = smokeConfig({ epochs: 2, trainSize: 48, sam: { variant: "sam", rho: 0.05, m: 8 }, emaTau: 0.9 });
    const straight = await trainRun(config, { directory: path.join(temporary, "straight"), data });
    const interruptedDirectory = path.join(temporary, "interrupted");
    const partial = await trainRun(config, { directory: interruptedDirectory, data, stopAfterEpochs: 1 });
    expect(partial.epochsCompleted).toBe(1);
    const resumed = await trainRun(config, { directory: interruptedDirectory, data });
    expect(resumed.status).toBe("completed");
    const numbers = (r: typeof straight) => r.metrics.map(({ elapsedSeconds: _e, imagesPerSecond: _i, ...rest }) => rest);
    expect(numbers(resumed)).toEqual(numbers(straight));
    const a = readWeightsFile(path.join(temporary, "straight", straight.weightsFile));
    const b = readWeightsFile(path.join(interruptedDirectory, resumed.weightsFile));
    expect(b).toEqual(a);
    expect(readFileSync(path.join(interruptedDirectory, METRICS_FILE), "utf8").trim().split("\n")).toHaveLength(2);
  });

  test("n-SAM (previous batch) resumes exactly too: the previous batch is part of the checkpoint", async () => {
    const config = smokeConfig({ epochs: 2, trainSize: 32, sam: { variant: "sam", rho: 0.1, ascentBatch: "previous" } });
    const straight = await trainRun(config, { directory: path.join(temporary, "nsam-straight"), data });
    await trainRun(config, { directory: path.join(temporary, "nsam-resumed"), data, stopAfterEpochs: 1 });
    const resumed = await trainRun(config, { directory: path.join(temporary, "nsam-resumed"), data });
    expect(resumed.metrics.map((m) => m.testLoss)).toEqual(straight.metrics.map((m) => m.testLoss));
  });

  test("a diverging run is recorded as diverged, not thrown", async () => {
    const config = smokeConfig({ learningRate: 1e8, schedule: "constant", epochs: 2 });
    const result = await trainRun(config, { directory: path.join(temporary, "diverged"), data });
    expect(result.status).toBe("diverged");
    expect(result.divergedAt).not.toBeNull();
    expect(result.final).toBeNull();
    const lines = readFileSync(path.join(temporary, "diverged", METRICS_FILE), "utf8").trim().split("\n");
    expect(JSON.parse(lines.at(-1)!).trainLoss).toBe("NaN");
  });

  test("a finished run is not trained again; label noise gives a noisy-train error", async () => {
    const config = smokeConfig({ epochs: 1, labelNoise: { fraction: 0.5, type: "symmetric" } });
    const first = await trainRun(config, { directory: path.join(temporary, "noisy"), data });
    expect(first.final?.noisyTrainError).toBeGreaterThan(0);
    const again = await trainRun(config, { directory: path.join(temporary, "noisy"), data });
    expect(again.wallSeconds).toBe(first.wallSeconds);
  });
});

describe("memory", () => {
  test("tensor count stays flat across SAM steps of a BatchNorm model", () => {
    const model = new ResNet(modelFromPreset("resnet_tiny", 4, 10), 0);
    const optimizer = new SamOptimizer(tf.train.momentum(0.05, 0.9), { variant: "sam", rho: 0.05, subBatchSize: 8, weightDecay: 5e-4, batchNormStatistics: "both-passes" }, model.parameters);
    const lossFn = (batch: { x: tf.Tensor; y: tf.Tensor }, pass: { updateStatistics: boolean }) =>
      tf.losses.softmaxCrossEntropy(tf.oneHot(batch.y as tf.Tensor1D, 10), model.apply(batch.x as tf.Tensor4D, { training: true, updateStatistics: pass.updateStatistics })) as tf.Scalar;
    const pixels = data.train.images.subarray(0, 16 * 3072);
    const batch = batchTensors(pixels, data.train.labels.slice(0, 16));
    const counts: number[] = [];
    for (let i = 0; i < 6; i++) {
      optimizer.step(lossFn, batch, { learningRate: 0.05 });
      counts.push(tf.memory().numTensors);
    }
    expect(new Set(counts.slice(1)).size).toBe(1);
    tf.dispose([batch.x, batch.y]);
    optimizer.dispose();
    model.dispose();
  });
});
