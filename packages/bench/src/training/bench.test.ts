import os from "node:os";
import { beforeAll, describe, expect, jest, test } from "@jest/globals";
import * as tf from "@tensorflow/tfjs";
import { SeededRandom, initBackend } from "@sam-repro/runtime";
import { ResNet, modelFromPreset } from "@sam-repro/deep-nets";
import { makeBenchModel, resnet20 } from "./bench-models.js";
import { groupedMSamStep, mSamStep, samStep, sgdStep, type BenchBatch } from "./bench-steps.js";
import { runWorker } from "./bench-worker.js";
import { runTrainingBench, table, type TrainingBenchReport } from "./training-bench.js";

function batchOf(size: number, seed: number): BenchBatch {
  const random = new SeededRandom(seed);
  const images = Float32Array.from({ length: size * 32 * 32 * 3 }, () => random.normal());
  const labels = new Float32Array(size * 10);
  for (let i = 0; i < size; i++) labels[i * 10 + random.integer(10)] = 1;
  return { images: tf.tensor4d(images, [size, 32, 32, 3]), labels: tf.tensor2d(labels, [size, 10]) };
}

function weightsAfter(step: (model: ReturnType<typeof resnet20>, batch: BenchBatch) => void): Float32Array[] {
  const model = resnet20(3);
  const batch = batchOf(4, 4);
  step(model, batch);
  const weights = model.variables.map((v) => v.dataSync().slice() as Float32Array);
  model.dispose();
  tf.dispose([batch.images, batch.labels]);
  return weights;
}

describe("training benchmark", () => {
  beforeAll(async () => {
    await initBackend();
  });

  test("preact10-w16 has the parameter shapes of the deep-net regime's model (deep-nets resnet_tiny, width 16)", () => {
    const shapesOf = (variables: readonly tf.Tensor[]) => variables.map((v) => v.shape.join("x")).sort();
    const bench = makeBenchModel("preact10-w16", 1);
    const regime = new ResNet(modelFromPreset("resnet_tiny", 16, 10), 1);
    expect(shapesOf(bench.variables)).toEqual(shapesOf(regime.parameters));
    bench.dispose();
  });

  test("SAM with rho = 0 is SGD (bit for bit), and m-SAM with one sub-batch (SamOptimizer's loop) is the bench's SAM step to float32 rounding", () => {
    const sgd = weightsAfter((model, batch) => sgdStep(model, batch, 0.1));
    const samNoRadius = weightsAfter((model, batch) => samStep(model, batch, 0.1, 0));
    const sam = weightsAfter((model, batch) => samStep(model, batch, 0.1, 0.05));
    const oneSubBatch = weightsAfter((model, batch) => mSamStep(model, batch, 4, 0.1, 0.05));
    const twoSubBatches = weightsAfter((model, batch) => mSamStep(model, batch, 2, 0.1, 0.05));
    samNoRadius.forEach((w, i) => expect(Array.from(w)).toEqual(Array.from(sgd[i]!)));
    // Two implementations of the same update (SamOptimizer's descent goes through tf.train.sgd): equal up to rounding.
    oneSubBatch.forEach((w, i) => w.forEach((value, j) => expect(Math.abs(value - sam[i]![j]!)).toBeLessThanOrEqual(1e-6 * Math.max(1, Math.abs(sam[i]![j]!)))));
    // A real perturbation changes the step; separate perturbations per sub-batch change it again.
    expect(Array.from(sam[0]!)).not.toEqual(Array.from(sgd[0]!));
    expect(Array.from(twoSubBatches[0]!)).not.toEqual(Array.from(sam[0]!));
  });

  test("m-SAM through SamOptimizer (grouped on the native backend) takes the step of the sub-batch loop", () => {
    const run = (step: (model: ReturnType<typeof resnet20>, batch: BenchBatch) => void) => {
      const model = resnet20(3);
      const batch = batchOf(16, 5);
      const start = model.variables.map((v) => v.dataSync().slice() as Float32Array);
      step(model, batch);
      const end = model.variables.map((v) => v.dataSync().slice() as Float32Array);
      model.dispose();
      tf.dispose([batch.images, batch.labels]);
      return { start, end };
    };
    const loop = run((model, batch) => mSamStep(model, batch, 8, 0.1, 0.05));
    const grouped = run((model, batch) => groupedMSamStep(model, batch, 8, 0.1, 0.05));
    let diff = 0;
    let change = 0;
    loop.end.forEach((w, t) =>
      w.forEach((value, i) => {
        diff = Math.max(diff, Math.abs(value - grouped.end[t]![i]!));
        change = Math.max(change, Math.abs(value - loop.start[t]![i]!));
      }),
    );
    expect(change).toBeGreaterThan(0);
    expect(diff / change).toBeLessThan(1e-3);
  });

  test("a worker times every step kind without leaking tensors, with a kernel breakdown, and the table lists it", async () => {
    const backend = (await initBackend()).backend;
    const timedSteps = { sgd: 1, sam: 1, msam: 1, msam8: 1, msam16: 0 };
    const result = await runWorker({ backend, model: "resnet20", batch: 16, subBatches: 2, warmupSteps: 0, timedSteps, seed: 1, profile: true });
    expect(result.error).toBeUndefined();
    expect(result.parameters).toBe(272474); // ResNet-20 with 1x1-conv shortcuts, as in pytorch_training_bench.py
    expect(result.tensorGrowth).toBe(0);
    for (const kind of ["sgd", "sam", "msam", "msam8"] as const) expect(result.steps[kind]!.imagesPerSecond).toBeGreaterThan(0);
    expect(result.steps.msam16).toBeUndefined();
    // An SGD step of ResNet-20 runs 21 forward convolutions (19 3x3, 2 shortcut 1x1), each profiled.
    const sgdKernels = result.kernels.sgd!;
    expect(sgdKernels.find((k) => k.kernel === "Conv2D")!.calls).toBe(21);
    expect(sgdKernels.every((k) => k.milliseconds >= 0)).toBe(true);
    const report = { models: [{ model: "resnet20", tfjs: [result], pytorch: [], ratioToSam: { msam8: { wallClock: 1.2, cpu: 1.1 } }, ratioToPytorch: {} }] } as unknown as TrainingBenchReport;
    const lines = table(report).split("\n");
    expect(lines[0]).toMatch(/8-SAM img\/s\s+16-SAM img\/s/);
    expect(lines[1]).toMatch(/^resnet20\s+\S+\s+\d/);
    expect(lines[2]).toMatch(/step time \/ SAM.*1\.20 \(1\.10 cpu\)/);
  });

  test("on a busy machine the benchmark refuses to write a comparison unless --allow-load is given", async () => {
    const loadavg = jest.spyOn(os, "loadavg").mockReturnValue([3.5, 2, 1]);
    try {
      await expect(runTrainingBench({ models: ["resnet20"], backends: [], batch: 16, subBatches: 2, quick: true, pytorch: false, profile: false, allowLoad: false, rounds: 1, out: null }, () => {}))
        .rejects.toThrow(/--allow-load: the 1-minute load average is 3\.50 \(> 0\.5\)/);
    } finally {
      loadavg.mockRestore();
    }
  });
});
