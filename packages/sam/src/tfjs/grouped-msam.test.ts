import { describe, expect, test } from "@jest/globals";
import * as tf from "@tensorflow/tfjs";
import { SamOptimizer, type Batch, type LossFunction } from "./sam-optimizer.js";
import { initBackend, loadNativeKernels } from "@sam-repro/runtime";
import { chunkSize, replicaNorms, setReplicaBudgetBytes, withGroupedLoss, type GroupedLossFunction } from "./grouped-msam.js";

// A dense softmax classifier written twice: plainly on the variables, and on replicated weights
// [k, ...shape] (a batched matMul) for the grouped m-SAM path. It has no BatchNorm, so both paths
// must agree to float32 rounding on any backend (the deep-nets tests cover BatchNorm/GroupNorm ResNets).
const INPUTS = 6;
const CLASSES = 3;

function classifier(seed: number) {
  const w = tf.variable(tf.randomNormal([INPUTS, CLASSES], 0, 0.5, "float32", seed));
  const b = tf.variable(tf.zeros([CLASSES]));
  const plain: LossFunction = ({ x, y }) =>
    tf.losses.softmaxCrossEntropy(tf.oneHot(y as tf.Tensor1D, CLASSES), tf.add(tf.matMul(x as tf.Tensor2D, w), b)) as tf.Scalar;
  let calls = 0;
  const grouped: GroupedLossFunction = ({ x, y }, _pass, [wk, bk], k) => {
    calls++;
    const m = x.shape[0]! / k;
    const logits = tf.add(tf.matMul(tf.reshape(x, [k, m, INPUTS]) as tf.Tensor3D, wk as tf.Tensor3D), tf.reshape(bk!, [k, 1, CLASSES]));
    const perExample = tf.losses.softmaxCrossEntropy(tf.oneHot(y as tf.Tensor1D, CLASSES), tf.reshape(logits, [k * m, CLASSES]), undefined, 0, tf.Reduction.NONE);
    return tf.mean(tf.reshape(perExample, [k, m]), 1) as tf.Tensor1D;
  };
  return { w, b, plain, grouped, calls: () => calls };
}

function batch(size: number, seed: number): Batch {
  return { x: tf.randomNormal([size, INPUTS], 0, 1, "float32", seed), y: tf.tensor1d(Array.from({ length: size }, (_, i) => (i * 5 + seed) % CLASSES), "int32") };
}

function run(grouped: boolean, available: boolean, options: { variant: "sam" | "usam" | "asam"; m: number; steps?: number }) {
  tf.setBackend("cpu");
  const model = classifier(4);
  const lossFn = grouped ? withGroupedLoss(model.plain, model.grouped, () => available) : model.plain;
  const sam = new SamOptimizer(
    tf.train.momentum(0.1, 0.9),
    { variant: options.variant, rho: 0.1, subBatchSize: options.m, weightDecay: 1e-3, ascentSteps: options.steps ?? 1 },
    [model.w, model.b],
  );
  const results = [0, 1, 2].map((step) => {
    const data = batch(24, 10 + step);
    const result = sam.step(lossFn, data);
    tf.dispose([data.x, data.y]);
    return result;
  });
  const weights = [...model.w.dataSync(), ...model.b.dataSync()];
  sam.dispose();
  tf.dispose([model.w, model.b]);
  return { results, weights, calls: model.calls() };
}

