import * as tf from "@tensorflow/tfjs";
import { registerFusedNormalization } from "./fused-norm-registration.js";
import { float32Of } from "./native-kernels.js";
import type { KernelArgs } from "./grouped-conv2d.js";

/**
 * Fused BatchNorm (+ ReLU) with batch statistics, one native kernel forward and one backward (the unfused ops
 * take about ten passes over the activations each way). x [n, h, w, c] is `groups` consecutive groups of
 * n/groups images (m-SAM's sub-batches; 1 for a plain batch), each normalized with its own statistics and its own
 * gamma, beta ([groups, c]):
 *   y = x * s + t (+ residual),  s = gamma / sqrt(var + eps),  t = beta - mean * s,  then max(y, 0) when relu,
 * mean and var (biased) over the group's n/groups * h * w rows; the optional residual is a post-activation residual
 * block's shortcut, merged in the same pass (saves the Add and Relu kernels and their passes over the activations). Outputs y, mean [groups, c], variance [groups, c];
 * the statistics are for running averages and carry no gradient. The gradient kernel has no gradient of its own.
 */
export const FUSED_BATCH_NORM = "SamReproBatchNorm";
export const FUSED_BATCH_NORM_GRAD = "SamReproBatchNormGrad";

export interface FusedBatchNormAttrs {
  groups: number;
  relu: boolean;
  epsilon: number;
  /** Whether the inputs include `residual` (x's shape), added before the ReLU: y = relu?(bn(x) + residual). */
  residual: boolean;
}

/** [groups, rows per group, channels] of x, checked against gamma's size. */
export function batchNormParams(xShape: readonly number[], gammaSize: number, groups: number): number[] {
  const channels = xShape[xShape.length - 1]!;
  const size = xShape.reduce((a, b) => a * b, 1);
  if (groups < 1 || size % (groups * channels) !== 0 || gammaSize !== groups * channels) {
    throw new Error(`fused batch norm: x [${xShape.join(", ")}] does not split into ${groups} groups with ${gammaSize / groups} channels`);
  }
  return [groups, size / (groups * channels), channels];
}

function forward({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo[] {
  const { x, gamma, beta, residual } = inputs as { x: tf.TensorInfo; gamma: tf.TensorInfo; beta: tf.TensorInfo; residual?: tf.TensorInfo };
  const { groups, relu, epsilon } = attrs as unknown as FusedBatchNormAttrs;
  const params = batchNormParams(x.shape, tf.util.sizeFromShape(gamma.shape), groups);
  if (residual && !tf.util.arraysEqual(residual.shape, x.shape)) throw new Error(`fused batch norm: residual [${residual.shape.join(", ")}] is not x's shape [${x.shape.join(", ")}]`);
  const y = backend.allocate(x.shape);
  const mean = backend.allocate([groups, params[2]!]);
  const variance = backend.allocate([groups, params[2]!]);
  backend.kernels.batchNorm(
    float32Of(backend, x), residual ? float32Of(backend, residual) : null, float32Of(backend, gamma), float32Of(backend, beta),
    y.values, mean.values, variance.values, params, epsilon, relu,
  );
  return [y.info, mean.info, variance.info];
}

/** Registers the forward kernel on the native backend and its gradient (through the backward kernel). */
export function registerFusedBatchNorm(): void {
  registerFusedNormalization(FUSED_BATCH_NORM, FUSED_BATCH_NORM_GRAD, forward as unknown as tf.KernelFunc);
}
