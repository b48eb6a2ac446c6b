import { beforeAll, describe, expect, test } from "@jest/globals";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../backend.js";
import { relativeError } from "../testing/conv-net.js";
import { seededNormalTensor } from "../testing/random-tensor.js";
import { loadNativeKernels } from "./addon.js";
import { groupNormTraining, hasFusedGroupNorm } from "./fused-group-norm-ops.js";

// The fused GroupNorm (+ ReLU) kernels against the same formula in tfjs ops on the cpu backend (values and
// autodiff gradients), against central finite differences, against tf.moments' per-sample GroupNorm, and the
// replicated (m-SAM) form against separate calls.
const native = loadNativeKernels();
const describeNative = native.kernels ? describe : describe.skip;
if (!native.kernels) console.warn(`fused GroupNorm tests skipped: ${native.reason}`);

interface Case {
  shape: number[];
  groups: number;
  relu: boolean;
  replicas: number;
}

function inputs({ shape, replicas }: Case): { x: tf.Tensor4D; gamma: tf.Tensor; beta: tf.Tensor; r: tf.Tensor } {
  const channels = shape[3]!;
  return {
    x: seededNormalTensor(shape, 1, 0.5) as tf.Tensor4D,
    gamma: seededNormalTensor([replicas, channels], 2, 1),
    beta: seededNormalTensor([replicas, channels], 3),
    r: seededNormalTensor(shape, 4),
  };
}

