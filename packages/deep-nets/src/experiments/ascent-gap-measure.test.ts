import { beforeAll, describe, expect, test } from "@jest/globals";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "@sam-repro/runtime";
import { syntheticCifar } from "../data/test-files.js";
import { modelFromPreset } from "../models/architecture.js";
import { ResNet } from "../models/resnet.js";
import { ascentGaps } from "./ascent-gap-measure.js";

const data = syntheticCifar(32, 8, 10, 5);
const indices = Int32Array.from({ length: 16 }, (_, i) => i);

beforeAll(async () => {
  await initBackend("wasm");
});

describe("suboptimality factor of one ascent step (F-a)", () => {
  test("K = 1 step of size rho is the one-step perturbation itself: factor exactly 1 at every m", () => {
    const model = new ResNet(modelFromPreset("resnet_tiny_gn", 4, 10), 1);
    const gaps = ascentGaps(model, data.train, indices, { rho: 0.05, ms: [4, 16], iterations: 1, stepSizeMultiplier: 1 });
    expect(gaps.map((g) => g.m)).toEqual([4, 16]);
    for (const gap of gaps) {
      expect(gap.factor).toBe(1);
      expect(gap.oneStep.batches).toBe(16 / gap.m);
    }
    model.dispose();
  });

  test("for a tiny radius the loss is linear in delta, so K steps find what one normalized step finds: factor ~ 1", () => {
    const model = new ResNet(modelFromPreset("resnet_tiny_gn", 4, 10), 2);
    const [gap] = ascentGaps(model, data.train, indices, { rho: 1e-3, ms: [8], iterations: 5, stepSizeMultiplier: 0.4 });
    expect(gap!.oneStep.sharpness).toBeGreaterThan(0);
    expect(gap!.factor).toBeGreaterThan(0.97);
    expect(gap!.factor).toBeLessThan(1.03);
    model.dispose();
  });

  test("for a large radius K projected steps find a larger increase inside the same ball: factor > 1", () => {
    const model = new ResNet(modelFromPreset("resnet_tiny_gn", 4, 10), 3);
    const before = model.readWeights().parameters;
    const tensors = tf.memory().numTensors;
    const [gap] = ascentGaps(model, data.train, indices, { rho: 1, ms: [8], iterations: 8, stepSizeMultiplier: 0.3 });
    expect(gap!.multiStep.perturbationNorm).toBeLessThanOrEqual(1 + 1e-4);
    expect(gap!.factor).toBeGreaterThan(1);
    expect(model.readWeights().parameters).toEqual(before);
    expect(tf.memory().numTensors).toBe(tensors);
    model.dispose();
  });

  test("an m that does not divide the examples is refused", () => {
    const model = new ResNet(modelFromPreset("resnet_tiny_gn", 4, 10), 4);
    expect(() => ascentGaps(model, data.train, indices, { rho: 0.05, ms: [3], iterations: 2, stepSizeMultiplier: 1 })).toThrow(/m = 3 does not divide the 16 examples/);
    model.dispose();
  });
});
