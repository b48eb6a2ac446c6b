import * as tf from "@tensorflow/tfjs";
import type { SeededRandom } from "@sam-repro/runtime";
import type { ImageSet } from "../data/cifar-format.js";
import { augmentBatch, gatherBatch } from "../data/augment.js";
import type { ForwardMode, ResNet } from "../models/resnet.js";
import { batchTensors } from "./prepared-data.js";

export interface Evaluation {
  /** Mean cross-entropy. */
  loss: number;
  /** Fraction of wrong top-1 predictions. */
  error: number;
  count: number;
}

export const EVAL_BATCH_SIZE = 500;

/**
 * Mean cross-entropy and top-1 error of `model` on images `indices` of `set` (all by default), in
 * inference mode (BatchNorm running statistics, SPEC 1.4 "Evaluation calls model.eval()").
 * `augmentWith` augments the images first (the official train_err_ln uses augmented batches).
 */
export function evaluateModel(
  model: ResNet,
  set: ImageSet,
  options: { indices?: Int32Array; batchSize?: number; augmentWith?: SeededRandom; mode?: ForwardMode } = {},
): Evaluation {
  const indices = options.indices ?? Int32Array.from({ length: set.count }, (_, i) => i);
  const batchSize = options.batchSize ?? EVAL_BATCH_SIZE;
  const mode = options.mode ?? { training: false };
  let lossSum = 0;
  let wrong = 0;
  for (let start = 0; start < indices.length; start += batchSize) {
    const chunk = indices.subarray(start, Math.min(indices.length, start + batchSize));
    const pixels = options.augmentWith ? augmentBatch(set, chunk, options.augmentWith) : gatherBatch(set, chunk);
    const labels = Int32Array.from(chunk, (index) => set.labels[index]!);
    const [batchLoss, batchWrong] = tf.tidy(() => {
      const { x, y } = batchTensors(pixels, labels);
      const logits = model.apply(x, mode);
      const losses = tf.losses.softmaxCrossEntropy(tf.oneHot(y, model.config.classes), logits, undefined, undefined, tf.Reduction.NONE);
      const mistakes = tf.notEqual(tf.argMax(logits, 1), y);
      return [tf.sum(losses).dataSync()[0]!, tf.sum(tf.cast(mistakes, "float32")).dataSync()[0]!];
    });
    lossSum += batchLoss;
    wrong += batchWrong;
  }
  const count = indices.length;
  return { loss: count > 0 ? lossSum / count : Number.NaN, error: count > 0 ? wrong / count : Number.NaN, count };
}

/**
 * Recomputes BatchNorm running statistics as the cumulative average of the batch statistics over
 * `indices` (PyTorch's bn_update with momentum None; SPEC 1.4 for the EMA model, 1.7 for interpolated
 * weights): batch k (1-based) updates with momentum 1/k, so running = mean over batches of each
 * batch's mean / unbiased variance. A trailing partial batch is dropped. No effect on GroupNorm.
 */
export function recomputeBatchNormStatistics(model: ResNet, set: ImageSet, indices: Int32Array, batchSize: number, augmentWith?: SeededRandom): void {
  if (!model.usesBatchNorm) return;
  const batches = Math.max(1, Math.floor(indices.length / batchSize));
  for (let k = 0; k < batches; k++) {
    const chunk = indices.subarray(k * batchSize, Math.min(indices.length, (k + 1) * batchSize));
    const pixels = augmentWith ? augmentBatch(set, chunk, augmentWith) : gatherBatch(set, chunk);
    tf.tidy(() => {
      const { x } = batchTensors(pixels, new Int32Array(chunk.length));
      model.apply(x, { training: true, updateStatistics: true, statisticsMomentum: 1 / (k + 1) });
    });
  }
}
