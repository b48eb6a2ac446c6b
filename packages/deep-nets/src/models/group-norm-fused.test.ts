import { beforeAll, describe, expect, test } from "@jest/globals";
import * as tf from "@tensorflow/tfjs";
import { SeededRandom, hasFusedGroupNorm, initBackend, loadNativeKernels } from "@sam-repro/runtime";
import { modelFromPreset } from "./architecture.js";
import { ResNet } from "./resnet.js";

// The GroupNorm PreAct ResNet on the native backend (fused GroupNorm + ReLU kernels) against the same network on
// the cpu backend (GroupNorm in tfjs ops): logits and the gradients of every parameter, plain and replicated
// (applyGrouped, m-SAM's two-pass form).
const native = loadNativeKernels();
const describeNative = native.kernels ? describe : describe.skip;
if (!native.kernels) console.warn(`fused GroupNorm model tests skipped: ${native.reason}`);

const CLASSES = 10;

function seeded(shape: number[], seed: number): tf.Tensor {
  const random = new SeededRandom(seed);
  return tf.tensor(Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => random.uniform()), shape);
}

/** Logits and d sum(logits * r) / d parameters (or d replicated weights with `replicas`), on `backend`. */
function evaluate(backend: string, replicas: number): { logits: Float32Array; grads: Float32Array[]; fused: boolean; leaked: number } {
  tf.setBackend(backend);
  const model = new ResNet(modelFromPreset("resnet_tiny_gn", 16, CLASSES), 11);
  const mode = { training: true, updateStatistics: false } as const;
  const before = tf.memory().numTensors;
  const result = tf.tidy(() => {
    const x = seeded([2, 8, 8, 3], 1) as tf.Tensor4D;
    const r = tf.sub(seeded([2, CLASSES], 2), 0.5);
    // Replica g scales every weight by 1 + 0.1 g, so the replicas differ.
    const weights = model.parameters.map((p) => (replicas === 1 ? p : tf.stack(Array.from({ length: replicas }, (_, g) => tf.mul(p, 1 + 0.1 * g)))));
    const logitsOf = (ws: tf.Tensor[]) => (replicas === 1 ? model.apply(x, mode) : model.applyGrouped(x, mode, ws, replicas));
    const { value, grads } = tf.valueAndGrads((...ws: tf.Tensor[]) => tf.sum(tf.mul(logitsOf(ws), r)))(weights);
    value.dispose();
    return { logits: logitsOf(weights).dataSync().slice() as Float32Array, grads: grads.map((g) => g.dataSync().slice() as Float32Array) };
  });
  const leaked = tf.memory().numTensors - before;
  const fused = hasFusedGroupNorm();
  model.dispose();
  return { ...result, fused, leaked };
}

/** max |a - b| / max |b|. */
function relativeError(a: Float32Array, b: Float32Array): number {
  let diff = 0;
  let norm = 0;
  a.forEach((v, i) => {
    diff = Math.max(diff, Math.abs(v - b[i]!));
    norm = Math.max(norm, Math.abs(b[i]!));
  });
  return diff / norm;
}

describeNative("resnet_tiny_gn with the fused native GroupNorm equals the ops path (cpu backend)", () => {
  beforeAll(async () => {
    await initBackend("cpu");
    await initBackend("native");
  });

  test.each([1, 2])("replicas %i: logits and every parameter gradient, nothing leaks", (replicas) => {
    const fused = evaluate("native", replicas);
    expect(fused.leaked).toBe(0);
    const reference = evaluate("cpu", replicas);
    expect(fused.fused).toBe(true);
    expect(reference.fused).toBe(false);
    expect(relativeError(fused.logits, reference.logits)).toBeLessThan(1e-4);
    fused.grads.forEach((g, i) => expect(relativeError(g, reference.grads[i]!)).toBeLessThan(5e-4));
  });
});
