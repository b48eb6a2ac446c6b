import { beforeAll, describe, expect, test } from "@jest/globals";
import * as tf from "@tensorflow/tfjs";
import { requireNativeSetting } from "@sam-repro/runner";
import { activeBackend, initBackend } from "./backend.js";
import { loadNativeKernels } from "./native/addon.js";
import { NativeBackend } from "./native/native-backend.js";
import {
  CONV_NET_SHAPES,
  convNetBatch,
  convNetForward,
  convNetGradients,
  convNetLossCurve,
  convNetValues,
  relativeError,
  type ConvNetName,
} from "./testing/conv-net.js";

// The reference is tfjs's cpu backend; every faster backend must compute the same training run.
const nativeLoaded = loadNativeKernels().kernels != null;
const requireNative = requireNativeSetting();
const fastBackends = ["wasm", ...(nativeLoaded ? ["native"] : [])];

describe("backend equivalence", () => {
  const values = convNetValues(3);
  const data = convNetBatch(7, 6, 8);

  beforeAll(async () => {
    await initBackend("wasm");
    if (nativeLoaded) await initBackend("native");
  });

  test("the native addon is built and loads (required when SAM_REPRO_REQUIRE_NATIVE=1)", () => {
    if (requireNative) expect(loadNativeKernels().reason).toBe("loaded");
    else expect(typeof loadNativeKernels().reason).toBe("string");
  });

  test.each(fastBackends)("%s gradients of a conv net with BatchNorm and GroupNorm equal cpu to 1e-4 relative", async (backend) => {
    await tf.setBackend(backend);
    const fast = convNetGradients(values, data);
    await tf.setBackend("cpu");
    const reference = convNetGradients(values, data);
    for (const name of Object.keys(CONV_NET_SHAPES) as ConvNetName[]) {
      expect(relativeError(fast[name], reference[name])).toBeLessThan(1e-4);
    }
  });

  test("a few gradient-descent steps give the same loss curve on every backend (1e-4 relative)", async () => {
    await tf.setBackend("cpu");
    const reference = convNetLossCurve(values, data, 6, 0.2);
    expect(reference[5]!).toBeLessThan(reference[0]!);
    for (const backend of fastBackends) {
      await tf.setBackend(backend);
      const curve = convNetLossCurve(values, data, 6, 0.2);
      curve.forEach((loss, step) => expect(Math.abs(loss - reference[step]!) / Math.abs(reference[step]!)).toBeLessThan(1e-4));
    }
  });

  test.each(fastBackends)("100 training steps on %s leave no tensors and no memory behind", async (backend) => {
    await tf.setBackend(backend);
    const heapBytes = () => {
      const active = tf.backend() as unknown as { wasm?: { HEAPU8: Uint8Array }; pool?: { bytes: number } };
      return active.wasm ? active.wasm.HEAPU8.length : active.pool!.bytes;
    };
    const tensorsBefore = tf.memory().numTensors;
    convNetLossCurve(values, data, 10, 0.05); // warm-up: heap growth and pooled buffers settle
    const heapAfterWarmUp = heapBytes();
    const rssAfterWarmUp = process.memoryUsage().rss;
    convNetLossCurve(values, data, 100, 0.05);
    expect(tf.memory().numTensors).toBe(tensorsBefore);
    expect(heapBytes()).toBe(heapAfterWarmUp);
    // Generous: the garbage collector runs when it likes; a leak of the step's tensors would be ~100x this.
    expect(process.memoryUsage().rss - rssAfterWarmUp).toBeLessThan(64 * 1024 * 1024);
  });
});

const describeNative = nativeLoaded ? describe : describe.skip;

