import { describe, expect, test, beforeAll } from "@jest/globals";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "./backend.js";

// A small conv net with both normalizations a PreAct ResNet uses, strided and padded convs, a
// 1x1 shortcut and average pooling: every gradient kernel a ResNet training step touches.
function makeParameters(seed: number) {
  return {
    stem: tf.randomNormal([3, 3, 3, 4], 0, 0.3, "float32", seed),
    bnScale: tf.randomUniform([4], 0.5, 1.5, "float32", seed + 1),
    bnShift: tf.randomNormal([4], 0, 0.1, "float32", seed + 2),
    conv: tf.randomNormal([3, 3, 4, 6], 0, 0.3, "float32", seed + 3),
    shortcut: tf.randomNormal([1, 1, 4, 6], 0, 0.3, "float32", seed + 4),
    gnScale: tf.randomUniform([6], 0.5, 1.5, "float32", seed + 5),
    gnShift: tf.randomNormal([6], 0, 0.1, "float32", seed + 6),
    head: tf.randomNormal([6, 5], 0, 0.3, "float32", seed + 7),
  };
}
type Params = ReturnType<typeof makeParameters>;

function forward(p: Record<keyof Params, tf.Tensor>, x: tf.Tensor4D): tf.Tensor2D {
  let h = tf.conv2d(x, p.stem as tf.Tensor4D, 1, "same");
  const { mean, variance } = tf.moments(h, [0, 1, 2]);
  h = h.sub(mean).mul(tf.rsqrt(variance.add(1e-5))).mul(p.bnScale).add(p.bnShift);
  h = tf.relu(h);
  const main = tf.conv2d(h as tf.Tensor4D, p.conv as tf.Tensor4D, 2, "same");
  const skip = tf.conv2d(h as tf.Tensor4D, p.shortcut as tf.Tensor4D, 2, "valid");
  let y = main.add(skip) as tf.Tensor4D;
  const [n, height, width] = y.shape;
  const groups = y.reshape([n, height, width, 3, 2]);
  const stats = tf.moments(groups, [1, 2, 4], true);
  y = groups.sub(stats.mean).mul(tf.rsqrt(stats.variance.add(1e-5))).reshape(y.shape).mul(p.gnScale).add(p.gnShift);
  y = tf.avgPool(tf.relu(y) as tf.Tensor4D, 2, 2, "valid");
  return y.mean([1, 2]).matMul(p.head as tf.Tensor2D);
}

function gradientsOn(backend: string, params: Params, x: tf.Tensor4D, labels: tf.Tensor2D): Map<string, Float32Array> {
  tf.setBackend(backend);
  return tf.tidy(() => {
    const names = Object.keys(params) as (keyof Params)[];
    const copies = names.map((name) => tf.tensor(params[name].dataSync(), params[name].shape));
    const xs = tf.tensor(x.dataSync(), x.shape) as tf.Tensor4D;
    const ys = tf.tensor(labels.dataSync(), labels.shape) as tf.Tensor2D;
    const grads = tf.grads((...ts: tf.Tensor[]) => {
      const p = Object.fromEntries(names.map((name, i) => [name, ts[i]!])) as Record<keyof Params, tf.Tensor>;
      return tf.losses.softmaxCrossEntropy(ys, forward(p, xs));
    })(copies);
    return new Map(names.map((name, i) => [name, grads[i]!.dataSync() as Float32Array]));
  });
}

function relativeError(a: Float32Array, b: Float32Array): number {
  let diff = 0;
  let norm = 0;
  for (let i = 0; i < a.length; i++) {
    diff = Math.max(diff, Math.abs(a[i]! - b[i]!));
    norm = Math.max(norm, Math.abs(b[i]!));
  }
  return diff / norm;
}

describe("wasm gradient kernels", () => {
  let params: Params;
  let x: tf.Tensor4D;
  let labels: tf.Tensor2D;

  beforeAll(async () => {
    await initBackend("wasm");
    await tf.setBackend("cpu");
    params = makeParameters(11);
    x = tf.randomNormal([4, 8, 8, 3], 0, 1, "float32", 5);
    labels = tf.oneHot([0, 1, 4, 3], 5) as tf.Tensor2D;
  });

  test("Conv2DBackpropFilter is registered for wasm", () => {
    expect(tf.getKernel("Conv2DBackpropFilter", "wasm")).toBeDefined();
  });

  test("gradients of a conv net with BatchNorm and GroupNorm on wasm equal cpu to 1e-4 relative", () => {
    const onWasm = gradientsOn("wasm", params, x, labels);
    const onCpu = gradientsOn("cpu", params, x, labels);
    for (const [name, cpuGrad] of onCpu) {
      expect(relativeError(onWasm.get(name)!, cpuGrad)).toBeLessThan(1e-4);
    }
  });

  test("wasm filter gradient matches central finite differences", () => {
    const onWasm = gradientsOn("wasm", params, x, labels);
    tf.setBackend("wasm");
    const names = Object.keys(params) as (keyof Params)[];
    const lossAt = (name: keyof Params, index: number, delta: number) =>
      tf.tidy(() => {
        const p = Object.fromEntries(names.map((k) => [k, params[k].clone()])) as Record<keyof Params, tf.Tensor>;
        const values = p[name].dataSync().slice();
        values[index] += delta;
        p[name] = tf.tensor(values, p[name].shape);
        return tf.losses.softmaxCrossEntropy(labels, forward(p, x)).dataSync()[0]!;
      });
    const h = 1e-2;
    for (const name of ["stem", "conv", "shortcut"] as const) {
      const analytic = onWasm.get(name)!;
      // Probe the largest gradient entries, where float32 finite differences are well resolved.
      const order = Array.from(analytic.keys()).sort((a, b) => Math.abs(analytic[b]!) - Math.abs(analytic[a]!));
      for (const index of order.slice(0, 3)) {
        const numeric = (lossAt(name, index, h) - lossAt(name, index, -h)) / (2 * h);
        expect(Math.abs(numeric - analytic[index]!)).toBeLessThan(0.02 * Math.abs(analytic[index]!) + 1e-4);
      }
    }
  });
});
