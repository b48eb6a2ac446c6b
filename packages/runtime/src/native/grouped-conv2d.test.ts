import { beforeAll, describe, expect, test } from "@jest/globals";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../backend.js";
import { relativeError } from "../testing/conv-net.js";
import { seededNormalTensor } from "../testing/random-tensor.js";
import { loadNativeKernels } from "./addon.js";
import { groupedConv2d, hasGroupedConv2D } from "./grouped-ops.js";

// The grouped kernel and its two gradients against k separate dense convolutions on the cpu backend.
const native = loadNativeKernels();
const describeNative = native.kernels ? describe : describe.skip;

/** y and the gradients of sum(y * r) in x and filter, on `backend`, via groupedConv2d. */
function valueAndGradients(backend: string, xShape: number[], filterShape: number[], strides: number, pad: "same" | "valid" | number): Float32Array[] {
  tf.setBackend(backend);
  return tf.tidy(() => {
    const x = seededNormalTensor(xShape, 1);
    const filter = seededNormalTensor(filterShape, 2);
    const y = groupedConv2d(x as tf.Tensor4D, filter, strides, pad);
    const r = seededNormalTensor(y.shape, 3);
    const [dx, dfilter] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(groupedConv2d(a as tf.Tensor4D, b, strides, pad), r)))([x, filter]);
    return [y, dx!, dfilter!].map((t) => t.dataSync().slice() as Float32Array);
  });
}

describe("groupedConv2d without the native kernel", () => {
  beforeAll(async () => {
    await initBackend("cpu");
  });

  test("the cpu backend has no grouped kernel and computes k dense convolutions", () => {
    tf.setBackend("cpu");
    expect(hasGroupedConv2D()).toBe(false);
    const [y] = valueAndGradients("cpu", [4, 5, 5, 2], [2, 3, 3, 2, 3], 1, "same");
    const dense = tf.tidy(() => {
      const x = seededNormalTensor([4, 5, 5, 2], 1);
      const filters = tf.unstack(seededNormalTensor([2, 3, 3, 2, 3], 2)) as tf.Tensor4D[];
      const parts = tf.split(x, 2, 0) as tf.Tensor4D[];
      return tf.concat(parts.map((p, g) => tf.conv2d(p, filters[g]!, 1, "same")), 0).dataSync().slice();
    });
    expect(Array.from(y!)).toEqual(Array.from(dense));
  });

  test("a batch that does not split into the groups is rejected", () => {
    tf.setBackend("cpu");
    expect(() => tf.tidy(() => groupedConv2d(tf.zeros([3, 4, 4, 1]), tf.zeros([2, 3, 3, 1, 1]), 1, "same"))).toThrow(/k dividing the batch 3/);
  });
});

describeNative("native grouped Conv2D equals k dense convolutions (cpu backend)", () => {
  beforeAll(async () => {
    await initBackend("native");
  });

  const cases = [
    { x: [6, 8, 8, 3], f: [3, 3, 3, 3, 16], strides: 1, pad: 1 },
    { x: [8, 8, 8, 16], f: [4, 3, 3, 16, 32], strides: 2, pad: 1 },
    { x: [4, 8, 8, 8], f: [4, 1, 1, 8, 40], strides: 2, pad: "valid" as const },
    { x: [2, 7, 6, 5], f: [1, 3, 3, 5, 7], strides: 1, pad: "same" as const },
  ];
  for (const c of cases) {
    test(`x [${c.x}] filter [${c.f}] stride ${c.strides} pad ${c.pad}: value, dx, dfilter`, () => {
      tf.setBackend("native");
      expect(hasGroupedConv2D()).toBe(true);
      const onNative = valueAndGradients("native", c.x, c.f, c.strides, c.pad);
      const onCpu = valueAndGradients("cpu", c.x, c.f, c.strides, c.pad);
      for (let i = 0; i < 3; i++) expect(relativeError(onNative[i]!, onCpu[i]!)).toBeLessThan(2e-6);
    });
  }

  test("results do not depend on the thread count", () => {
    const threads = native.kernels!.threads();
    try {
      native.kernels!.threads(1);
      const one = valueAndGradients("native", [8, 8, 8, 16], [4, 3, 3, 16, 32], 2, 1);
      native.kernels!.threads(2);
      const two = valueAndGradients("native", [8, 8, 8, 16], [4, 3, 3, 16, 32], 2, 1);
      one.forEach((values, i) => expect(Array.from(values)).toEqual(Array.from(two[i]!)));
    } finally {
      native.kernels!.threads(threads);
    }
  });

  test("no tensors leak across a forward and backward pass", () => {
    tf.setBackend("native");
    valueAndGradients("native", [4, 6, 6, 4], [2, 3, 3, 4, 8], 1, 1);
    const before = tf.memory().numTensors;
    valueAndGradients("native", [4, 6, 6, 4], [2, 3, 3, 4, 8], 1, 1);
    expect(tf.memory().numTensors).toBe(before);
  });
});

