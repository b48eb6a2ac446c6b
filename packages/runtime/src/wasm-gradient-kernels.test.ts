import { describe, expect, test, beforeAll } from "@jest/globals";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "./backend.js";
import {
  CONV_NET_SHAPES,
  convNetBatch,
  convNetForward,
  convNetGradients,
  convNetValues,
  relativeError,
  type ConvNetName,
} from "./testing/conv-net.js";

describe("wasm gradient kernels", () => {
  const values = convNetValues(11);
  const data = convNetBatch(5, 4, 8);

  beforeAll(async () => {
    await initBackend("wasm");
  });

  test("Conv2DBackpropFilter is registered for wasm", () => {
    expect(tf.getKernel("Conv2DBackpropFilter", "wasm")).toBeDefined();
  });

  test("gradients of a conv net with BatchNorm and GroupNorm on wasm equal cpu to 1e-4 relative", async () => {
    await tf.setBackend("wasm");
    const onWasm = convNetGradients(values, data);
    await tf.setBackend("cpu");
    const onCpu = convNetGradients(values, data);
    for (const name of Object.keys(onCpu) as ConvNetName[]) {
      expect(relativeError(onWasm[name], onCpu[name])).toBeLessThan(1e-4);
    }
  });

  test("wasm filter gradient matches central finite differences", async () => {
    await tf.setBackend("wasm");
    const analytic = convNetGradients(values, data);
    const names = Object.keys(CONV_NET_SHAPES) as ConvNetName[];
    const lossAt = (name: ConvNetName, index: number, delta: number) =>
      tf.tidy(() => {
        const p = Object.fromEntries(
          names.map((k) => {
            const v = values[k].slice();
            if (k === name) v[index] += delta;
            return [k, tf.tensor(v, [...CONV_NET_SHAPES[k]])];
          }),
        ) as Record<ConvNetName, tf.Tensor>;
        const x = tf.tensor4d(data.images, [data.batch, data.size, data.size, 3]);
        const y = tf.tensor2d(data.labels, [data.batch, 5]);
        return tf.losses.softmaxCrossEntropy(y, convNetForward(p, x)).dataSync()[0]!;
      });
    const h = 5e-3;
    for (const name of ["stem", "conv", "shortcut"] as const) {
      const gradient = analytic[name];
      // Probe the largest gradient entries, where float32 finite differences are well resolved.
      const order = Array.from(gradient.keys()).sort((a, b) => Math.abs(gradient[b]!) - Math.abs(gradient[a]!));
      for (const index of order.slice(0, 3)) {
        const numeric = (lossAt(name, index, h) - lossAt(name, index, -h)) / (2 * h);
        expect(Math.abs(numeric - gradient[index]!)).toBeLessThan(0.02 * Math.abs(gradient[index]!) + 1e-4);
      }
    }
  });
});
