/**
 * Benchmark of the deep-net input pipeline and training steps: `npx nx run bench:deep-nets` (part of `npm run bench`)
 * writes reports/bench/deep-nets.json. The issue's requirement: augmenting a batch of 128 takes under
 * 5% of a training step.
 */
import path from "node:path";
import os from "node:os";
import * as tf from "@tensorflow/tfjs";
import { reportsDir, writeJsonAtomic } from "@sam-repro/runner";
import { describeBackend, initBackend, SeededRandom } from "@sam-repro/runtime";
import { SamOptimizer, type LossFunction } from "@sam-repro/sam";
import { ResNet, augmentBatch, batchTensors, loadCifar, modelFromPreset, toUnitFloats } from "@sam-repro/deep-nets";

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

const info = await initBackend();
process.stderr.write(`${describeBackend(info)}\n`);
const data = loadCifar("cifar10");
const batchSize = 128;
const random = new SeededRandom(0);

// Input pipeline: index draw + crop/flip + conversion to floats + tensor creation.
const pipelineTimes: number[] = [];
for (let k = 0; k < 60; k++) {
  const started = performance.now();
  const indices = Int32Array.from({ length: batchSize }, () => random.integer(data.train.count));
  const pixels = augmentBatch(data.train, indices, random);
  const labels = Int32Array.from(indices, (i) => data.train.labels[i]!);
  const batch = batchTensors(pixels, labels);
  tf.dispose([batch.x, batch.y]);
  pipelineTimes.push(performance.now() - started);
}
const augmentOnly: number[] = [];
for (let k = 0; k < 60; k++) {
  const indices = Int32Array.from({ length: batchSize }, () => random.integer(data.train.count));
  const started = performance.now();
  toUnitFloats(augmentBatch(data.train, indices, random));
  augmentOnly.push(performance.now() - started);
}
const pipelineMs = median(pipelineTimes.slice(10));
const augmentMs = median(augmentOnly.slice(10));

interface StepRow {
  model: string;
  width: number;
  method: string;
  batchSize: number;
  stepMs: number | null;
  imagesPerSecond: number | null;
  augmentationShare: number | null;
  error?: string;
}
const rows: StepRow[] = [];
const cases: Array<{ model: string; width: number; method: "sgd" | "sam"; m?: number; batch: number; steps: number }> = [
  { model: "resnet_tiny", width: 8, method: "sgd", batch: 128, steps: 8 },
  { model: "resnet_tiny", width: 8, method: "sam", batch: 128, steps: 8 },
  { model: "resnet_tiny", width: 16, method: "sgd", batch: 128, steps: 6 },
  { model: "resnet_tiny_gn", width: 8, method: "sgd", batch: 128, steps: 6 },
  { model: "resnet_tiny_gn", width: 8, method: "sam", m: 8, batch: 128, steps: 4 },
  // ResNet-18 at batch 128 exceeds the wasm heap ("memory access out of bounds", TFJS-BACKENDS.md): batch 32.
  { model: "resnet18", width: 64, method: "sgd", batch: 32, steps: 2 },
];
for (const c of cases) {
  const label = c.method === "sam" ? (c.m ? `${c.m}-SAM` : "SAM") : "SGD";
  let model: ResNet | null = null;
  let optimizer: SamOptimizer | null = null;
  try {
    model = new ResNet(modelFromPreset(c.model, c.width, 10), 0);
    const net = model;
    optimizer = new SamOptimizer(
      tf.train.momentum(0.01, 0.9),
      { variant: c.method, rho: 0.05, weightDecay: 5e-4, ...(c.m ? { subBatchSize: c.m } : {}) },
      model.parameters,
    );
    const lossFn: LossFunction = (batch, pass) =>
      tf.losses.softmaxCrossEntropy(tf.oneHot(batch.y as tf.Tensor1D, 10), net.apply(batch.x as tf.Tensor4D, { training: true, updateStatistics: pass.updateStatistics })) as tf.Scalar;
    const indices = Int32Array.from({ length: c.batch }, (_, i) => i);
    const times: number[] = [];
    for (let k = 0; k < c.steps + 1; k++) {
      const batch = batchTensors(augmentBatch(data.train, indices, random), data.train.labels.slice(0, c.batch));
      const started = performance.now();
      optimizer.step(lossFn, batch, { learningRate: 0.01 });
      times.push(performance.now() - started);
      tf.dispose([batch.x, batch.y]);
    }
    const stepMs = median(times.slice(1));
    rows.push({ model: c.model, width: c.width, method: label, batchSize: c.batch, stepMs, imagesPerSecond: (1000 * c.batch) / stepMs, augmentationShare: pipelineMs / stepMs });
  } catch (error) {
    rows.push({ model: c.model, width: c.width, method: label, batchSize: c.batch, stepMs: null, imagesPerSecond: null, augmentationShare: null, error: (error as Error).message.split("\n")[0] });
  } finally {
    optimizer?.dispose();
    model?.dispose();
  }
  const last = rows.at(-1)!;
  process.stderr.write(`${last.model} w${last.width} ${last.method}: ${last.stepMs?.toFixed(0) ?? "failed"} ms/step, ${last.imagesPerSecond?.toFixed(1) ?? "-"} img/s${last.error ? ` (${last.error})` : ""}\n`);
}

const shares = rows.map((r) => r.augmentationShare).filter((v): v is number => v !== null);
const result = {
  benchmark: "deep-nets input pipeline and training steps",
  backend: describeBackend(info),
  machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model ?? "unknown", node: process.version },
  date: new Date().toISOString(),
  batchSize,
  augmentationMs: augmentMs,
  pipelineMs,
  steps: rows,
  requirement: "augmentation of a batch of 128 takes under 5% of a training step",
  largestShare: Math.max(...shares),
  holds: shares.length > 0 && Math.max(...shares) < 0.05,
};
const file = path.join(reportsDir(), "bench", "deep-nets.json");
writeJsonAtomic(file, result);
process.stderr.write(`augmentation ${augmentMs.toFixed(2)} ms, pipeline ${pipelineMs.toFixed(2)} ms per batch of ${batchSize}; largest share of a step ${(100 * result.largestShare).toFixed(2)}%\nwrote ${file}\n`);
