import { beforeAll, describe, expect, test } from "@jest/globals";
import * as tf from "@tensorflow/tfjs";
import { initBackend, loadNativeKernels, registerWasmGradientKernels } from "@sam-repro/runtime";
import { countParameters, describeNetwork, modelFromPreset } from "./architecture.js";
import { ResNet } from "./resnet.js";

beforeAll(async () => {
  await initBackend("wasm");
});

describe("parameter counts (SPEC 4.2), from shapes alone", () => {
  test("PreAct ResNet-18 (BN and GN) at width 64 with 10 classes: 11,172,170", () => {
    expect(countParameters(modelFromPreset("resnet18", 64, 10))).toBe(11_172_170);
    expect(countParameters(modelFromPreset("resnet18_gn", 64, 10))).toBe(11_172_170);
  });
  test("ResNet-34 with 100 classes: 21,328,292 (standard) and 21,326,500 (PreAct)", () => {
    expect(countParameters(modelFromPreset("resnet34", 64, 100))).toBe(21_328_292);
    expect(countParameters(modelFromPreset("resnet34preact", 64, 100))).toBe(21_326_500);
  });
  test("an allocated model has the counted parameters; BatchNorm adds running statistics, GroupNorm none", () => {
    for (const name of ["resnet_tiny", "resnet_tiny_gn"]) {
      const config = modelFromPreset(name, 4, 10);
      const model = new ResNet(config, 0);
      expect(model.parameterCount).toBe(countParameters(config));
      // Nine norm layers (two per block, one in the head), each with a running mean and variance.
      expect(model.statistics.length).toBe(name.endsWith("_gn") ? 0 : 2 * 9);
      model.dispose();
    }
  });
});

describe("initialization (SPEC 4.2)", () => {
  test("conv filters ~ N(0, 2/fan_out), norms (1, 0), linear U(+-1/sqrt(fan_in)) with zero bias; seeded", () => {
    const config = modelFromPreset("resnet_tiny", 16, 10);
    const model = new ResNet(config, 3);
    const spec = describeNetwork(config);
    const byName = new Map(spec.parameters.map((p, i) => [p.name, model.parameters[i]!.dataSync()]));
    const filter = byName.get("stage4.block1.conv2")!; // 3x3x128x128
    const variance = Array.from(filter).reduce((s, v) => s + v * v, 0) / filter.length;
    expect(variance).toBeCloseTo(2 / (9 * 128), 4);
    expect(Array.from(byName.get("stage2.block1.norm1.scale")!).every((v) => v === 1)).toBe(true);
    expect(Array.from(byName.get("stage2.block1.norm1.shift")!).every((v) => v === 0)).toBe(true);
    const linear = byName.get("head.linear.weight")!;
    expect(Math.max(...Array.from(linear, Math.abs))).toBeLessThanOrEqual(1 / Math.sqrt(128));
    expect(Array.from(byName.get("head.linear.bias")!).every((v) => v === 0)).toBe(true);
    const again = new ResNet(config, 3);
    expect(again.parameters[0]!.dataSync()).toEqual(model.parameters[0]!.dataSync());
    model.dispose();
    again.dispose();
  });
});