describeNative("a filter shared by every group (m-SAM's pass at w): one dense convolution", () => {
  beforeAll(async () => {
    await initBackend("native");
  });

  /** y and the gradients of sum(y * r) in x and the replicas [k, ...] of one filter, with or without the `shared` hint. */
  function withReplicas(xShape: number[], filterShape: number[], groups: number, strides: number, pad: "same" | number, hint: boolean): Float32Array[] {
    return tf.tidy(() => {
      const x = seededNormalTensor(xShape, 1);
      const filter = seededNormalTensor(filterShape, 2) as tf.Tensor4D;
      const replicas = tf.mul(tf.ones([groups, 1, 1, 1, 1]), filter);
      const run = (a: tf.Tensor, b: tf.Tensor) => groupedConv2d(a as tf.Tensor4D, b, strides, pad, hint ? filter : undefined);
      const y = run(x, replicas);
      const r = seededNormalTensor(y.shape, 3);
      const [dx, dreplicas] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(run(a, b), r)))([x, replicas]);
      return [y, dx!, dreplicas!].map((t) => t.dataSync().slice() as Float32Array);
    });
  }

  // A deep layer (many depth segments, a batch that leaves partial register tiles inside groups), a strided one
  // with an odd group size, and the stem.
  const cases: Array<[number[], number[], number, number, "same" | number]> = [
    [[16, 4, 4, 256], [3, 3, 256, 256], 2, 1, 1],
    [[15, 8, 8, 16], [3, 3, 16, 32], 3, 2, 1],
    [[6, 8, 8, 3], [3, 3, 3, 16], 3, 1, "same"],
  ];
  test.each(cases)("x %j, filter %j, %i groups: value, dx and per-group dfilter equal the grouped kernel's bit for bit", async (xShape, filterShape, groups, strides, pad) => {
    tf.setBackend("native");
    const grouped = withReplicas(xShape, filterShape, groups, strides, pad, false);
    let hinted: Float32Array[] = [];
    const info = await tf.profile(() => {
      hinted = withReplicas(xShape, filterShape, groups, strides, pad, true);
    });
    expect(info.kernelNames).toContain("SamReproSharedFilterConv2D");
    expect(info.kernelNames).not.toContain("SamReproGroupedConv2D");
    // Entries that differ in any bit (counted: element-wise toEqual on 10^6 values takes seconds).
    hinted.forEach((values, i) => expect(values.filter((v, j) => !Object.is(v, grouped[i]![j])).length).toBe(0));
  });

  test("the shared filter has no gradient of its own", () => {
    tf.setBackend("native");
    tf.tidy(() => {
      const x = seededNormalTensor([4, 6, 6, 4], 1) as tf.Tensor4D;
      const filter = seededNormalTensor([3, 3, 4, 8], 2) as tf.Tensor4D;
      const replicas = tf.mul(tf.ones([2, 1, 1, 1, 1]), filter);
      expect(() => tf.grad((w: tf.Tensor) => tf.sum(groupedConv2d(x, replicas, 1, 1, w as tf.Tensor4D)))(filter)).toThrow(/no gradient of its own/);
    });
  });
});
