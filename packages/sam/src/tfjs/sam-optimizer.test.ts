import { beforeAll, describe, expect, test } from "@jest/globals";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "@sam-repro/runtime";
import { Float64Sam, type Float64SamOptions } from "../float64/float64-sam.js";
import { leastSquares } from "../float64/test-problems.js";
import { SamOptimizer, type Batch, type SamOptions } from "./sam-optimizer.js";
import { linearLeastSquares, tinyBatchNormNet } from "./test-models.js";

beforeAll(async () => {
  await initBackend();
});

const values = (t: tf.Tensor) => Array.from(t.dataSync());

function regressionBatch(size: number, inputs: number, seed: number): Batch {
  return { x: tf.randomNormal([size, inputs], 0, 1, "float32", seed), y: tf.randomNormal([size], 0, 1, "float32", seed + 100) };
}

function classificationBatch(size: number, inputs: number, seed: number): Batch {
  return {
    x: tf.randomNormal([size, inputs], 0, 1, "float32", seed),
    y: tf.tensor1d(Array.from({ length: size }, (_, i) => (i * 7 + seed) % 3), "int32"),
  };
}

describe("SamOptimizer agrees with Float64Sam on least squares (float32 vs float64)", () => {
  const n = 16;
  const d = 5;
  const problem = leastSquares(n, d, 11);
  const start = [0.2, -0.4, 0.3, 0.1, -0.2];
  const cases: Array<[string, Omit<Float64SamOptions, "momentum">]> = [
    ["sgd", { variant: "sgd" }],
    ["sam", { variant: "sam", rho: 0.1 }],
    ["usam", { variant: "usam", rho: 0.2 }],
    ["clipped usam", { variant: "usam", rho: 0.2, usamClipToBall: true }],
    ["4-SAM", { variant: "sam", rho: 0.1, subBatchSize: 4 }],
    ["1-SAM", { variant: "sam", rho: 0.1, subBatchSize: 1 }],
    ["multi-step", { variant: "sam", rho: 0.1, ascentSteps: 3, ascentStepSizeMultiplier: 0.5 }],
    ["asam", { variant: "asam", rho: 0.3, asamEta: 0.05 }],
    ["sam + weight decay (objective)", { variant: "sam", rho: 0.1, weightDecay: 0.01 }],
    ["sam + weight decay (decoupled)", { variant: "sam", rho: 0.1, weightDecay: 0.01, weightDecayMode: "decoupled" }],
  ];
  test.each(cases)("%s, momentum 0.9, 5 steps", (_name, options) => {
    const lr = 0.05;
    const batches = [0, 1, 2, 3, 4].map((t) => Int32Array.from({ length: 8 }, (_, i) => (i * 3 + t * 5) % n));
    const params = Float64Array.from(start);
    const reference = new Float64Sam(d, problem.oracle, { ...options, momentum: 0.9 });
    const { weights, lossFn } = linearLeastSquares(start);
    const optimizer = new SamOptimizer(tf.train.momentum(lr, 0.9), options as SamOptions, [weights]);
    for (const batch of batches) {
      const expected = reference.step(params, batch, lr);
      const x = tf.tensor2d(Array.from(batch, (i) => Array.from(problem.features[i]!)));
      const y = tf.tensor1d(Array.from(batch, (i) => problem.targets[i]!));
      const result = optimizer.step(lossFn, { x, y });
      tf.dispose([x, y]);
      expect(Math.abs(result.loss - expected.loss)).toBeLessThan(1e-5 * (1 + expected.loss));
      expect(Math.abs(result.perturbationNorm - expected.perturbationNorm)).toBeLessThan(1e-5 * (1 + expected.perturbationNorm));
    }
    const actual = values(weights);
    for (let i = 0; i < d; i++) expect(Math.abs(actual[i]! - params[i]!)).toBeLessThan(1e-5 * (1 + Math.abs(params[i]!)));
    optimizer.dispose();
    weights.dispose();
  });
});

