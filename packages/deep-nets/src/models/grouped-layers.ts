/**
 * The ResNet's layers on k replicas of its weights, for m-SAM in two passes (@sam-repro/sam grouped-msam.ts):
 * activations are [k*m, ...], k consecutive groups of m images, and group g uses replica g of every parameter
 * (weights [k, ...shape]). Each group gets exactly what a forward pass on its m images alone would compute:
 * - conv: groupedConv2d (one native kernel for all groups; one dense convolution where the replicas are copies of
 *   one tensor, `shared`);
 * - BatchNorm: the group's own batch mean and biased variance, gamma[g], beta[g] (batchNormTraining: one fused
 *   native kernel for all groups, with the ReLU that follows); with updateStatistics the
 *   running statistics end as after the loop's sequential updates r <- (1 - mu) r + mu s. With S updating passes
 *   per sub-batch (m-SAM with "both-passes": ascent, descent) the loop's update of group g in pass slot q is
 *   number n = gS + q of N = kS; the grouped passes run slot by slot, each multiplying r by (1 - mu)^k, so
 *   pass q adds c_g s_g with c_g = mu (1 - mu)^(N-1-n) / (1 - mu)^(k(S-1-q)) = mu (1 - mu)^(k(1+q) - 1 - gS - q);
 *   for S = 1: r_k = (1 - mu)^k r_0 + sum_g mu (1 - mu)^(k-1-g) s_g;
 * - GroupNorm: per sample as before, then gamma[g], beta[g] (groupNormTraining with replicas k: one fused native
 *   kernel for all groups, with the ReLU that follows);
 * - linear: a batched matMul [k, m, F] x [k, F, classes] + bias[g].
 */
import * as tf from "@tensorflow/tfjs";
import { batchNormTraining, groupNormTraining, groupedConv2d } from "@sam-repro/runtime";
import { groupCount, type ConvLayer, type ModelConfig, type NormLayer } from "./architecture.js";
import { BATCH_NORM_MOMENTUM, NORM_EPSILON, mergeResidual, type ForwardMode, type LayerOps } from "./resnet.js";

export interface GroupedLayerSource {
  config: ModelConfig;
  /** Replicated parameter [k, ...shape] by name. */
  weight(name: string): tf.Tensor;
  /** Where every replica is an exact copy (m-SAM's pass at w): the parameter [...shape] they copy, by name. */
  shared?: (name: string) => tf.Tensor;
  /** BatchNorm running statistic (a variable of the model) by name. */
  statistic(name: string): tf.Variable;
  groups: number;
  mode: ForwardMode;
}

/** LayerOps over replicated weights (see the file comment). */
export function groupedLayers(source: GroupedLayerSource): LayerOps {
  const k = source.groups;
  /** [k, C] replicated per-channel parameter as [k, 1, C], to scale [k, rows, C]. */
  const perGroup = (name: string) => {
    const w = source.weight(name);
    return tf.reshape(w, [k, 1, w.shape[1]!]);
  };
  const ops: LayerOps = {
    conv: (x: tf.Tensor4D, layer: ConvLayer) =>
      groupedConv2d(x, source.weight(layer.filter), layer.stride, layer.padding === 0 ? "valid" : layer.padding, source.shared?.(layer.filter) as tf.Tensor4D | undefined),
    norm(x: tf.Tensor4D, layer: NormLayer, relu: boolean, residual?: tf.Tensor4D): tf.Tensor4D {
      const channels = x.shape[3];
      const activation = (y: tf.Tensor4D) => (relu ? tf.relu(y) : y);
      if (source.config.normalization === "batch" && source.mode.training) {
        const { y, mean, variance } = batchNormTraining(x, source.weight(layer.scale), source.weight(layer.shift), { groups: k, relu, epsilon: NORM_EPSILON, residual });
        if (source.mode.updateStatistics) {
          updateRunningStatistics(source, layer, mean, variance, x.size / (k * channels), source.mode.statisticsMomentum ?? BATCH_NORM_MOMENTUM);
        }
        return y;
      }
      if (residual) return mergeResidual(ops.norm(x, layer, false), residual, relu);
      if (source.config.normalization === "group") {
        return groupNormTraining(x, source.weight(layer.scale), source.weight(layer.shift), {
          groups: groupCount(source.config),
          replicas: k,
          relu,
          epsilon: NORM_EPSILON,
        });
      }
      const rows = tf.reshape(x, [k, -1, channels]) as tf.Tensor3D;
      const gamma = perGroup(layer.scale);
      const beta = perGroup(layer.shift);
      // Inference: the running statistics, shared by all groups.
      const scale = tf.mul(gamma, tf.rsqrt(tf.add(source.statistic(layer.runningVariance!), NORM_EPSILON)));
      const shift = tf.sub(beta, tf.mul(source.statistic(layer.runningMean!), scale));
      return activation(tf.reshape(tf.add(tf.mul(rows, scale), shift), x.shape));
    },
    linear: (features: tf.Tensor2D, weight: string, bias: string) => {
      const [n, inputs] = features.shape;
      const w = source.weight(weight) as tf.Tensor3D;
      const logits = tf.add(tf.matMul(tf.reshape(features, [k, n / k, inputs]) as tf.Tensor3D, w), perGroup(bias));
      return tf.reshape(logits, [n, w.shape[2]]);
    },
  };
  return ops;
}

/** The closed form of k sequential momentum updates of the running mean and (unbiased) variance; see the file comment. */
function updateRunningStatistics(source: GroupedLayerSource, layer: NormLayer, mean: tf.Tensor, variance: tf.Tensor, count: number, momentum: number): void {
  const k = source.groups;
  const { slot, slots } = (source.mode.training && source.mode.statisticsSlot) || { slot: 0, slots: 1 };
  const keep = 1 - momentum;
  const weights = Array.from({ length: k }, (_, g) => {
    const exponent = k * (1 + slot) - 1 - g * slots - slot;
    // keep = 0 (momentum 1): only the very last update survives; a negative exponent is then a term that
    // a later pass multiplies by 0.
    return keep === 0 ? (exponent === 0 ? momentum : 0) : momentum * keep ** exponent;
  });
  const decay = keep ** k;
  const unbiased = count > 1 ? count / (count - 1) : 1;
  const weighted = (s: tf.Tensor, factor: number) => tf.sum(tf.mul(tf.reshape(s, [k, -1]), tf.tensor2d(weights.map((w) => w * factor), [k, 1])), 0);
  const runningMean = source.statistic(layer.runningMean!);
  const runningVariance = source.statistic(layer.runningVariance!);
  // The update does not feed the loss, so the gradient tape ignores it.
  runningMean.assign(tf.add(tf.mul(runningMean, decay), weighted(mean, 1)));
  runningVariance.assign(tf.add(tf.mul(runningVariance, decay), weighted(variance, unbiased)));
}
