import { beforeAll, describe, expect, test } from "@jest/globals";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "@sam-repro/runtime";
import { syntheticCifar } from "../data/test-files.js";
import { modelFromPreset } from "../models/architecture.js";
import { ResNet } from "../models/resnet.js";
import { evaluateModel } from "./evaluate.js";
import { interpolate } from "./interpolation.js";
import { batchTensors } from "./prepared-data.js";
import { gatherBatch } from "../data/augment.js";
import { measureSharpness } from "./sharpness.js";

const data = syntheticCifar(64, 32, 10, 4);
const indices = Int32Array.from({ length: 32 }, (_, i) => i);

beforeAll(async () => {
  await initBackend("wasm");
});

function gradientNorm(model: ResNet): number {
  return tf.tidy(() => {
    const { x, y } = batchTensors(gatherBatch(data.train, indices), data.train.labels.slice(0, 32));
    const { grads } = tf.variableGrads(() => tf.losses.softmaxCrossEntropy(tf.oneHot(y, 10), model.apply(x, { training: false })) as tf.Scalar, model.parameters);
    return Math.sqrt(model.parameters.reduce((sum, v) => sum + tf.sum(tf.square(grads[v.name]!)).dataSync()[0]!, 0));
  });
}

describe("m-sharpness by projected gradient ascent (SPEC 1.7)", () => {
  test("one normalized step of size rho gives the first-order increase rho * ||grad L||, and the weights are restored", () => {
    const model = new ResNet(modelFromPreset("resnet_tiny_gn", 4, 10), 1);
    const before = model.readWeights().parameters;
    const rho = 1e-3;
    const result = measureSharpness(model, data.train, indices, { rho, stepSizeMultiplier: 1, iterations: 1, restarts: 1, examples: 32, batchSize: 32 });
    const expected = rho * gradientNorm(model);
    expect(result.sharpness / expected).toBeGreaterThan(0.9);
    expect(result.sharpness / expected).toBeLessThan(1.1);
    expect(result.perturbationNorm).toBeCloseTo(rho, 6);
    expect(model.readWeights().parameters).toEqual(before);
    model.dispose();
  });

  test("more ascent steps never leave the rho-ball and find at least the one-step increase", () => {
    const model = new ResNet(modelFromPreset("resnet_tiny_gn", 4, 10), 2);
    const settings = { rho: 0.05, stepSizeMultiplier: 0.25, restarts: 1, examples: 16, batchSize: 8 };
    const few = indices.subarray(0, 16);
    const one = measureSharpness(model, data.train, few, { ...settings, iterations: 1 });
    const many = measureSharpness(model, data.train, few, { ...settings, iterations: 6 });
    expect(many.perturbationNorm).toBeLessThanOrEqual(0.05 * (1 + 1e-5));
    expect(many.sharpness).toBeGreaterThan(one.sharpness);
    expect(many.batches).toBe(2);
    model.dispose();
  });
});

describe("interpolation between two weight vectors (SPEC 1.7)", () => {
  test("the endpoints reproduce the two models' own losses; the midpoint lies between them in weights", () => {
    const a = new ResNet(modelFromPreset("resnet_tiny_gn", 4, 10), 3);
    const b = new ResNet(modelFromPreset("resnet_tiny_gn", 4, 10), 4);
    const scratch = new ResNet(modelFromPreset("resnet_tiny_gn", 4, 10), 5);
    const points = interpolate(scratch, a.readWeights().parameters, b.readWeights().parameters, data.train, data.test, {
      alphas: [0, 0.5, 1],
      statisticsIndices: indices,
      statisticsBatchSize: 16,
      augment: false,
      trainIndices: indices,
      testIndices: indices,
      seed: 0,
    });
    expect(points[0]!.test.loss).toBeCloseTo(evaluateModel(a, data.test, { indices }).loss, 5);
    expect(points[2]!.train.loss).toBeCloseTo(evaluateModel(b, data.train, { indices }).loss, 5);
    const middle = scratch.readWeights().parameters[0]!; // ends at the last alpha = 1
    expect(middle).toEqual(b.readWeights().parameters[0]);
    for (const model of [a, b, scratch]) model.dispose();
  });
});