describe("grouped m-SAM (replicated weights) equals the sequential loop", () => {
  test.each([
    ["sam", 1, 1],
    ["sam", 4, 1],
    ["usam", 6, 1],
    ["asam", 3, 1],
    ["sam", 4, 3],
  ] as const)("%s, m = %i, %i ascent step(s): weights, loss and perturbation norm", (variant, m, steps) => {
    const before = tf.memory().numTensors;
    const loop = run(false, true, { variant, m, steps });
    const afterLoop = tf.memory().numTensors;
    const grouped = run(true, true, { variant, m, steps });
    // No more tensors left behind than by the loop (tfjs keeps a few per optimizer either way).
    expect(tf.memory().numTensors - afterLoop).toBe(afterLoop - before);
    expect(grouped.calls).toBe(3 * (steps + 1));
    grouped.weights.forEach((w, i) => expect(Math.abs(w - loop.weights[i]!)).toBeLessThan(2e-6));
    grouped.results.forEach((r, i) => {
      expect(Math.abs(r.loss - loop.results[i]!.loss)).toBeLessThan(2e-6);
      expect(Math.abs(r.perturbationNorm - loop.results[i]!.perturbationNorm)).toBeLessThan(2e-6);
    });
  });

  test("sub-batches beyond the replica budget run in chunks of groups, with the same result", () => {
    const loop = run(false, true, { variant: "sam", m: 4 });
    // 21 parameters * 16 bytes: a budget of 700 bytes holds 2 replicas, so the 6 sub-batches run as 3 chunks.
    const previous = setReplicaBudgetBytes(700);
    try {
      const chunked = run(true, true, { variant: "sam", m: 4 });
      expect(chunked.calls).toBe(3 * 2 * 3);
      chunked.weights.forEach((w, i) => expect(Math.abs(w - loop.weights[i]!)).toBeLessThan(2e-6));
      chunked.results.forEach((r, i) => expect(Math.abs(r.loss - loop.results[i]!.loss)).toBeLessThan(2e-6));
    } finally {
      setReplicaBudgetBytes(previous);
    }
  });

  test("the loop runs when available() is false, and for plain SAM (m = b)", () => {
    expect(run(true, false, { variant: "sam", m: 4 }).calls).toBe(0);
    expect(run(true, true, { variant: "sam", m: 24 }).calls).toBe(0);
  });

  test("replicaNorms is the global l2 norm of each replica", () => {
    const norms = tf.tidy(() => replicaNorms([tf.tensor2d([[3, 0], [1, 1]]), tf.tensor1d([4, 1])]).arraySync());
    expect(norms[0]).toBeCloseTo(5, 6);
    expect(norms[1]).toBeCloseTo(Math.sqrt(3), 6);
  });
});

describe("chunks of sub-batches", () => {
  test("equal chunks where a divisor needs at most twice the fewest chunks, else the fewest", () => {
    expect(chunkSize(16, 16)).toBe(16);
    expect(chunkSize(16, 3)).toBe(2); // 8 chunks of 2, not 3, 3, 3, 3, 3, 1
    expect(chunkSize(8, 3)).toBe(2);
    expect(chunkSize(12, 5)).toBe(4);
    expect(chunkSize(7, 3)).toBe(3); // no divisor in 3..6 chunks: 3, 3, 1
    expect(chunkSize(5, 1)).toBe(1);
    for (let parts = 1; parts <= 40; parts++)
      for (let limit = 1; limit <= parts; limit++) {
        const size = chunkSize(parts, limit);
        expect(size).toBeLessThanOrEqual(limit);
        expect(Math.ceil(parts / size)).toBeLessThanOrEqual(2 * Math.ceil(parts / limit));
      }
  });
});

const describeNative = loadNativeKernels().kernels ? describe : describe.skip;

describeNative("replica norms on the native backend", () => {
  test("the fused multiply-sum kernel gives the norms of Square then Sum, bit for bit", async () => {
    const previous = tf.getBackend();
    await initBackend("native");
    try {
      expect(tf.getKernel("SamReproMultiplySum", "native")).toBeDefined();
      const random = tf.randomNormal([5, 3, 3, 7, 9], 0, 1, "float32", 3);
      const bias = tf.randomNormal([5, 9], 0, 1, "float32", 4);
      const vector = tf.randomNormal([5], 0, 1, "float32", 5);
      const fused = replicaNorms([random, bias, vector]);
      const plain = tf.sqrt(tf.addN([tf.sum(tf.square(random), [1, 2, 3, 4]), tf.sum(tf.square(bias), 1), tf.square(vector)]));
      expect(Array.from(fused.dataSync())).toEqual(Array.from(plain.dataSync()));
      tf.dispose([random, bias, vector, fused, plain]);
    } finally {
      await tf.setBackend(previous);
    }
  });
});