describe("forward pass", () => {
  test("BatchNorm statistics change only in a training pass that asks for it; inference uses them", () => {
    const model = new ResNet(modelFromPreset("resnet_tiny", 4, 10), 1);
    const x = tf.randomUniform([8, 32, 32, 3], 0, 1, "float32", 2) as tf.Tensor4D;
    const before = model.statistics.map((v) => v.dataSync().slice());
    tf.tidy(() => model.apply(x, { training: true, updateStatistics: false }));
    tf.tidy(() => model.apply(x, { training: false }));
    model.statistics.forEach((v, i) => expect(v.dataSync()).toEqual(before[i]));
    tf.tidy(() => model.apply(x, { training: true, updateStatistics: true }));
    // Stem output feeds stage1.block1.norm1: its running mean moves by 0.1 * batch mean (from 0).
    const runningMean = model.statistics[0]!.dataSync();
    const batchMean = tf.tidy(() => tf.mean(tf.conv2d(x, model.parameters[0] as tf.Variable<tf.Rank.R4>, 1, 1), [0, 1, 2]).dataSync());
    runningMean.forEach((v, c) => expect(v).toBeCloseTo(0.1 * batchMean[c]!, 5));
    x.dispose();
    model.dispose();
  });

  test("GroupNorm: a sample's logits do not depend on the rest of the batch (unlike BatchNorm in training)", () => {
    const x = tf.randomUniform([6, 32, 32, 3], 0, 1, "float32", 5) as tf.Tensor4D;
    const first = tf.slice(x, [0, 0, 0, 0], [3, 32, 32, 3]) as tf.Tensor4D;
    const gn = new ResNet(modelFromPreset("resnet_tiny_gn", 4, 10), 2);
    const bn = new ResNet(modelFromPreset("resnet_tiny", 4, 10), 2);
    const mode = { training: true, updateStatistics: false } as const;
    const gap = (model: ResNet) =>
      tf.tidy(() => tf.max(tf.abs(tf.sub(tf.slice(model.apply(x, mode), [0, 0], [3, 10]), model.apply(first, mode)))).dataSync()[0]!);
    expect(gap(gn)).toBeLessThan(1e-5);
    expect(gap(bn)).toBeGreaterThan(1e-3);
    tf.dispose([x, first]);
    gn.dispose();
    bn.dispose();
  });

  test("building and disposing a model leaves no tensor behind (the initial values are freed)", () => {
    const before = tf.memory().numTensors;
    new ResNet({ architecture: "preact", blocks: [1, 1], width: 4, normalization: "batch", classes: 10 }, 0).dispose();
    new ResNet({ architecture: "preact", blocks: [1, 1], width: 4, normalization: "group", classes: 10 }, 1).dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  test("the standard ResNet (post-activation) runs and no tensors leak from forward passes", () => {
    const model = new ResNet({ architecture: "standard", blocks: [1, 1], width: 4, normalization: "batch", classes: 7 }, 0);
    const x = tf.randomUniform([2, 32, 32, 3]) as tf.Tensor4D;
    const before = tf.memory().numTensors;
    const shape = tf.tidy(() => model.apply(x, { training: true, updateStatistics: true }).shape);
    expect(shape).toEqual([2, 7]);
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
    model.dispose();
  });
});

const describeNative = loadNativeKernels().kernels ? describe : describe.skip;

describeNative("the standard ResNet's residual merge, fused on the native backend", () => {
  test("loss and gradients equal the cpu backend's unfused BatchNorm, Add and Relu to float32 rounding", async () => {
    const gradients = async (backend: string) => {
      await initBackend(backend as "native" | "cpu");
      const model = new ResNet({ architecture: "standard", blocks: [1, 1], width: 4, normalization: "batch", classes: 7 }, 3);
      const values = tf.tidy(() => {
        const x = tf.randomUniform([6, 16, 16, 3], 0, 1, "float32", 5) as tf.Tensor4D;
        const labels = tf.oneHot(tf.tensor1d([0, 1, 2, 3, 4, 5], "int32"), 7);
        const { value, grads } = tf.variableGrads(() => tf.losses.softmaxCrossEntropy(labels, model.apply(x, { training: true, updateStatistics: false })) as tf.Scalar, model.parameters);
        return [value.dataSync()[0]!, ...model.parameters.map((p) => grads[p.name]!.dataSync().slice() as Float32Array)] as const;
      });
      model.dispose();
      return values;
    };
    const [nativeLoss, ...nativeGrads] = await gradients("native");
    const [cpuLoss, ...cpuGrads] = await gradients("cpu");
    await initBackend("wasm");
    expect(Math.abs(nativeLoss - cpuLoss)).toBeLessThan(1e-5 * cpuLoss);
    nativeGrads.forEach((values, i) => {
      const scale = Math.max(...cpuGrads[i]!.map(Math.abs));
      values.forEach((v, k) => expect(Math.abs(v - cpuGrads[i]![k]!)).toBeLessThan(1e-3 * scale + 1e-7));
    });
  });
});

describe("wasm Conv2DBackpropInput through Conv2D", () => {
  test("input gradients equal the cpu backend's for strides 1-3 and every padding form", async () => {
    registerWasmGradientKernels();
    type Shape4 = [number, number, number, number];
    const cases: Array<[Shape4, Shape4, number, "same" | "valid" | number]> = [
      [[2, 8, 8, 3], [3, 3, 3, 4], 1, 1],
      [[2, 8, 8, 3], [3, 3, 3, 4], 2, 1],
      [[2, 8, 8, 3], [1, 1, 3, 4], 2, "valid"],
      [[2, 9, 7, 3], [3, 3, 3, 5], 2, "same"],
      [[1, 7, 7, 2], [3, 3, 2, 2], 2, "valid"],
      [[1, 10, 10, 2], [5, 5, 2, 3], 3, 2],
    ];
    const gradients = (backend: string) => {
      tf.setBackend(backend);
      return cases.map(([xShape, fShape, stride, pad]) =>
        tf.tidy(() => {
          const x = tf.randomNormal(xShape, 0, 1, "float32", 1) as tf.Tensor4D;
          const f = tf.randomNormal(fShape, 0, 1, "float32", 2) as tf.Tensor4D;
          const dy = tf.randomNormal(tf.conv2d(x, f, stride, pad).shape, 0, 1, "float32", 3);
          return tf.grad((input: tf.Tensor) => tf.sum(tf.mul(tf.conv2d(input as tf.Tensor4D, f, stride, pad), dy)))(x).dataSync().slice();
        }),
      );
    };
    const wasm = gradients("wasm");
    const cpu = gradients("cpu");
    await tf.setBackend("wasm");
    wasm.forEach((values, i) => values.forEach((v, k) => expect(Math.abs(v - cpu[i]![k]!)).toBeLessThan(1e-4)));
  });
});
