import * as tf from "@tensorflow/tfjs";
import { FUSED_GROUP_NORM, type FusedGroupNormAttrs } from "./fused-group-norm.js";

/** Whether the active backend has the fused GroupNorm (+ ReLU) kernel (the native backend does). */
export function hasFusedGroupNorm(): boolean {
  return tf.getKernel(FUSED_GROUP_NORM, tf.getBackend()) !== undefined;
}

/**
 * GroupNorm, optionally followed by ReLU, of x [n, h, w, c] with the channels in `groups` consecutive groups:
 *   y = relu?(((x - mean) / sqrt(var + eps)) * gamma + beta), mean and biased var per sample and group over
 *   (h, w, the group's channels).
 * With `replicas` = k (m-SAM's replicated weights) the n samples are k consecutive blocks and block r uses
 * gamma[r], beta[r] (gamma, beta [k, c]; [c] or [1, c] for one). Per-sample statistics, so training and
 * inference are the same computation. One fused native kernel each way where the backend has it
 * (hasFusedGroupNorm), else the same formula in tfjs ops.
 */
export function groupNormTraining(
  x: tf.Tensor4D,
  gamma: tf.Tensor,
  beta: tf.Tensor,
  options: { groups: number; relu?: boolean; epsilon: number; replicas?: number },
): tf.Tensor4D {
  const replicas = options.replicas ?? 1;
  const relu = options.relu ?? false;
  if (hasFusedGroupNorm()) {
    const attrs: FusedGroupNormAttrs = { groups: options.groups, replicas, relu, epsilon: options.epsilon };
    const [y] = tf.engine().runKernel(FUSED_GROUP_NORM, { x, gamma, beta }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor[];
    return y as tf.Tensor4D;
  }
  const [n, height, width, channels] = x.shape;
  const grouped = tf.reshape(x, [n, height, width, options.groups, channels / options.groups]);
  const { mean, variance } = tf.moments(grouped, [1, 2, 4], true);
  const normalized = tf.mul(tf.sub(grouped, mean), tf.rsqrt(tf.add(variance, options.epsilon)));
  const affine =
    replicas === 1
      ? tf.add(tf.mul(tf.reshape(normalized, x.shape), tf.reshape(gamma, [channels])), tf.reshape(beta, [channels]))
      : tf.add(tf.mul(tf.reshape(normalized, [replicas, -1, channels]), tf.reshape(gamma, [replicas, 1, channels])), tf.reshape(beta, [replicas, 1, channels]));
  const y = tf.reshape(affine, x.shape) as tf.Tensor4D;
  return relu ? tf.relu(y) : y;
}