describeNative("native backend", () => {
  beforeAll(async () => {
    await initBackend("native");
  });

  test("auto selects native when tfjs-node is absent", async () => {
    const info = activeBackend();
    expect(info?.backend).toBe("native");
    expect(info?.nativeAddon?.threads).toBeGreaterThanOrEqual(1);
    const auto = await initBackend("auto");
    if (!auto.tfjsNodeFound && !auto.tfjsNodeGpuFound) expect(auto.backend).toBe("native");
  });

  test("convolutions and arithmetic run in the addon, not in the cpu kernels", async () => {
    await tf.setBackend("native");
    const backend = tf.backend() as NativeBackend;
    const calls: string[] = [];
    const kernels = backend.kernels as unknown as Record<string, unknown>;
    const originals = { ...kernels };
    for (const name of ["conv2d", "conv2dBackpropInput", "conv2dBackpropFilter", "binary", "reduceSum"]) {
      const original = originals[name] as (...args: unknown[]) => unknown;
      kernels[name] = (...args: unknown[]) => {
        calls.push(name);
        return original(...args);
      };
    }
    try {
      convNetGradients(convNetValues(1), convNetBatch(2, 2, 8));
    } finally {
      Object.assign(kernels, originals);
    }
    for (const name of ["conv2d", "conv2dBackpropInput", "conv2dBackpropFilter", "binary", "reduceSum"]) expect(calls).toContain(name);
  });

  test("results do not depend on the thread count (bit for bit)", async () => {
    await tf.setBackend("native");
    const kernels = (tf.backend() as NativeBackend).kernels;
    const threads = kernels.threads();
    const values = convNetValues(21);
    const data = convNetBatch(22, 16, 16); // large enough that every kernel splits its work
    try {
      kernels.threads(1);
      const single = convNetGradients(values, data);
      kernels.threads(3);
      const multi = convNetGradients(values, data);
      for (const name of Object.keys(CONV_NET_SHAPES) as ConvNetName[]) expect(Array.from(multi[name])).toEqual(Array.from(single[name]));
    } finally {
      kernels.threads(threads);
    }
  });

  test("second derivatives (a Hessian-vector product) through the fused gradients equal cpu", async () => {
    // tfjs has no second derivative of convolutions, so this is an MLP with the same normalization,
    // ReLU and loss: it exercises the gradients of the fused Mean, Sum, Relu, Square and Multiply grads.
    const random = convNetBatch(13, 16, 4);
    const w1Values = random.images.slice(0, 48 * 12);
    const w2Values = random.images.slice(48 * 12, 48 * 12 + 12 * 5);
    const hessianVector = () =>
      tf.tidy(() => {
        const x = tf.tensor2d(random.images.slice(0, 16 * 48), [16, 48]);
        const y = tf.tensor2d(random.labels, [16, 5]);
        const w1 = tf.tensor2d(w1Values, [48, 12]).mul(0.2);
        const w2 = tf.tensor2d(w2Values, [12, 5]).mul(0.3);
        const gamma = tf.fill([12], 1.2);
        const loss = (a: tf.Tensor, b: tf.Tensor, g: tf.Tensor) => {
          const h = x.matMul(a as tf.Tensor2D);
          const { mean, variance } = tf.moments(h, [0]);
          const normalized = h.sub(mean).mul(tf.rsqrt(variance.add(1e-5))).mul(g);
          return tf.losses.softmaxCrossEntropy(y, tf.relu(normalized).matMul(b as tf.Tensor2D)).add(tf.square(a).sum().mul(1e-3));
        };
        const params = [w1, w2, gamma];
        const direction = params.map((p, i) => tf.onesLike(p).mul(0.01 * (i + 1)));
        const gradientDotDirection = (...ts: tf.Tensor[]) => {
          const grads = tf.grads((a: tf.Tensor, b: tf.Tensor, g: tf.Tensor) => loss(a, b, g))(ts);
          return tf.addN(grads.map((g, i) => g.mul(direction[i]!).sum())) as tf.Scalar;
        };
        return tf.grads(gradientDotDirection)(params).map((h) => h.dataSync().slice());
      });
    await tf.setBackend("native");
    const fast = hessianVector();
    await tf.setBackend("cpu");
    const reference = hessianVector();
    reference.forEach((r, i) => expect(relativeError(fast[i]!, r)).toBeLessThan(1e-4));
  });
});
