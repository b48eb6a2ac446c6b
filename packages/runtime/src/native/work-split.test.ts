import { beforeAll, describe, expect, test } from "@jest/globals";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../backend.js";
import { relativeError } from "../testing/conv-net.js";
import { seededNormalTensor } from "../testing/random-tensor.js";
import { loadNativeKernels } from "./addon.js";

// The native kernels' work splits for small batches and wide or long reductions: the convolutions split their
// output columns (forward, input gradient) or the filter gradient's rows over the threads when the batch has few
// pixels, and the sums split wide [rows, columns] tensors over columns and long rows into pieces. The results
// must equal the cpu backend (or a double-precision reference) and be bitwise the same for any thread count.
const native = loadNativeKernels();
const describeNative = native.kernels ? describe : describe.skip;

/** Runs f with each thread count and returns the results; restores the thread count. */
function withThreads<T>(counts: number[], f: () => T): T[] {
  const kernels = native.kernels!;
  const previous = kernels.threads();
  try {
    return counts.map((count) => {
      kernels.threads(count);
      return f();
    });
  } finally {
    kernels.threads(previous);
  }
}

/** Conv2D's value and its gradients in x and filter for the loss sum(y * r), on `backend`. */
function convValueAndGradients(backend: string, xShape: number[], filterShape: number[], strides: number): Float32Array[] {
  tf.setBackend(backend);
  return tf.tidy(() => {
    const x = seededNormalTensor(xShape, 11) as tf.Tensor4D;
    const filter = seededNormalTensor(filterShape, 12) as tf.Tensor4D;
    const conv = (a: tf.Tensor, b: tf.Tensor) => tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, strides, "same");
    const y = conv(x, filter);
    const r = seededNormalTensor(y.shape, 13);
    const [dx, dfilter] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(conv(a, b), r)))([x, filter]);
    return [y, dx!, dfilter!].map((t) => t.dataSync().slice() as Float32Array);
  });
}

describeNative("native kernels split small batches and long sums over the threads", () => {
  beforeAll(async () => {
    await initBackend("native");
  });

  const convCases = [
    // Few pixels, many output channels: the column panels and the filter gradient's rows carry the split.
    { name: "deep layer, batch 2", x: [2, 4, 4, 64], f: [3, 3, 64, 96], strides: 1 },
    { name: "strided, batch 1", x: [1, 8, 8, 48], f: [3, 3, 48, 80], strides: 2 },
    // Many pixels, output channels padded to the vector width: several filter-gradient groups, first chunk stores.
    { name: "many pixels, padded channels", x: [4, 24, 24, 4], f: [3, 3, 4, 20], strides: 1 },
  ];
  test.each(convCases)("conv2d and its gradients, $name: equal to the cpu backend, same for 1, 2 and 3 threads", (c) => {
    const [one, two, three] = withThreads([1, 2, 3], () => convValueAndGradients("native", c.x, c.f, c.strides));
    const cpu = convValueAndGradients("cpu", c.x, c.f, c.strides);
    for (let i = 0; i < 3; i++) {
      expect(relativeError(two![i]!, cpu[i]!)).toBeLessThan(1e-5);
      expect(Array.from(one![i]!)).toEqual(Array.from(two![i]!));
      expect(Array.from(three![i]!)).toEqual(Array.from(two![i]!));
    }
  });

  test("a filter gradient whose pixel chunks leave a group empty ignores what an earlier call left in that group", () => {
    // 3x3 filter, 64 -> 20 channels, padding 1: chunks of 292 pixels. 32x32 pixels are 4 chunks, one per group;
    // 36x36 are 5 chunks in groups of 2, so the fourth group gets none (and must not add the earlier call's sums).
    const params = (size: number) => [1, size, size, 64, size, size, 20, 3, 3, 1, 1, 1, 1, 1, 1];
    const gradient = (size: number, seed: number) => {
      const x = seededValues(size * size * 64, seed);
      const dy = seededValues(size * size * 20, seed + 1);
      const dw = new Float32Array(9 * 64 * 20);
      native.kernels!.conv2dBackpropFilter(x, dy, dw, params(size));
      return { x, dy, dw };
    };
    gradient(32, 41);
    const { x, dy, dw } = gradient(36, 43);
    let maxError = 0;
    let scale = 0;
    for (let kh = 0; kh < 3; kh++)
      for (let kw = 0; kw < 3; kw++)
        for (let ci = 0; ci < 64; ci++)
          for (let co = 0; co < 20; co++) {
            let sum = 0;
            for (let oh = 0; oh < 36; oh++)
              for (let ow = 0; ow < 36; ow++) {
                const ih = oh + kh - 1;
                const iw = ow + kw - 1;
                if (ih >= 0 && ih < 36 && iw >= 0 && iw < 36) sum += x[(ih * 36 + iw) * 64 + ci]! * dy[(oh * 36 + ow) * 20 + co]!;
              }
            maxError = Math.max(maxError, Math.abs(dw[((kh * 3 + kw) * 64 + ci) * 20 + co]! - sum));
            scale = Math.max(scale, Math.abs(sum));
          }
    expect(maxError / scale).toBeLessThan(1e-5);
  });

  function seededValues(size: number, seed: number): Float32Array {
    return tf.tidy(() => seededNormalTensor([size], seed).dataSync().slice() as Float32Array);
  }

  test("a wide [rows, columns] tensor summed over rows equals the rows added in order in double, for any thread count", () => {
    const rows = 3;
    const columns = 40000;
    const x = seededValues(rows * columns, 21);
    const sums = withThreads([1, 2, 3], () => {
      const out = new Float32Array(columns);
      native.kernels!.reduceSum(x, null, [rows, columns], [0], out, false);
      return out;
    });
    const expected = new Float32Array(columns);
    for (let j = 0; j < columns; j++) {
      let total = 0;
      for (let r = 0; r < rows; r++) total += x[r * columns + j]!;
      expected[j] = total;
    }
    for (const out of sums) expect(Array.from(out)).toEqual(Array.from(expected));
    const mean = new Float32Array(columns);
    native.kernels!.reduceSum(x, null, [rows, 1, columns], [0, 1], mean, true);
    expect(mean[7]).toBeCloseTo(expected[7]! / rows, 6);
  });

  test("long rows summed in pieces (sum of squares, as per-replica norms) match a double reference, for any thread count", () => {
    const rows = 2;
    const length = 200003; // four pieces, the last one short and not a multiple of eight
    const x = seededValues(rows * length, 22);
    const sums = withThreads([1, 2, 3], () => {
      const out = new Float32Array(rows);
      native.kernels!.reduceSum(x, x, [rows, length], [1], out, false);
      return out;
    });
    for (let r = 0; r < rows; r++) {
      let total = 0;
      for (let j = 0; j < length; j++) total += Math.fround(x[r * length + j]! * x[r * length + j]!);
      expect(Math.abs(sums[0]![r]! - total) / total).toBeLessThan(1e-7);
    }
    for (const out of sums) expect(Array.from(out)).toEqual(Array.from(sums[0]!));
  });
});
