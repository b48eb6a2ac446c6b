/**
 * Tiny tfjs models for the tests of SamOptimizer (not exported from the package): linear least squares matching
 * ../float64/test-problems.ts, and a dense -> BatchNorm -> ReLU -> dense classifier with running statistics.
 */
import * as tf from "@tensorflow/tfjs";
import type { LossFunction } from "./sam-optimizer.js";

/** Mean of 0.5 (x . w - y)^2; x: [b, d], y: [b]. */
export function linearLeastSquares(initial: ArrayLike<number>): { weights: tf.Variable; lossFn: LossFunction } {
  const weights = tf.variable(tf.tensor1d(Array.from(initial)), true);
  const lossFn: LossFunction = ({ x, y }) =>
    tf.tidy(() => tf.mul(0.5, tf.mean(tf.square(tf.sub(tf.squeeze(tf.matMul(x, tf.reshape(weights, [-1, 1])), [1]), y)))) as tf.Scalar);
  return { weights, lossFn };
}

export interface TinyBatchNormNet {
  trainable: tf.Variable[];
  runningMean: tf.Variable;
  runningVariance: tf.Variable;
  /** Hidden pre-activations x W1 + b1 (what the BatchNorm normalises). */
  hidden: (x: tf.Tensor) => tf.Tensor2D;
  lossFn: LossFunction;
  /** Number of passes that updated the running statistics. */
  statisticUpdates: () => number;
  dispose: () => void;
}

/** dense(d -> h) -> BatchNorm (x*scale + shift, batch statistics, momentum 0.1) -> ReLU -> dense(h -> classes), softmax cross-entropy. */
export function tinyBatchNormNet(inputs: number, hidden: number, classes: number, seed: number): TinyBatchNormNet {
  const w1 = tf.variable(tf.randomNormal([inputs, hidden], 0, 0.5, "float32", seed));
  const b1 = tf.variable(tf.zeros([hidden]));
  const gamma = tf.variable(tf.ones([hidden]));
  const beta = tf.variable(tf.zeros([hidden]));
  const w2 = tf.variable(tf.randomNormal([hidden, classes], 0, 0.5, "float32", seed + 1));
  const runningMean = tf.variable(tf.zeros([hidden]), false);
  const runningVariance = tf.variable(tf.ones([hidden]), false);
  let updates = 0;
  const hiddenOf = (x: tf.Tensor) => tf.add(tf.matMul(x as tf.Tensor2D, w1), b1) as tf.Tensor2D;
  const lossFn: LossFunction = ({ x, y }, pass) =>
    tf.tidy(() => {
      const h = hiddenOf(x);
      const { mean, variance } = tf.moments(h, 0);
      if (pass.updateStatistics) {
        updates++;
        runningMean.assign(tf.add(tf.mul(runningMean, 0.9), tf.mul(mean, 0.1)));
        runningVariance.assign(tf.add(tf.mul(runningVariance, 0.9), tf.mul(variance, 0.1)));
      }
      const scale = tf.mul(gamma, tf.rsqrt(tf.add(variance, 1e-5)));
      const normalised = tf.add(tf.mul(h, scale), tf.sub(beta, tf.mul(mean, scale)));
      const logits = tf.matMul(tf.relu(normalised), w2);
      return tf.losses.softmaxCrossEntropy(tf.oneHot(y as tf.Tensor1D, classes), logits) as tf.Scalar;
    });
  return {
    trainable: [w1, b1, gamma, beta, w2],
    runningMean,
    runningVariance,
    hidden: hiddenOf,
    lossFn,
    statisticUpdates: () => updates,
    dispose: () => tf.dispose([w1, b1, gamma, beta, w2, runningMean, runningVariance]),
  };
}
