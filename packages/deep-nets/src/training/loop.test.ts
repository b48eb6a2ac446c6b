import { beforeAll, describe, expect, test } from "@jest/globals";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "@sam-repro/runtime";
import { SamOptimizer } from "@sam-repro/sam";
import { syntheticCifar } from "../data/test-files.js";
import { modelFromPreset } from "../models/architecture.js";
import { ResNet } from "../models/resnet.js";
import { trainConfigSchema, type TrainConfigInput } from "./config.js";
import { isDivergedLoss, isEvaluationEpoch } from "./epoch-evaluation.js";
import { initialLoopState, isFinished, trainingLoop, type LoopEvent, type LoopState } from "./loop.js";
import { batchTensors } from "./prepared-data.js";
import { createTrainingSession, disposeSession, initializeSession, restoreSession, snapshotSession } from "./session.js";

const data = syntheticCifar(200, 64, 10, 1);
beforeAll(async () => {
  await initBackend("wasm");
});

function tinyConfig(overrides: Partial<TrainConfigInput> = {}) {
  return trainConfigSchema.parse({ model: "resnet_tiny", width: 4, trainSize: 48, validationSize: 16, testSize: 32, batchSize: 16, epochs: 2, evalEvery: 1, evalTrainSize: 32, ...overrides });
}
const withoutTimes = (state: LoopState) => state.metrics.map(({ elapsedSeconds: _e, imagesPerSecond: _i, ...rest }) => rest);

describe("the pure training loop (no files)", () => {
  test("stopped at any step, snapshot in memory and continued in a new session: the same metrics and weights as straight through", async () => {
    const config = tinyConfig({ sam: { variant: "sam", rho: 0.05, m: 8 }, emaTau: 0.9 });
    const straight = createTrainingSession(config, data);
    initializeSession(straight, null);
    const straightState = initialLoopState(null);
    const kinds: LoopEvent["kind"][] = [];
    for (const event of trainingLoop(straight, straightState, () => 0)) kinds.push(event.kind);
    // 3 steps per epoch, 2 epochs: the events a wrapper sees, in order.
    const epoch = ["epoch-start", "step", "step", "step", "epoch-end"];
    expect(kinds).toEqual([...epoch, ...epoch]);
    expect(isFinished(straight, straightState)).toBe(true);
    expect(straightState.steps).toBe(6);

    // Stop after the 4th step (inside epoch 2), as the wrapper does at a signal.
    const first = createTrainingSession(config, data);
    initializeSession(first, null);
    const firstState = initialLoopState(null);
    let partial = null;
    for (const event of trainingLoop(first, firstState, () => 0)) {
      if (event.kind === "step" && firstState.steps === 4) {
        partial = event.partialEpoch;
        break;
      }
    }
    expect(partial?.batchesDone).toBe(1);
    const snapshot = await snapshotSession(first);
    disposeSession(first);
    const second = createTrainingSession(config, data);
    await restoreSession(second, snapshot.weights, snapshot.optimizer);
    const secondState: LoopState = { ...firstState, partialEpoch: partial };
    for (const _event of trainingLoop(second, secondState, () => 0));
    expect(withoutTimes(secondState)).toEqual(withoutTimes(straightState));
    expect((await snapshotSession(second)).weights).toEqual((await snapshotSession(straight)).weights);
    disposeSession(second);
    disposeSession(straight);
  });

  test("tensor count stays flat across the loop's steps, and a session leaves no tensor behind, trained or not", () => {
    const config = tinyConfig({ epochs: 3, sam: { variant: "sam", rho: 0.05 }, emaTau: 0.5 });
    const leftAfter = (train: boolean) => {
      const before = tf.memory().numTensors;
      const session = createTrainingSession(config, data);
      initializeSession(session, null);
      const counts: number[] = [];
      if (train) for (const event of trainingLoop(session, initialLoopState(null), () => 0)) if (event.kind === "step") counts.push(tf.memory().numTensors);
      disposeSession(session);
      return { left: tf.memory().numTensors - before, counts };
    };
    const untrained = leftAfter(false);
    const trained = leftAfter(true);
    expect(trained.counts).toHaveLength(9);
    expect(new Set(trained.counts.slice(1)).size).toBe(1);
    expect(untrained.left).toBe(0);
    expect(trained.left).toBe(0);
  });
});

describe("evaluation schedule and divergence check", () => {
  test("evaluates every evalEvery-th epoch and at the last; NaN and infinite losses diverge, null does not", () => {
    const config = tinyConfig({ epochs: 7, evalEvery: 3 });
    expect([1, 2, 3, 4, 5, 6, 7].filter((epoch) => isEvaluationEpoch(epoch, config))).toEqual([3, 6, 7]);
    expect([Number.NaN, Infinity, -Infinity, 1e30, 0, null].map(isDivergedLoss)).toEqual([true, true, true, false, false, false]);
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
