import { beforeAll, describe, expect, test } from "@jest/globals";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../backend.js";
import { loadNativeKernels } from "./addon.js";
import { SeededRandom } from "../random.js";

// Every native kernel against tfjs's cpu backend (the reference) on the same inputs.
const native = loadNativeKernels();
const describeNative = native.kernels ? describe : describe.skip;

function randomValues(size: number, seed: number): Float32Array {
  const random = new SeededRandom(seed);
  const values = new Float32Array(size);
  for (let i = 0; i < size; i++) values[i] = random.normal();
  return values;
}

/** Runs f on both backends with copies of the inputs and returns [native, cpu] results. */
function onBoth(inputs: { values: Float32Array; shape: number[] }[], f: (...xs: tf.Tensor[]) => tf.Tensor): [Float32Array, Float32Array, number[]] {
  const run = (backend: string) => {
    tf.setBackend(backend);
    return tf.tidy(() => {
      const result = f(...inputs.map(({ values, shape }) => tf.tensor(values.slice(), shape)));
      return { values: result.dataSync().slice() as Float32Array, shape: result.shape };
    });
  };
  const onNative = run("native");
  const onCpu = run("cpu");
  expect(onNative.shape).toEqual(onCpu.shape);
  return [onNative.values, onCpu.values, onNative.shape];
}

function maxRelativeError(a: Float32Array, b: Float32Array): number {
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < a.length; i++) {
    if (Number.isNaN(b[i]!)) {
      if (!Number.isNaN(a[i]!)) return Infinity;
      continue;
    }
    diff = Math.max(diff, Math.abs(a[i]! - b[i]!));
    scale = Math.max(scale, Math.abs(b[i]!));
  }
  return diff / Math.max(scale, 1e-30);
}

