import { beforeAll, describe, expect, test } from "@jest/globals";
import * as tf from "@tensorflow/tfjs";
import { SeededRandom, hasGroupedConv2D, initBackend, loadNativeKernels } from "@sam-repro/runtime";
import { SamOptimizer, withGroupedLoss, type GroupedLossFunction, type LossFunction } from "@sam-repro/sam";
import { modelFromPreset } from "./architecture.js";
import { ResNet } from "./resnet.js";
import { groupedLossOf } from "../training/grouped-loss.js";

// m-SAM in two passes on replicated weights (grouped-layers.ts, @sam-repro/sam grouped-msam.ts) against
// SamOptimizer's sequential loop over the sub-batches: same weights, running statistics, loss and norm.
const native = loadNativeKernels();
const describeNative = native.kernels ? describe : describe.skip;
if (!native.kernels) console.warn(`grouped m-SAM tests skipped: ${native.reason}`);

const SIZE = 16;
const CLASSES = 10;

/** Batches of k = 32, 8, 4, 2 sub-batches for m = 1, 8, 32, 128 (small k for small m keeps the loop quick). */
const batchFor = (m: number) => m * Math.max(2, 32 / m);

function batchOf(seed: number, size: number): { x: tf.Tensor4D; y: tf.Tensor1D } {
  const random = new SeededRandom(seed);
  const pixels = new Float32Array(size * SIZE * SIZE * 3);
  for (let i = 0; i < pixels.length; i++) pixels[i] = random.uniform();
  const labels = Int32Array.from({ length: size }, () => random.integer(CLASSES));
  return { x: tf.tensor4d(pixels, [size, SIZE, SIZE, 3]), y: tf.tensor1d(labels, "int32") };
}

interface Run {
  parameters: Float32Array[];
  statistics: Float32Array[];
  losses: number[];
  norms: number[];
  groupedCalls: number;
}

function train(
  preset: string,
  m: number,
  grouped: boolean,
  variant: "sam" | "usam" | "asam" = "sam",
  ascentSteps = 1,
  batchNormStatistics: "unperturbed" | "both-passes" = "unperturbed",
): Run {
  const model = new ResNet(modelFromPreset(preset, 4, CLASSES), 7);
  const plain: LossFunction = (batch, pass) =>
    tf.losses.softmaxCrossEntropy(tf.oneHot(batch.y as tf.Tensor1D, CLASSES), model.apply(batch.x as tf.Tensor4D, { training: true, updateStatistics: pass.updateStatistics })) as tf.Scalar;
  let groupedCalls = 0;
  const inner = groupedLossOf(model, CLASSES, (correct) => correct.dispose());
  const counted: GroupedLossFunction = (...args) => {
    groupedCalls++;
    return inner(...args);
  };
  const lossFn = grouped ? withGroupedLoss(plain, counted, hasGroupedConv2D) : plain;
  const optimizer = new SamOptimizer(
    tf.train.momentum(0.05, 0.9),
    { variant, rho: variant === "asam" ? 0.5 : 0.05, subBatchSize: m, weightDecay: 5e-4, ascentSteps, batchNormStatistics, ...(ascentSteps > 1 ? { ascentStepSizeMultiplier: 0.6 } : {}) },
    model.parameters,
  );
  const losses: number[] = [];
  const norms: number[] = [];
  for (let step = 0; step < 2; step++) {
    const batch = batchOf(100 + step, batchFor(m));
    const result = optimizer.step(lossFn, batch);
    tf.dispose([batch.x, batch.y]);
    losses.push(result.loss);
    norms.push(result.perturbationNorm);
  }
  const weights = model.readWeights();
  optimizer.dispose();
  model.dispose();
  return { ...weights, losses, norms, groupedCalls };
}

/** max |a - b| over max |b - start|: the difference relative to how far training moved the values. */
function relativeToChange(a: Float32Array[], b: Float32Array[], start: Float32Array[]): number {
  let diff = 0;
  let change = 0;
  a.forEach((values, t) => {
    for (let i = 0; i < values.length; i++) {
      diff = Math.max(diff, Math.abs(values[i]! - b[t]![i]!));
      change = Math.max(change, Math.abs(b[t]![i]! - start[t]![i]!));
    }
  });
  return diff / change;
}

describeNative("grouped m-SAM equals the sequential loop (native backend)", () => {
  beforeAll(async () => {
    await initBackend("native");
  });

  const initial = (preset: string) => {
    const model = new ResNet(modelFromPreset(preset, 4, CLASSES), 7);
    const weights = model.readWeights();
    model.dispose();
    return weights;
  };

  const cases: Array<[string, number]> = [];
  for (const preset of ["resnet_tiny", "resnet_tiny_gn"]) for (const m of [1, 8, 32, 128]) cases.push([preset, m]);
  // The post-activation ResNet: each group's residual merge relu(bn(x) + shortcut) in the fused BatchNorm kernel.
  cases.push(["resnet34", 8]);
  test.each(cases)("%s, m = %i, SAM with weight decay, 2 steps", (preset, m) => {
    expect(hasGroupedConv2D()).toBe(true);
    const start = initial(preset);
    const before = tf.memory().numTensors;
    const loop = train(preset, m, false);
    const afterLoop = tf.memory().numTensors;
    const grouped = train(preset, m, true);
    // The grouped path leaves no more tensors behind than the loop does.
    expect(tf.memory().numTensors - afterLoop).toBe(afterLoop - before);
    expect(loop.groupedCalls).toBe(0);
    // One ascent and one descent pass per step (all sub-batches fit in one chunk).
    expect(grouped.groupedCalls).toBe(4);
    expect(relativeToChange(grouped.parameters, loop.parameters, start.parameters)).toBeLessThan(2e-4);
    if (preset === "resnet_tiny") expect(relativeToChange(grouped.statistics, loop.statistics, start.statistics)).toBeLessThan(1e-4);
    grouped.losses.forEach((loss, i) => expect(Math.abs(loss - loop.losses[i]!)).toBeLessThan(1e-5 * loop.losses[i]!));
    grouped.norms.forEach((norm, i) => expect(Math.abs(norm - loop.norms[i]!)).toBeLessThan(1e-5 * loop.norms[i]!));
  });

  test.each([["usam", 1], ["asam", 1], ["sam", 3]] as const)("%s with %i ascent step(s), m = 32, BatchNorm", (variant, steps) => {
    const start = initial("resnet_tiny");
    const loop = train("resnet_tiny", 32, false, variant, steps);
    const grouped = train("resnet_tiny", 32, true, variant, steps);
    expect(grouped.groupedCalls).toBe(2 * (steps + 1));
    expect(relativeToChange(grouped.parameters, loop.parameters, start.parameters)).toBeLessThan(2e-4);
    grouped.norms.forEach((norm, i) => expect(Math.abs(norm - loop.norms[i]!)).toBeLessThan(1e-5 * loop.norms[i]!));
  });

  test.each([[8, 1], [1, 1], [32, 2]] as const)("both-passes statistics (the trainer's default), m = %i, %i ascent step(s): running statistics interleave as in the loop", (m, steps) => {
    const start = initial("resnet_tiny");
    const loop = train("resnet_tiny", m, false, "sam", steps, "both-passes");
    const grouped = train("resnet_tiny", m, true, "sam", steps, "both-passes");
    expect(grouped.groupedCalls).toBe(2 * (steps + 1));
    expect(relativeToChange(grouped.parameters, loop.parameters, start.parameters)).toBeLessThan(2e-4);
    expect(relativeToChange(grouped.statistics, loop.statistics, start.statistics)).toBeLessThan(1e-4);
  });
});
