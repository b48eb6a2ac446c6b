import * as tf from "@tensorflow/tfjs";
import { InputError } from "@sam-repro/runner";
import type { ForwardMode, ResNet } from "../models/resnet.js";

/**
 * "Ghost" BatchNorm: a training-mode forward pass in which the batch of b examples is cut into b/g
 * consecutive ghost batches of g examples and each goes through the network on its own, so every
 * BatchNorm layer normalizes with the mean and variance of its ghost batch,
 *   BN_g(x_i) = gamma (x_i - mu_G) / sqrt(var_G + eps) + beta,  G = the ghost batch of example i,
 * instead of the statistics of the whole batch, and (when `mode.updateStatistics`) updates the running
 * statistics once per ghost batch. The logits of the ghost batches are concatenated in batch order, so a
 * loss that is the mean over the batch is the mean of the b/g ghost-batch means (they have equal sizes).
 *
 * This is what m-SAM does to BatchNorm as a side effect (each sub-batch of m gets its own forward pass):
 * ERM with ghostBatchSize = m separates that effect from the perturbation (issue 13 part 3). GroupNorm
 * layers and inference mode do not depend on the batch, so there the result equals `model.apply`.
 * A batch no larger than g is one ghost batch. Otherwise g must divide the batch size.
 */
export function ghostBatchForward(model: ResNet, x: tf.Tensor4D, ghostBatchSize: number, mode: ForwardMode): tf.Tensor2D {
  const batch = x.shape[0];
  if (!mode.training || batch <= ghostBatchSize) return model.apply(x, mode);
  if (batch % ghostBatchSize !== 0) throw new InputError(`ghostBatchSize: ${ghostBatchSize} does not divide the batch of ${batch} examples`);
  return tf.tidy(() => {
    const parts = tf.split(x, batch / ghostBatchSize, 0) as tf.Tensor4D[];
    return tf.concat(parts.map((part) => model.apply(part, mode)), 0);
  });
}