describeNative("native kernels equal the cpu backend", () => {
  beforeAll(async () => {
    await initBackend("native");
  });

  const convCases = [
    { x: [2, 7, 6, 3], f: [3, 3, 3, 5], stride: 1, pad: "same" },
    { x: [2, 8, 8, 16], f: [3, 3, 16, 16], stride: 1, pad: "same" },
    { x: [2, 8, 8, 16], f: [3, 3, 16, 32], stride: 2, pad: "same" },
    { x: [2, 9, 7, 4], f: [3, 3, 4, 6], stride: 2, pad: "valid" },
    { x: [3, 8, 8, 8], f: [1, 1, 8, 40], stride: 2, pad: "valid" },
    { x: [1, 10, 9, 5], f: [2, 4, 5, 7], stride: [2, 3], pad: "same" },
    { x: [2, 6, 6, 20], f: [3, 3, 20, 48], stride: 1, pad: 1 },
    { x: [1, 5, 5, 2], f: [5, 5, 2, 3], stride: 3, pad: "same" },
    // More output pixels than one work item (192 rows): items and filter-gradient chunks start mid-row and span
    // images, so their strips of input rows with zero borders (conv_rows.h) cover partial images.
    { x: [9, 11, 13, 6], f: [3, 3, 6, 8], stride: 1, pad: "same" },
    { x: [7, 13, 11, 5], f: [3, 3, 5, 16], stride: 2, pad: "same" },
    { x: [5, 12, 10, 3], f: [5, 5, 3, 20], stride: 1, pad: 2 },
  ] as const;

  test.each(convCases)("conv2d forward, input and filter gradients: x $x, filter $f, stride $stride, pad $pad", (c) => {
    const x = { values: randomValues(tf.util.sizeFromShape([...c.x]), 1), shape: [...c.x] };
    const w = { values: randomValues(tf.util.sizeFromShape([...c.f]), 2), shape: [...c.f] };
    const stride = c.stride as number | [number, number];
    const conv = (a: tf.Tensor, b: tf.Tensor) => tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, stride, c.pad as "same");
    const [forwardNative, forwardCpu, outShape] = onBoth([x, w], conv);
    expect(maxRelativeError(forwardNative, forwardCpu)).toBeLessThan(1e-5);
    const dy = { values: randomValues(tf.util.sizeFromShape(outShape), 3), shape: outShape };
    const gradient = (which: 0 | 1) => (a: tf.Tensor, b: tf.Tensor, d: tf.Tensor) =>
      tf.grads((p: tf.Tensor, q: tf.Tensor) => conv(p, q))([a, b], d)[which]!;
    for (const which of [0, 1] as const) {
      const [onNative, onCpu] = onBoth([x, w, dy], gradient(which));
      expect(maxRelativeError(onNative, onCpu)).toBeLessThan(1e-5);
    }
  });

  test("dilated conv2d forward", () => {
    const x = { values: randomValues(2 * 9 * 9 * 4, 4), shape: [2, 9, 9, 4] };
    const w = { values: randomValues(3 * 3 * 4 * 5, 5), shape: [3, 3, 4, 5] };
    const [a, b] = onBoth([x, w], (p, q) => tf.conv2d(p as tf.Tensor4D, q as tf.Tensor4D, 1, "same", "NHWC", 2));
    expect(maxRelativeError(a, b)).toBeLessThan(1e-5);
  });

  test("fused conv2d with bias and relu, and with leaky relu", () => {
    const x = { values: randomValues(2 * 6 * 6 * 4, 6), shape: [2, 6, 6, 4] };
    const w = { values: randomValues(3 * 3 * 4 * 6, 7), shape: [3, 3, 4, 6] };
    const bias = { values: randomValues(6, 8), shape: [6] };
    for (const activation of ["relu", "leakyrelu", "linear"] as const) {
      const [a, b] = onBoth([x, w, bias], (p, q, r) =>
        tf.fused.conv2d({ x: p as tf.Tensor4D, filter: q as tf.Tensor4D, strides: 1, pad: "same", bias: r, activation, leakyreluAlpha: 0.1 }),
      );
      expect(maxRelativeError(a, b)).toBeLessThan(1e-5);
    }
  });

  const broadcastCases: [number[], number[]][] = [
    [[4, 5, 6, 7], [4, 5, 6, 7]],
    [[4, 5, 6, 7], [7]],
    [[7], [4, 5, 6, 7]],
    [[4, 5, 6, 7], [1, 1, 1, 7]],
    [[4, 5, 6, 7], [4, 1, 1, 7]],
    [[4, 5, 6, 7], []],
    [[], [3, 2]],
    [[4, 1, 6, 1], [1, 5, 1, 7]],
    [[2, 3, 4, 5, 6], [2, 1, 1, 5, 1]],
    [[3000], [3000]],
  ];
  test.each(["add", "sub", "mul", "div", "maximum", "minimum", "squaredDifference"] as const)("%s with broadcasting", (op) => {
    broadcastCases.forEach(([aShape, bShape], i) => {
      const a = { values: randomValues(tf.util.sizeFromShape(aShape), 10 + i), shape: aShape };
      const b = { values: randomValues(tf.util.sizeFromShape(bShape), 20 + i), shape: bShape };
      if (a.values.length > 3) a.values[3] = NaN;
      const [onNative, onCpu] = onBoth([a, b], (p, q) => tf[op](p, q));
      // Elementwise arithmetic rounds exactly like the cpu backend.
      expect(Array.from(onNative)).toEqual(Array.from(onCpu));
    });
  });

  test("unary kernels round like the cpu backend, NaN included", () => {
    const values = randomValues(50000, 30);
    values[0] = NaN;
    values[1] = 0;
    values[2] = -0;
    values[3] = 7;
    const x = { values, shape: [values.length] };
    const ops: ((t: tf.Tensor) => tf.Tensor)[] = [
      tf.relu, tf.relu6, tf.neg, tf.square, tf.abs, tf.reciprocal,
      (t) => tf.step(t, 0.25), (t) => tf.sqrt(tf.abs(t)), (t) => tf.rsqrt(tf.abs(t)),
    ];
    for (const op of ops) {
      const [onNative, onCpu] = onBoth([x], op);
      expect(Array.from(onNative)).toEqual(Array.from(onCpu));
    }
  });

  test.each([
    [[64, 5, 6, 16], [0, 1, 2]],
    [[64, 5, 6, 16], [3]],
    [[4, 5, 6, 3, 4], [1, 2, 4]],
    [[4, 5, 6, 7], [0, 2]],
    [[4, 5, 6, 7], [1]],
    [[100003], [0]],
    [[4, 5, 6, 7], [0, 1, 2, 3]],
    [[4, 1, 6, 1], [1, 3]],
  ] as [number[], number[]][])("sum and mean of %j over axes %j", (shape, axes) => {
    const x = { values: randomValues(tf.util.sizeFromShape(shape), 40), shape };
    for (const keepDims of [false, true]) {
      for (const op of [tf.sum, tf.mean]) {
        const [onNative, onCpu] = onBoth([x], (t) => op(t, axes, keepDims));
        expect(maxRelativeError(onNative, onCpu)).toBeLessThan(1e-6);
      }
    }
  });

  test("addN sums in the same order as the cpu backend", () => {
    const inputs = [0, 1, 2, 3].map((i) => ({ values: randomValues(20000, 50 + i), shape: [100, 200] }));
    const [onNative, onCpu] = onBoth(inputs, (...ts) => tf.addN(ts));
    expect(Array.from(onNative)).toEqual(Array.from(onCpu));
  });

  test("the replica axpy kernel (m-SAM's perturbed replicas) equals Multiply then Add bit for bit", async () => {
    await tf.setBackend("native");
    const base = tf.tensor(randomValues(3 * 5 * 70, 7), [3, 5, 70]);
    const g = tf.tensor(randomValues(4 * 3 * 5 * 70, 8), [4, 3, 5, 70]);
    const factor = tf.tensor(randomValues(4, 9), [4]);
    const fused = tf.engine().runKernel("SamReproReplicaAxpy", { base, g, factor }) as tf.Tensor;
    const plain = tf.add(base, tf.mul(g, tf.reshape(factor, [4, 1, 1, 1])));
    expect(fused.shape).toEqual([4, 3, 5, 70]);
    expect(Array.from(fused.dataSync())).toEqual(Array.from(plain.dataSync()));
    tf.dispose([base, g, factor, fused, plain]);
  });

  test("integer tensors fall back to the cpu kernels", () => {
    tf.setBackend("native");
    const sum = tf.tidy(() => tf.add(tf.tensor([1, 2, 3], [3], "int32"), tf.tensor([4, 5, 6], [3], "int32")).arraySync());
    expect(sum).toEqual([5, 7, 9]);
  });

  test("float32 tensors whose values the cpu kernels left in another array type (a cast from bool) are read correctly", () => {
    tf.setBackend("native");
    const counts = tf.tidy(() => {
      const mistakes = tf.notEqual(tf.tensor1d([0, 1, 2, 3], "int32"), tf.tensor1d([0, 2, 2, 1], "int32"));
      const asFloat = tf.cast(mistakes, "float32");
      return [tf.sum(asFloat).dataSync()[0], tf.mul(asFloat, 2).dataSync().slice()];
    });
    expect(counts[0]).toBe(2);
    expect(Array.from(counts[1] as Float32Array)).toEqual([0, 2, 0, 2]);
  });

  test("a slice that views its input survives the input's disposal", () => {
    tf.setBackend("native");
    const big = tf.tensor(randomValues(8192, 60), [2, 4096]);
    const expected = big.slice([1, 0], [1, 4096]).dataSync().slice();
    const view = big.slice([1, 0], [1, 4096]);
    big.dispose();
    // Allocations that would reuse a recycled buffer of the same size.
    const others = [0, 1, 2].map(() => tf.fill([2, 4096], 3).add(1));
    expect(Array.from(view.dataSync())).toEqual(Array.from(expected));
    others.forEach((t) => t.dispose());
    view.dispose();
  });
});
