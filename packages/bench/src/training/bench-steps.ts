import * as tf from "@tensorflow/tfjs";
import { SamOptimizer, tensorPerturbation, withGroupedLoss, type LossFunction } from "@sam-repro/sam";
import { hasGroupedConv2D } from "@sam-repro/runtime";
import type { BenchModel } from "./bench-models.js";

/** One labelled batch: images [b, 32, 32, 3] and one-hot labels [b, 10]. */
export interface BenchBatch {
  images: tf.Tensor4D;
  labels: tf.Tensor2D;
}

function loss(model: BenchModel, batch: BenchBatch): tf.Scalar {
  return tf.losses.softmaxCrossEntropy(batch.labels, model.logits(batch.images));
}

function gradients(model: BenchModel, batch: BenchBatch): tf.Tensor[] {
  const { grads } = tf.variableGrads(() => loss(model, batch), model.variables);
  return model.variables.map((v) => grads[v.name]!);
}

/** w <- w - lr * g for each variable. */
function descend(model: BenchModel, grads: tf.Tensor[], learningRate: number): void {
  model.variables.forEach((v, i) => v.assign(tf.sub(v, tf.mul(grads[i]!, learningRate))));
}

/** SGD: w <- w - lr grad L_B(w). */
export function sgdStep(model: BenchModel, batch: BenchBatch, learningRate: number): void {
  tf.tidy(() => descend(model, gradients(model, batch), learningRate));
}

/** Gradient of L_B at w + rho g / ||g|| with g = grad L_B(w); the variables are restored to w. */
function perturbedGradients(model: BenchModel, batch: BenchBatch, rho: number): tf.Tensor[] {
  const deltas = tensorPerturbation.ascentStep("sam", null, gradients(model, batch), rho, 1e-12, null);
  model.variables.forEach((v, i) => v.assign(tf.add(v, deltas[i]!)));
  const descent = gradients(model, batch);
  model.variables.forEach((v, i) => v.assign(tf.sub(v, deltas[i]!)));
  return descent;
}

/** SAM (SPEC 1.3a with m = b): w <- w - lr grad L_B(w + rho g / ||g||). */
export function samStep(model: BenchModel, batch: BenchBatch, learningRate: number, rho: number): void {
  tf.tidy(() => descend(model, perturbedGradients(model, batch, rho), learningRate));
}

/**
 * m-SAM (SPEC 1.3a) as the official code computes it: the batch is split into b/m sub-batches of m
 * examples, one after another, each with its own perturbation; the step follows the average of the
 * perturbed gradients. SamOptimizer's sub-batch loop (a plain loss, so no grouped two-pass form).
 */
export function mSamStep(model: BenchModel, batch: BenchBatch, m: number, learningRate: number, rho: number): void {
  const plain: LossFunction = ({ x, y }) => tf.losses.softmaxCrossEntropy(y, model.logits(x as tf.Tensor4D)) as tf.Scalar;
  const sam = new SamOptimizer(tf.train.sgd(learningRate), { variant: "sam", rho, subBatchSize: m }, model.variables);
  try {
    sam.step(plain, { x: batch.images, y: batch.labels });
  } finally {
    sam.dispose();
  }
}

/**
 * The same m-SAM step through @sam-repro/sam's SamOptimizer (plain SGD base, so the same update as mSamStep):
 * all b/m sub-batches in two passes on replicated weights where the backend has the grouped convolution
 * kernel (the native backend), else SamOptimizer's loop over the sub-batches.
 */
export function groupedMSamStep(model: BenchModel, batch: BenchBatch, m: number, learningRate: number, rho: number): void {
  const plain: LossFunction = ({ x, y }) => tf.losses.softmaxCrossEntropy(y, model.logits(x as tf.Tensor4D)) as tf.Scalar;
  const lossFn = withGroupedLoss(
    plain,
    ({ x, y }, pass, weights, groups) => {
      const perExample = tf.losses.softmaxCrossEntropy(y, model.groupedLogits(x as tf.Tensor4D, weights, groups, pass.sharedWeights), undefined, 0, tf.Reduction.NONE);
      return tf.mean(tf.reshape(perExample, [groups, -1]), 1) as tf.Tensor1D;
    },
    hasGroupedConv2D,
  );
  const sam = new SamOptimizer(tf.train.sgd(learningRate), { variant: "sam", rho, subBatchSize: m }, model.variables);
  try {
    sam.step(lossFn, { x: batch.images, y: batch.labels });
  } finally {
    sam.dispose();
  }
}