/** y and the gradients of sum(y * r) in x, gamma and beta, on `backend`. */
function evaluate(backend: string, c: Case): Float32Array[] {
  tf.setBackend(backend);
  return tf.tidy(() => {
    const { x, gamma, beta, r } = inputs(c);
    const run = (a: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => groupNormTraining(a as tf.Tensor4D, g, b, { groups: c.groups, relu: c.relu, epsilon: 1e-5, replicas: c.replicas });
    const y = run(x, gamma, beta);
    const grads = tf.grads((a: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(run(a, g, b), r)))([x, gamma, beta]);
    return [y, ...grads].map((t) => t.dataSync().slice() as Float32Array);
  });
}

describe("groupNormTraining without the native kernel", () => {
  beforeAll(async () => {
    await initBackend("cpu");
  });

  test("equals GroupNorm written out with tf.moments per sample and group; replicas use their own gamma, beta", () => {
    expect(hasFusedGroupNorm()).toBe(false);
    const c: Case = { shape: [4, 3, 3, 6], groups: 3, relu: false, replicas: 2 };
    const [y] = evaluate("cpu", c);
    const reference = tf.tidy(() => {
      const { x, gamma, beta } = inputs(c);
      const samples = tf.unstack(x).map((sample, n) => {
        const parts = tf.split(sample, 3, 2).map((part) => {
          const { mean, variance } = tf.moments(part);
          return tf.div(tf.sub(part, mean), tf.sqrt(tf.add(variance, 1e-5)));
        });
        const replica = Math.floor(n / 2);
        return tf.add(tf.mul(tf.concat(parts, 2), tf.gather(gamma, replica)), tf.gather(beta, replica));
      });
      return tf.stack(samples).dataSync().slice();
    });
    expect(relativeError(y!, reference as Float32Array)).toBeLessThan(1e-5);
  });
});

describeNative("native fused GroupNorm", () => {
  beforeAll(async () => {
    await initBackend("native");
  });

  const cases: Case[] = [
    { shape: [8, 6, 6, 16], groups: 8, relu: true, replicas: 1 },
    { shape: [8, 6, 6, 16], groups: 8, relu: false, replicas: 1 },
    { shape: [4, 5, 3, 12], groups: 1, relu: true, replicas: 1 },
    { shape: [4, 5, 3, 12], groups: 12, relu: false, replicas: 1 },
    { shape: [6, 4, 4, 7], groups: 7, relu: true, replicas: 3 },
    { shape: [16, 2, 2, 32], groups: 16, relu: true, replicas: 4 },
    { shape: [3, 1, 1, 10], groups: 2, relu: false, replicas: 1 },
  ];
  test.each(cases)("%j: y, dx, dgamma, dbeta equal the ops and their autodiff (cpu backend)", (c) => {
    tf.setBackend("native");
    expect(hasFusedGroupNorm()).toBe(true);
    const fused = evaluate("native", c);
    const reference = evaluate("cpu", c);
    fused.forEach((values, i) => expect(relativeError(values, reference[i]!)).toBeLessThan(i === 0 ? 2e-6 : 2e-5));
  });

  test.each([false, true])("gradients equal central finite differences of sum(y * r) (relu %s)", (relu) => {
    tf.setBackend("native");
    const c: Case = { shape: [2, 3, 2, 4], groups: 2, relu, replicas: 2 };
    const { x, gamma, beta, r } = inputs(c);
    const rValues = r.dataSync();
    const tensors = [x, gamma, beta];
    const loss = (values: Float32Array[]) =>
      tf.tidy(() => {
        const y = groupNormTraining(tf.tensor(values[0]!, c.shape) as tf.Tensor4D, tf.tensor(values[1]!, gamma.shape), tf.tensor(values[2]!, beta.shape), {
          groups: c.groups, relu, epsilon: 1e-5, replicas: c.replicas,
        }).dataSync();
        return y.reduce((sum, v, i) => sum + v * rValues[i]!, 0); // in float64
      });
    const analytic = evaluate("native", c).slice(1);
    const base = tensors.map((t) => t.dataSync().slice() as Float32Array);
    const h = 1e-2;
    tensors.forEach((_, which) => {
      const numeric = base[which]!.map((_, i) => {
        const shifted = (delta: number) => base.map((values, j) => (j === which ? values.map((v, k) => (k === i ? v + delta : v)) : values));
        return (loss(shifted(h)) - loss(shifted(-h))) / (2 * h);
      });
      expect(relativeError(analytic[which]!, numeric)).toBeLessThan(1e-2);
    });
    tf.dispose([x, gamma, beta, r]);
  });

  test("the replicated form equals one call per replica on its block of samples", () => {
    tf.setBackend("native");
    const c: Case = { shape: [6, 4, 4, 8], groups: 4, relu: true, replicas: 3 };
    const [together, dxTogether, dgammaTogether, dbetaTogether] = evaluate("native", c);
    const { x, gamma, beta, r } = inputs(c);
    const blocks = [0, 1, 2].map((k) =>
      tf.tidy(() => {
        const run = (a: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => groupNormTraining(a as tf.Tensor4D, g, b, { groups: 4, relu: true, epsilon: 1e-5 });
        const [xs, gs, bs, rs] = [tf.slice(x, [2 * k], [2]), tf.slice(gamma, [k], [1]), tf.slice(beta, [k], [1]), tf.slice(r, [2 * k], [2])];
        const y = run(xs, gs, bs);
        const grads = tf.grads((a: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(run(a, g, b), rs)))([xs, gs, bs]);
        return [y, ...grads].map((t) => Array.from(t.dataSync()));
      }),
    );
    tf.dispose([x, gamma, beta, r]);
    expect(Array.from(together!)).toEqual(blocks.flatMap((b) => b[0]!));
    expect(Array.from(dxTogether!)).toEqual(blocks.flatMap((b) => b[1]!));
    expect(Array.from(dgammaTogether!)).toEqual(blocks.flatMap((b) => b[2]!));
    expect(Array.from(dbetaTogether!)).toEqual(blocks.flatMap((b) => b[3]!));
  });

  test("results do not depend on the thread count (bitwise), and nothing leaks", () => {
    const threads = native.kernels!.threads();
    const c: Case = { shape: [32, 8, 8, 16], groups: 8, relu: true, replicas: 4 };
    try {
      native.kernels!.threads(1);
      const one = evaluate("native", c);
      native.kernels!.threads(2);
      const before = tf.memory().numTensors;
      const two = evaluate("native", c);
      expect(tf.memory().numTensors).toBe(before);
      one.forEach((values, i) => expect(Array.from(values)).toEqual(Array.from(two[i]!)));
    } finally {
      native.kernels!.threads(threads);
    }
  });

  test("a bad split is a one-line error naming the shape", () => {
    tf.setBackend("native");
    const x = tf.zeros([4, 2, 2, 6]) as tf.Tensor4D;
    const gamma = tf.ones([6]);
    expect(() => groupNormTraining(x, gamma, gamma, { groups: 4, epsilon: 1e-5 })).toThrow(/x \[4, 2, 2, 6\] does not split into 4 channel groups/);
    expect(() => groupNormTraining(x, gamma, gamma, { groups: 3, epsilon: 1e-5, replicas: 3 })).toThrow(/3 replicas/);
    tf.dispose([x, gamma]);
  });
});
