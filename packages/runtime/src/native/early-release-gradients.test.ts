import { afterEach, beforeAll, describe, expect, test } from "@jest/globals";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../backend.js";
import { seededNormalTensor } from "../testing/random-tensor.js";
import { loadNativeKernels } from "./addon.js";
import { installEarlyReleaseGradients, uninstallEarlyReleaseGradients } from "./early-release-gradients.js";

// Backpropagation that frees each node's dy and saved tensors once the node is done must give tfjs's own results,
// bit for bit, with a lower peak, no leaked tensor, and without disposing tensors it did not make.
const native = loadNativeKernels();
const describeNative = native.kernels ? describe : describe.skip;

/** A small residual conv net's loss gradients in x and the filters (conv, ReLU, skip connection, mean). */
function convNetGradients(): Float32Array[] {
  return tf.tidy(() => {
    const x = seededNormalTensor([2, 6, 6, 4], 31);
    const w1 = seededNormalTensor([3, 3, 4, 4], 32);
    const w2 = seededNormalTensor([3, 3, 4, 4], 33);
    const loss = (a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) => {
      const h = tf.relu(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 1, "same"));
      return tf.mean(tf.square(tf.add(a, tf.conv2d(h, c as tf.Tensor4D, 1, "same"))));
    };
    return tf.grads(loss)([x, w1, w2]).map((g) => g.dataSync().slice() as Float32Array);
  });
}

/** The most tensor bytes alive while the gradient of a chain of `depth` sines runs (each node saves its input). */
function backwardPeakBytes(depth: number): number {
  let peak = 0;
  const sine = tf.customGrad((v: tf.Tensor, save: tf.GradSaveFunc) => {
    save([v]);
    return {
      value: tf.sin(v),
      gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
        peak = Math.max(peak, tf.memory().numBytes);
        return [tf.mul(dy as tf.Tensor, tf.cos(saved[0]!))];
      },
    };
  });
  const x = tf.ones([64, 1024]);
  tf.tidy(() => {
    tf.grad((a: tf.Tensor) => {
      let h = a;
      for (let i = 0; i < depth; i++) h = sine(h) as tf.Tensor;
      return tf.sum(h);
    })(x);
  });
  x.dispose();
  return peak;
}

describeNative("early-release backpropagation on the native backend", () => {
  beforeAll(async () => {
    await initBackend("native");
  });

  afterEach(() => {
    installEarlyReleaseGradients();
  });

  test("gradients equal tfjs's own backpropagation bit for bit, with no leaked tensor", () => {
    tf.setBackend("native");
    uninstallEarlyReleaseGradients();
    const reference = convNetGradients();
    installEarlyReleaseGradients();
    const before = tf.memory().numTensors;
    const early = convNetGradients();
    expect(tf.memory().numTensors).toBe(before);
    early.forEach((g, i) => expect(Array.from(g)).toEqual(Array.from(reference[i]!)));
  });

  test("the backward pass's peak memory is lower: the chain's gradients and saved inputs are not all alive at once", () => {
    tf.setBackend("native");
    uninstallEarlyReleaseGradients();
    const tfjsPeak = backwardPeakBytes(16);
    installEarlyReleaseGradients();
    const earlyPeak = backwardPeakBytes(16);
    // tfjs: the saved inputs and every gradient so far stay alive (about 3 tensors a node by the last one); early
    // release: the saved inputs not yet used and the current gradient (about 1 a node, measured 18 vs 49).
    expect(earlyPeak).toBeLessThan(0.5 * tfjsPeak);
  });

  test("a gradient that is its dy, or a tensor from outside, is neither lost nor disposed", () => {
    tf.setBackend("native");
    const outside = tf.tensor1d([5, 6, 7]);
    const passThrough = tf.customGrad((a: tf.Tensor) => ({ value: tf.mul(a, 2), gradFunc: (dy: tf.Tensor) => [dy] }));
    const fromOutside = tf.customGrad((a: tf.Tensor) => ({ value: tf.mul(a, 3), gradFunc: () => [outside] }));
    const x = tf.tensor1d([1, 2, 3]);
    const [g1] = tf.grads((a: tf.Tensor) => tf.sum(tf.mul(passThrough(tf.add(a, 0)) as tf.Tensor, tf.tensor1d([1, 10, 100]))))([x]);
    expect(Array.from(g1!.dataSync())).toEqual([1, 10, 100]);
    const [g2] = tf.grads((a: tf.Tensor) => tf.sum(fromOutside(tf.add(a, 0)) as tf.Tensor))([x]);
    expect(Array.from(g2!.dataSync())).toEqual([5, 6, 7]);
    expect(outside.isDisposed).toBe(false);
    expect(Array.from(outside.dataSync())).toEqual([5, 6, 7]);
    // A gradient that is the node's own saved tensor outlives the node.
    const fromSaved = tf.customGrad((a: tf.Tensor, save: tf.GradSaveFunc) => {
      save([a]);
      return { value: tf.square(a), gradFunc: (_dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => [saved[0]!] };
    });
    const [g3] = tf.grads((a: tf.Tensor) => tf.sum(fromSaved(tf.add(a, 0)) as tf.Tensor))([x]);
    expect(Array.from(g3!.dataSync())).toEqual([1, 2, 3]);
    tf.dispose([outside, x, g1!, g2!, g3!]);
  });

  test("second derivatives (nested gradients) keep tfjs's method and are right", () => {
    tf.setBackend("native");
    const x = tf.tensor1d([0.5, 1.5]);
    // d2/dx2 x^3 = 6x
    const second = tf.grad((a: tf.Tensor) => tf.sum(tf.grad((b: tf.Tensor) => tf.sum(tf.pow(b, 3)))(a)))(x);
    const values = Array.from(second.dataSync());
    expect(values[0]).toBeCloseTo(3, 5);
    expect(values[1]).toBeCloseTo(9, 5);
    tf.dispose([x, second]);
  });
});
