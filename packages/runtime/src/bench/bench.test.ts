import { beforeAll, describe, expect, test } from "@jest/globals";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../backend.js";
import { SeededRandom } from "../random.js";
import { resnet20 } from "./bench-models.js";
import { mSamStep, samStep, sgdStep, type BenchBatch } from "./bench-steps.js";
import { runWorker } from "./bench-worker.js";
import { table, type TrainingBenchReport } from "./training-bench.js";

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

  test("SAM with rho = 0 is SGD, and m-SAM with one sub-batch is SAM (same weights bit for bit)", () => {
    const sgd = weightsAfter((model, batch) => sgdStep(model, batch, 0.1));
    const samNoRadius = weightsAfter((model, batch) => samStep(model, batch, 0.1, 0));
    const sam = weightsAfter((model, batch) => samStep(model, batch, 0.1, 0.05));
    const oneSubBatch = weightsAfter((model, batch) => mSamStep(model, batch, 4, 0.1, 0.05));
    const twoSubBatches = weightsAfter((model, batch) => mSamStep(model, batch, 2, 0.1, 0.05));
    samNoRadius.forEach((w, i) => expect(Array.from(w)).toEqual(Array.from(sgd[i]!)));
    oneSubBatch.forEach((w, i) => expect(Array.from(w)).toEqual(Array.from(sam[i]!)));
    // A real perturbation changes the step; separate perturbations per sub-batch change it again.
    expect(Array.from(sam[0]!)).not.toEqual(Array.from(sgd[0]!));
    expect(Array.from(twoSubBatches[0]!)).not.toEqual(Array.from(sam[0]!));
  });

  test("a worker times every step kind without leaking tensors, and the table lists it", async () => {
    const backend = (await initBackend()).backend;
    const result = await runWorker({ backend, model: "resnet20", batch: 4, subBatches: 2, warmupSteps: 0, timedSteps: { sgd: 1, sam: 1, msam: 1 }, seed: 1 });
    expect(result.error).toBeUndefined();
    expect(result.parameters).toBe(272474); // ResNet-20 with 1x1-conv shortcuts, as in pytorch_training_bench.py
    expect(result.tensorGrowth).toBe(0);
    for (const kind of ["sgd", "sam", "msam"] as const) expect(result.steps[kind]!.imagesPerSecond).toBeGreaterThan(0);
    const report = { models: [{ model: "resnet20", tfjs: [result], pytorch: [], ratioToPytorch: {} }] } as unknown as TrainingBenchReport;
    expect(table(report).split("\n")[1]).toMatch(/^resnet20\s+\S+\s+\d/);
  });
});
