import * as tf from "@tensorflow/tfjs";
import { FUSED_BATCH_NORM, type FusedBatchNormAttrs } from "./fused-batch-norm.js";

/** Whether the active backend has the fused BatchNorm (+ ReLU) kernel (the native backend does). */
export function hasFusedBatchNorm(): boolean {
  return tf.getKernel(FUSED_BATCH_NORM, tf.getBackend()) !== undefined;
}

/**
 * BatchNorm with batch statistics (training mode), optionally followed by ReLU, for `groups` consecutive groups
 * of x [n, h, w, c] with gamma, beta [groups, c] (or [c] for one group):
 *   y = relu?(x * s + t (+ residual)), s = gamma / sqrt(var + eps), t = beta - mean * s (mean, biased var per group).
 * `residual` (x's shape) is a post-activation residual block's shortcut, added before the ReLU:
 * relu(bn(x) + shortcut). Returns y and the statistics ([groups, c], for running averages; not differentiable).
 * One fused native kernel each way where the backend has it (hasFusedBatchNorm), else the same formula in tfjs
 * ops (the same values: the kernel rounds as the ops do).
 */
export function batchNormTraining(
  x: tf.Tensor4D,
  gamma: tf.Tensor,
  beta: tf.Tensor,
  options: { groups?: number; relu?: boolean; epsilon: number; residual?: tf.Tensor4D },
): { y: tf.Tensor4D; mean: tf.Tensor2D; variance: tf.Tensor2D } {
  const groups = options.groups ?? 1;
  const channels = x.shape[3];
  const residual = options.residual;
  if (hasFusedBatchNorm()) {
    const attrs: FusedBatchNormAttrs = { groups, relu: options.relu ?? false, epsilon: options.epsilon, residual: residual !== undefined };
    const inputs: tf.NamedTensorMap = residual ? { x, gamma, beta, residual } : { x, gamma, beta };
    const [y, mean, variance] = tf.engine().runKernel(FUSED_BATCH_NORM, inputs, attrs as unknown as tf.NamedAttrMap) as tf.Tensor[];
    return { y: y as tf.Tensor4D, mean: mean as tf.Tensor2D, variance: variance as tf.Tensor2D };
  }
  const rows = tf.reshape(x, [groups, -1, channels]);
  const moments = tf.moments(rows, [1], true);
  const scale = tf.mul(tf.reshape(gamma, [groups, 1, channels]), tf.rsqrt(tf.add(moments.variance, options.epsilon)));
  const shift = tf.sub(tf.reshape(beta, [groups, 1, channels]), tf.mul(moments.mean, scale));
  const normalized = tf.reshape(tf.add(tf.mul(rows, scale), shift), x.shape) as tf.Tensor4D;
  const merged = residual ? tf.add(normalized, residual) : normalized;
  return {
    y: (options.relu ? tf.relu(merged) : merged) as tf.Tensor4D,
    mean: tf.reshape(moments.mean, [groups, channels]),
    variance: tf.reshape(moments.variance, [groups, channels]),
  };
}
