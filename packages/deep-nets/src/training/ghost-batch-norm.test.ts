import { beforeAll, describe, expect, test } from "@jest/globals";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "@sam-repro/runtime";
import { SamOptimizer, type LossFunction } from "@sam-repro/sam";
import { gatherBatch } from "../data/augment.js";
import { syntheticCifar } from "../data/test-files.js";
import { modelFromPreset } from "../models/architecture.js";
import { ResNet } from "../models/resnet.js";
import { ghostBatchForward } from "./ghost-batch-norm.js";
import { batchTensors } from "./prepared-data.js";

const data = syntheticCifar(16, 4, 10, 11);
const all = Int32Array.from({ length: 8 }, (_, i) => i);

beforeAll(async () => {
  await initBackend("wasm");
});

function batch(indices: Int32Array) {
  return batchTensors(gatherBatch(data.train, indices), Int32Array.from(indices, (i) => data.train.labels[i]!));
}

function maxAbsDifference(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]!);
}

describe("ghost BatchNorm", () => {
  test("each ghost batch is normalized with its own statistics: equals separate forward passes, not the whole-batch pass", () => {
    const model = new ResNet(modelFromPreset("resnet_tiny", 4, 10), 1);
    const { x, y } = batch(all);
    const tensors = tf.memory().numTensors;
    tf.dispose(ghostBatchForward(model, x, 4, { training: true, updateStatistics: true }));
    expect(tf.memory().numTensors).toBe(tensors);
    const ghost = ghostBatchForward(model, x, 4, { training: true, updateStatistics: false });
    const [first, second] = tf.split(x, 2, 0) as [tf.Tensor4D, tf.Tensor4D];
    const separate = tf.concat([model.apply(first, { training: true, updateStatistics: false }), model.apply(second, { training: true, updateStatistics: false })], 0);
    const whole = model.apply(x, { training: true, updateStatistics: false });
    expect(maxAbsDifference(ghost, separate)).toBeLessThan(1e-6);
    expect(maxAbsDifference(ghost, whole)).toBeGreaterThan(1e-3);
    // Inference mode uses the running statistics: no dependence on the batch.
    expect(maxAbsDifference(ghostBatchForward(model, x, 4, { training: false }), model.apply(x, { training: false }))).toBe(0);
    tf.dispose([x, y, ghost, first, second, separate, whole]);
    model.dispose();
  });

  test("GroupNorm does not depend on the batch: the ghost pass equals the plain pass", () => {
    const model = new ResNet(modelFromPreset("resnet_tiny_gn", 4, 10), 2);
    const { x, y } = batch(all);
    const ghost = ghostBatchForward(model, x, 2, { training: true, updateStatistics: false });
    const whole = model.apply(x, { training: true, updateStatistics: false });
    expect(maxAbsDifference(ghost, whole)).toBeLessThan(1e-5);
    tf.dispose([x, y, ghost, whole]);
    model.dispose();
  });

  test("running statistics move once per ghost batch, as after separate passes", () => {
    const a = new ResNet(modelFromPreset("resnet_tiny", 4, 10), 3);
    const b = new ResNet(modelFromPreset("resnet_tiny", 4, 10), 3);
    const { x, y } = batch(all);
    tf.dispose(ghostBatchForward(a, x, 4, { training: true, updateStatistics: true }));
    for (const part of tf.split(x, 2, 0) as tf.Tensor4D[]) {
      tf.dispose(b.apply(part, { training: true, updateStatistics: true }));
      part.dispose();
    }
    const sa = a.readWeights().statistics;
    const sb = b.readWeights().statistics;
    expect(sa.length).toBeGreaterThan(0);
    sa.forEach((values, i) => expect(Array.from(values)).toEqual(Array.from(sb[i]!)));
    tf.dispose([x, y]);
    a.dispose();
    b.dispose();
  });

  test("an ERM step with ghost batches of g equals an m-SAM step with rho = 0 and m = g (the optimizer's own sub-batch split)", () => {
    const ghostModel = new ResNet(modelFromPreset("resnet_tiny", 4, 10), 4);
    const splitModel = new ResNet(modelFromPreset("resnet_tiny", 4, 10), 4);
    const lossOf =
      (model: ResNet, ghost: number | null): LossFunction =>
      (b, pass) => {
        const mode = { training: true, updateStatistics: pass.updateStatistics } as const;
        const logits = ghost ? ghostBatchForward(model, b.x as tf.Tensor4D, ghost, mode) : model.apply(b.x as tf.Tensor4D, mode);
        return tf.losses.softmaxCrossEntropy(tf.oneHot(b.y as tf.Tensor1D, 10), logits) as tf.Scalar;
      };
    const erm = new SamOptimizer(tf.train.momentum(0.1, 0.9), { variant: "sgd", weightDecay: 5e-4 }, ghostModel.parameters);
    const msam = new SamOptimizer(tf.train.momentum(0.1, 0.9), { variant: "sam", rho: 0, subBatchSize: 4, weightDecay: 5e-4 }, splitModel.parameters);
    const { x, y } = batch(all);
    for (let step = 0; step < 2; step++) {
      erm.step(lossOf(ghostModel, 4), { x, y }, { learningRate: 0.1 });
      msam.step(lossOf(splitModel, null), { x, y }, { learningRate: 0.1 });
    }
    const before = new ResNet(modelFromPreset("resnet_tiny", 4, 10), 4);
    let moved = 0;
    ghostModel.parameters.forEach((v, i) => {
      expect(maxAbsDifference(v, splitModel.parameters[i]!)).toBeLessThan(1e-5);
      moved = Math.max(moved, maxAbsDifference(v, before.parameters[i]!));
    });
    expect(moved).toBeGreaterThan(1e-3);
    tf.dispose([x, y]);
    erm.dispose();
    msam.dispose();
    for (const model of [ghostModel, splitModel, before]) model.dispose();
  });

  test("a ghost size that does not divide the batch is an input error naming the field", () => {
    const model = new ResNet(modelFromPreset("resnet_tiny", 4, 10), 5);
    const { x, y } = batch(all);
    expect(() => ghostBatchForward(model, x, 3, { training: true, updateStatistics: false })).toThrow(/ghostBatchSize: 3 does not divide the batch of 8/);
    tf.dispose([x, y]);
    model.dispose();
  });
});
