import * as tf from "@tensorflow/tfjs";
import type { GroupedLossFunction } from "@sam-repro/sam";
import type { ResNet } from "../models/resnet.js";

/**
 * The trainer's loss in the replicated-weights form m-SAM uses (@sam-repro/sam withGroupedLoss): the mean softmax
 * cross-entropy of each of the k groups of m images, group g through replica g of the weights
 * (ResNet.applyGrouped). Like the plain loss, passes that are not ascents report the batch's correct count.
 */
export function groupedLossOf(model: ResNet, classes: number, reportCorrect: (correct: tf.Scalar) => void): GroupedLossFunction {
  return (batch, pass, weights, groups) => {
    const mode = { training: true, updateStatistics: pass.updateStatistics, statisticsSlot: { slot: pass.statisticsSlot, slots: pass.statisticsSlots } } as const;
    const logits = model.applyGrouped(batch.x as tf.Tensor4D, mode, weights, groups, pass.sharedWeights);
    const perExample = tf.losses.softmaxCrossEntropy(tf.oneHot(batch.y as tf.Tensor1D, classes), logits, undefined, 0, tf.Reduction.NONE);
    if (pass.kind !== "ascent") reportCorrect(tf.keep(tf.sum(tf.cast(tf.equal(tf.argMax(logits, 1), batch.y), "float32"))));
    return tf.mean(tf.reshape(perExample, [groups, -1]), 1) as tf.Tensor1D;
  };
}
