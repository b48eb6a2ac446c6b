import { beforeAll, describe, expect, test } from "@jest/globals";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../backend.js";
import { relativeError } from "../testing/conv-net.js";
import { seededNormalTensor } from "../testing/random-tensor.js";
import { loadNativeKernels } from "./addon.js";
import { batchNormTraining, hasFusedBatchNorm } from "./batch-norm-ops.js";

// The fused BatchNorm (+ ReLU) kernels against the same formula in tfjs ops on the cpu backend, and the
// composite against tfjs's own moments-based BatchNorm.
const native = loadNativeKernels();
const describeNative = native.kernels ? describe : describe.skip;

/**
 * y, mean, variance and the gradients of sum(y * r) in x, gamma and beta (and in the residual when `residual`: y =
 * relu?(bn(x) + residual)), through batchNormTraining, or with `unfused` through BatchNorm, then tf.add and tf.relu.
 */
function evaluate(backend: string, shape: number[], groups: number, relu: boolean, residual = false, unfused = false): Float32Array[] {
  tf.setBackend(backend);
  return tf.tidy(() => {
    const x = seededNormalTensor(shape, 1, 0.5);
    const gamma = seededNormalTensor([groups, shape[3]!], 2, 1);
    const beta = seededNormalTensor([groups, shape[3]!], 3);
    const r = seededNormalTensor(shape, 4);
    const shortcut = seededNormalTensor(shape, 5);
    const run = (a: tf.Tensor, g: tf.Tensor, b: tf.Tensor, s: tf.Tensor) => {
      if (!unfused) return batchNormTraining(a as tf.Tensor4D, g, b, { groups, relu, epsilon: 1e-5, residual: residual ? (s as tf.Tensor4D) : undefined });
      const normalized = batchNormTraining(a as tf.Tensor4D, g, b, { groups, epsilon: 1e-5 });
      const merged = residual ? tf.add(normalized.y, s) : normalized.y;
      return { ...normalized, y: relu ? tf.relu(merged) : merged };
    };
    const { y, mean, variance } = run(x, gamma, beta, shortcut);
    const inputs = residual ? [x, gamma, beta, shortcut] : [x, gamma, beta];
    const grads = tf.grads((a: tf.Tensor, g: tf.Tensor, b: tf.Tensor, s?: tf.Tensor) => tf.sum(tf.mul(run(a, g, b, s ?? shortcut).y, r)))(inputs);
    return [y, mean, variance, ...grads].map((t) => t.dataSync().slice() as Float32Array);
  });
}

describe("batchNormTraining without the native kernel", () => {
  beforeAll(async () => {
    await initBackend("cpu");
  });

  test("one group equals tf.moments BatchNorm written as x * s + t", () => {
    expect(hasFusedBatchNorm()).toBe(false);
    const [y] = evaluate("cpu", [4, 3, 3, 5], 1, false);
    const reference = tf.tidy(() => {
      const x = seededNormalTensor([4, 3, 3, 5], 1, 0.5);
      const { mean, variance } = tf.moments(x, [0, 1, 2]);
      const scale = tf.mul(tf.reshape(seededNormalTensor([1, 5], 2, 1), [5]), tf.rsqrt(tf.add(variance, 1e-5)));
      return tf.add(tf.mul(x, scale), tf.sub(tf.reshape(seededNormalTensor([1, 5], 3), [5]), tf.mul(mean, scale))).dataSync().slice();
    });
    expect(relativeError(y!, reference as Float32Array)).toBeLessThan(1e-6);
  });
});