describe("SamOptimizer", () => {
  test("rho = 0 reproduces the base optimizer exactly", () => {
    const net = tinyBatchNormNet(4, 6, 3, 1);
    const copies = net.trainable.map((v) => tf.variable(v.clone()));
    const batch = classificationBatch(8, 4, 3);
    const sam = new SamOptimizer(tf.train.momentum(0.1, 0.9), { variant: "sam", rho: 0 }, net.trainable);
    for (let t = 0; t < 3; t++) sam.step(net.lossFn, batch);
    // The same loss function evaluated on the copies: swap values in, step with the plain base optimizer.
    const base = tf.train.momentum(0.1, 0.9);
    const originals = net.trainable.map((v) => v.clone());
    net.trainable.forEach((v, i) => v.assign(copies[i]!));
    for (let t = 0; t < 3; t++) tf.tidy(() => void base.minimize(() => net.lossFn(batch, { updateStatistics: true, kind: "plain" }), false, net.trainable));
    net.trainable.forEach((v, i) => expect(values(v)).toEqual(values(originals[i]!)));
    tf.dispose([...copies, ...originals, batch.x, batch.y]);
    base.dispose();
    sam.dispose();
    net.dispose();
  });

  test("m-SAM with m = batch size equals standard SAM; 4-SAM differs", () => {
    const run = (options: SamOptions) => {
      const net = tinyBatchNormNet(4, 6, 3, 2);
      const batch = classificationBatch(8, 4, 5);
      const sam = new SamOptimizer(tf.train.momentum(0.1, 0.9), options, net.trainable);
      for (let t = 0; t < 2; t++) sam.step(net.lossFn, batch);
      const result = net.trainable.map(values);
      tf.dispose([batch.x, batch.y]);
      sam.dispose();
      net.dispose();
      return result;
    };
    const standard = run({ variant: "sam", rho: 0.1 });
    expect(run({ variant: "sam", rho: 0.1, subBatchSize: 8 })).toEqual(standard);
    expect(run({ variant: "sam", rho: 0.1, subBatchSize: 4 })).not.toEqual(standard);
  });

  test("n-SAM: the perturbation does not depend on the descent batch; 'previous' uses the last batch (zeros first)", () => {
    const ascent = regressionBatch(4, 3, 9);
    const perturbedWeights = (descent: Batch, options: SamOptions, context: { ascentBatch?: Batch } = {}) => {
      const { weights, lossFn } = linearLeastSquares([0.3, -0.1, 0.2]);
      let seen: number[] = [];
      const recording = (batch: Batch, pass: { updateStatistics: boolean; kind: "plain" | "ascent" | "descent" }) => {
        if (pass.kind === "descent") seen = values(weights);
        return lossFn(batch, pass);
      };
      const sam = new SamOptimizer(tf.train.sgd(0.1), options, [weights]);
      sam.step(recording, descent, context);
      sam.dispose();
      weights.dispose();
      return seen;
    };
    const first = regressionBatch(4, 3, 1);
    const second = regressionBatch(4, 3, 2);
    const supplied: SamOptions = { variant: "sam", rho: 0.2, ascentBatch: "supplied" };
    const a = perturbedWeights(first, supplied, { ascentBatch: ascent });
    expect(perturbedWeights(second, supplied, { ascentBatch: ascent })).toEqual(a);
    expect(perturbedWeights(second, { variant: "sam", rho: 0.2 })).not.toEqual(a);
    expect(() => perturbedWeights(first, supplied)).toThrow('context.ascentBatch: required when ascentBatch is "supplied"');

    // "previous": step 1 ascends on zeros (the official quirk), step 2 on step 1's batch.
    const { weights, lossFn } = linearLeastSquares([0.3, -0.1, 0.2]);
    const ascentInputs: number[][] = [];
    const recording = (batch: Batch, pass: { updateStatistics: boolean; kind: "plain" | "ascent" | "descent" }) => {
      if (pass.kind === "ascent") ascentInputs.push(values(batch.x));
      return lossFn(batch, pass);
    };
    const sam = new SamOptimizer(tf.train.sgd(0.1), { variant: "sam", rho: 0.2, ascentBatch: "previous" }, [weights]);
    const firstResult = sam.step(recording, first);
    sam.step(recording, second);
    expect(ascentInputs[0]).toEqual(new Array(12).fill(0));
    expect(ascentInputs[1]).toEqual(values(first.x));
    expect(firstResult.lossAt).toBe("perturbed");
    tf.dispose([ascent.x, ascent.y, first.x, first.y, second.x, second.y]);
    sam.dispose();
    weights.dispose();
  });

  test("BatchNorm running statistics move once per step (from the unperturbed pass), twice with both-passes", () => {
    for (const mode of ["unperturbed", "both-passes"] as const) {
      const net = tinyBatchNormNet(4, 6, 3, 4);
      const batch = classificationBatch(8, 4, 6);
      const sam = new SamOptimizer(tf.train.momentum(0.1, 0.9), { variant: "sam", rho: 0.5, batchNormStatistics: mode }, net.trainable);
      const before = values(net.runningMean);
      const meanAtW = values(tf.tidy(() => tf.moments(net.hidden(batch.x), 0).mean));
      let meanAtPerturbed: number[] = [];
      const recording = (b: Batch, pass: { updateStatistics: boolean; kind: "plain" | "ascent" | "descent" }) => {
        if (pass.kind === "descent") meanAtPerturbed = values(tf.tidy(() => tf.moments(net.hidden(b.x), 0).mean));
        return net.lossFn(b, pass);
      };
      sam.step(recording, batch);
      const once = before.map((m, i) => 0.9 * m + 0.1 * meanAtW[i]!);
      const expected = mode === "unperturbed" ? once : once.map((m, i) => 0.9 * m + 0.1 * meanAtPerturbed[i]!);
      expect(net.statisticUpdates()).toBe(mode === "unperturbed" ? 1 : 2);
      const actual = values(net.runningMean);
      for (let i = 0; i < actual.length; i++) expect(actual[i]!).toBeCloseTo(expected[i]!, 5);
      expect(meanAtPerturbed).not.toEqual(meanAtW); // the two passes see different weights
      sam.step(recording, batch);
      expect(net.statisticUpdates()).toBe(mode === "unperturbed" ? 2 : 4);
      tf.dispose([batch.x, batch.y]);
      sam.dispose();
      net.dispose();
    }
  });

  test("tf.memory().numTensors is the same after 100 steps as after 1 (SAM, 4-SAM, n-SAM, random, ASAM, multi-step)", () => {
    const configurations: SamOptions[] = [
      { variant: "sam", rho: 0.05, weightDecay: 5e-4 },
      { variant: "sam", rho: 0.05, subBatchSize: 2, weightDecay: 5e-4, weightDecayMode: "decoupled" },
      { variant: "sam", rho: 0.05, ascentBatch: "previous" },
      { variant: "random", randomSigma: 0.01 },
      { variant: "asam", rho: 0.5, ascentSteps: 2 },
      { variant: "sam", rhoPerLearningRate: 0.5, samEpochWindow: [0.5, 1] },
    ];
    for (const options of configurations) {
      const net = tinyBatchNormNet(4, 6, 3, 7);
      const batch = classificationBatch(8, 4, 8);
      const sam = new SamOptimizer(tf.train.momentum(0.05, 0.9), options, net.trainable);
      const context = (t: number) => ({ epoch: t, totalEpochs: 100, learningRate: 0.05 * (1 - t / 200) });
      sam.step(net.lossFn, batch, context(0));
      const afterOne = tf.memory().numTensors;
      for (let t = 1; t < 100; t++) {
        const result = sam.step(net.lossFn, batch, context(t));
        expect(Number.isFinite(result.loss)).toBe(true);
      }
      expect(tf.memory().numTensors).toBe(afterOne);
      tf.dispose([batch.x, batch.y]);
      sam.dispose();
      net.dispose();
    }
  });

  test("save / load / resume (fresh base optimizer, fresh variables) gives the same weights as an uninterrupted run", async () => {
    const options: SamOptions = { variant: "sam", rho: 0.1, subBatchSize: 4, ascentBatch: "previous" };
    const batches = [1, 2, 3, 4, 5, 6].map((s) => classificationBatch(8, 4, s));
    const uninterrupted = tinyBatchNormNet(4, 6, 3, 10);
    const reference = new SamOptimizer(tf.train.momentum(0.1, 0.9), options, uninterrupted.trainable);
    for (const batch of batches) reference.step(uninterrupted.lossFn, batch);

    const first = tinyBatchNormNet(4, 6, 3, 10);
    const before = new SamOptimizer(tf.train.momentum(0.1, 0.9), options, first.trainable);
    for (const batch of batches.slice(0, 3)) before.step(first.lossFn, batch);
    const state = JSON.parse(JSON.stringify(await before.getState()));
    const second = tinyBatchNormNet(4, 6, 3, 99);
    second.trainable.forEach((v, i) => v.assign(first.trainable[i]!));
    second.runningMean.assign(first.runningMean);
    second.runningVariance.assign(first.runningVariance);
    const after = new SamOptimizer(tf.train.momentum(0.1, 0.9), options, second.trainable);
    await after.setState(state);
    for (const batch of batches.slice(3)) after.step(second.lossFn, batch);
    second.trainable.forEach((v, i) => expect(values(v)).toEqual(values(uninterrupted.trainable[i]!)));
    expect((await after.getState()).base.map((w) => w.values)).toEqual((await reference.getState()).base.map((w) => w.values));

    // Resuming without the optimizer state (momentum lost) does not give the same weights.
    const third = tinyBatchNormNet(4, 6, 3, 98);
    third.trainable.forEach((v, i) => v.assign(first.trainable[i]!));
    const fresh = new SamOptimizer(tf.train.momentum(0.1, 0.9), options, third.trainable);
    for (const batch of batches.slice(3)) fresh.step(third.lossFn, batch);
    expect(values(third.trainable[0]!)).not.toEqual(values(uninterrupted.trainable[0]!));

    for (const b of batches) tf.dispose([b.x, b.y]);
    for (const o of [reference, before, after, fresh]) o.dispose();
    for (const net of [uninterrupted, first, second, third]) net.dispose();
  });

  test("samEpochWindow switches SAM on only inside the window; rhoPerLearningRate follows the learning rate", () => {
    const net = tinyBatchNormNet(4, 6, 3, 12);
    const batch = classificationBatch(8, 4, 13);
    const sam = new SamOptimizer(tf.train.momentum(0.1, 0.9), { variant: "sam", rhoPerLearningRate: 2, samEpochWindow: [0.5, 0.75] }, net.trainable);
    const active = [0, 4, 5, 7, 8, 9].map((epoch) => sam.step(net.lossFn, batch, { epoch, totalEpochs: 10, learningRate: 0.01 * (epoch + 1) }));
    expect(active.map((r) => r.samActive)).toEqual([false, false, true, true, false, false]);
    expect(active[2]!.rho).toBeCloseTo(0.12, 6);
    expect(active[2]!.perturbationNorm).toBeCloseTo(0.12, 5);
    expect(active[0]!.perturbationNorm).toBe(0);
    expect(() => sam.step(net.lossFn, batch)).toThrow("context.epoch, context.totalEpochs: required when samEpochWindow is set");
    tf.dispose([batch.x, batch.y]);
    sam.dispose();
    net.dispose();
  });

  test("random perturbations have norm about sigma * sqrt(p) and are reproducible by seed", () => {
    const run = (seed: number) => {
      const weights = tf.variable(tf.zeros([2500]));
      const lossFn = () => tf.sum(tf.square(weights)) as tf.Scalar;
      const sam = new SamOptimizer(tf.train.sgd(0.1), { variant: "random", randomSigma: 0.02, seed }, [weights]);
      const batch = { x: tf.zeros([2, 1]), y: tf.zeros([2]) };
      const result = sam.step(lossFn, batch);
      const after = values(weights);
      tf.dispose([weights, batch.x, batch.y]);
      sam.dispose();
      return { result, after };
    };
    const first = run(3);
    expect(first.result.perturbationNorm).toBeGreaterThan(0.95);
    expect(first.result.perturbationNorm).toBeLessThan(1.05);
    // Gradient 2(w + eps) at w = 0: the step is -0.2 eps, a nonzero, seed-determined vector.
    expect(run(3).after).toEqual(first.after);
    expect(run(4).after).not.toEqual(first.after);
  });

  test("bad options throw errors that name the option, the value and the allowed values", () => {
    const make = (options: object) => () => new SamOptimizer(tf.train.sgd(0.1), options as SamOptions, [tf.variable(tf.zeros([1]))]);
    expect(make({ variant: "foo" })).toThrow('variant: unknown "foo"; allowed: sgd, sam, usam, asam, random');
    expect(make({ variant: "sam", rho: -1 })).toThrow("rho: must be >= 0, got -1");
    expect(make({ variant: "sam", ascentBatch: "next" })).toThrow('ascentBatch: unknown "next"; allowed: same, previous, supplied');
    expect(make({ variant: "sam", batchNormStatistics: "never" })).toThrow('batchNormStatistics: unknown "never"; allowed: unperturbed, both-passes');
    expect(make({ variant: "sam", samEpochWindow: [0.8, 0.2] })).toThrow("samEpochWindow: start 0.8 is after end 0.2");
    expect(make({ variant: "sam", momentum: 0.9 })).toThrow('SamOptimizer options: unknown option "momentum"');
    const { weights, lossFn } = linearLeastSquares([1, 2]);
    const sam = new SamOptimizer(tf.train.sgd(0.1), { variant: "sam", subBatchSize: 3 }, [weights]);
    const batch = { x: tf.ones([8, 2]), y: tf.ones([8]) };
    expect(() => sam.step(lossFn, batch)).toThrow("subBatchSize: 3 does not divide the batch size 8");
    tf.dispose([weights, batch.x, batch.y]);
    sam.dispose();
  });
});