describeNative("native fused BatchNorm equals the unfused ops (cpu backend)", () => {
  beforeAll(async () => {
    await initBackend("native");
  });

  const cases: Array<[number[], number, boolean]> = [
    [[8, 6, 6, 16], 1, true],
    [[8, 6, 6, 16], 1, false],
    [[16, 4, 4, 32], 4, true],
    [[6, 5, 3, 7], 3, false],
    [[64, 2, 2, 24], 8, true],
  ];
  test.each(cases)("x %j, %i group(s), relu %s: y, mean, variance, dx, dgamma, dbeta", (shape, groups, relu) => {
    tf.setBackend("native");
    expect(hasFusedBatchNorm()).toBe(true);
    const fused = evaluate("native", shape, groups, relu);
    const reference = evaluate("cpu", shape, groups, relu);
    fused.forEach((values, i) => expect(relativeError(values, reference[i]!)).toBeLessThan(i < 3 ? 2e-6 : 2e-5));
  });

  const residualCases: Array<[number[], number, boolean]> = [
    [[8, 6, 6, 16], 1, true],
    [[8, 6, 6, 16], 1, false],
    [[16, 4, 4, 32], 4, true],
    [[6, 5, 3, 7], 3, true],
  ];
  test.each(residualCases)("with a residual, x %j, %i group(s), relu %s: the same as the formula, and bit for bit BatchNorm, Add, Relu", (shape, groups, relu) => {
    const fused = evaluate("native", shape, groups, relu, true);
    expect(fused).toHaveLength(7);
    const reference = evaluate("cpu", shape, groups, relu, true);
    fused.forEach((values, i) => expect(relativeError(values, reference[i]!)).toBeLessThan(i < 3 ? 2e-6 : 2e-5));
    // The merge rounds as the separate kernels do, so a post-activation ResNet computes what it computed unfused.
    const separate = evaluate("native", shape, groups, relu, true, true);
    fused.forEach((values, i) => expect(Array.from(values)).toEqual(Array.from(separate[i]!)));
    if (relu) expect(fused[0]!.some((v) => v === 0) && fused[0]!.some((v) => v > 0)).toBe(true);
  });

  test("results do not depend on the thread count, and nothing leaks", () => {
    const threads = native.kernels!.threads();
    try {
      native.kernels!.threads(1);
      const one = [evaluate("native", [32, 8, 8, 16], 2, true), evaluate("native", [32, 8, 8, 16], 2, true, true)];
      native.kernels!.threads(2);
      const before = tf.memory().numTensors;
      const two = [evaluate("native", [32, 8, 8, 16], 2, true), evaluate("native", [32, 8, 8, 16], 2, true, true)];
      expect(tf.memory().numTensors).toBe(before);
      one.forEach((outputs, k) => outputs.forEach((values, i) => expect(Array.from(values)).toEqual(Array.from(two[k]![i]!))));
    } finally {
      native.kernels!.threads(threads);
    }
  });

  test("the backward's recomputed ReLU mask is the forward's y > 0: dx of dy with relu equals dx of dy * [y > 0] without", () => {
    const k = native.kernels!;
    const [groups, rows, channels] = [2, 4096, 24];
    const size = groups * rows * channels;
    const values = (seed: number, n: number) => seededNormalTensor([n], seed).dataSync() as Float32Array;
    const x = values(11, size), gamma = values(12, groups * channels), beta = values(13, groups * channels), dy = values(14, size);
    const y = new Float32Array(size), mean = new Float32Array(groups * channels), variance = new Float32Array(groups * channels);
    k.batchNorm(x, null, gamma, beta, y, mean, variance, [groups, rows, channels], 1e-5, true);
    const gradient = (upstream: Float32Array, relu: boolean) => {
      const dx = new Float32Array(size), dgamma = new Float32Array(groups * channels), dbeta = new Float32Array(groups * channels);
      k.batchNormGrad(upstream, x, null, relu ? beta : null, gamma, mean, variance, dx, null, dgamma, dbeta, [groups, rows, channels], 1e-5, relu);
      return [dx, dgamma, dbeta];
    };
    const masked = dy.map((d, i) => d * (y[i]! > 0 ? 1 : 0));
    expect(y.some((v) => v === 0) && y.some((v) => v > 0)).toBe(true);
    const withRelu = gradient(dy, true), withoutRelu = gradient(masked, false);
    withRelu.forEach((values, i) => expect(Array.from(values)).toEqual(Array.from(withoutRelu[i]!)));
  });
});
