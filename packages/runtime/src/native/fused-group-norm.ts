import * as tf from "@tensorflow/tfjs";
import { registerFusedNormalization } from "./fused-norm-registration.js";
import { float32Of } from "./native-kernels.js";
import type { KernelArgs } from "./grouped-conv2d.js";

/**
 * Fused GroupNorm (+ ReLU), one native kernel forward and one backward (the unfused ops take about a dozen passes
 * over the activations each way). x [n, h, w, c], channels in `groups` consecutive groups; each sample is
 * normalized over (h, w, the channels of a group), then scaled and shifted per channel:
 *   y = ((x - mean) / sqrt(var + eps)) * gamma + beta,  then max(y, 0) when relu,
 * mean and var (biased) per sample and group. The n samples are `replicas` consecutive blocks (m-SAM's replicated
 * weights; 1 for a plain batch), block r with its own gamma[r], beta[r] ([replicas, c]). Outputs y,
 * mean [n, groups], variance [n, groups] (saved for the gradient; they carry none). The gradient kernel has no
 * gradient of its own (no second derivatives through this kernel).
 */
export const FUSED_GROUP_NORM = "SamReproGroupNorm";
export const FUSED_GROUP_NORM_GRAD = "SamReproGroupNormGrad";

export interface FusedGroupNormAttrs {
  groups: number;
  replicas: number;
  relu: boolean;
  epsilon: number;
}

/** [samples, rows per sample, channels, groups, replicas] of x, checked against the groups, replicas and gamma's size. */
export function groupNormParams(xShape: readonly number[], gammaSize: number, groups: number, replicas: number): number[] {
  const [samples, height, width, channels] = xShape as [number, number, number, number];
  if (xShape.length !== 4 || groups < 1 || channels % groups !== 0 || replicas < 1 || samples % replicas !== 0 || gammaSize !== replicas * channels) {
    throw new Error(
      `fused group norm: x [${xShape.join(", ")}] does not split into ${groups} channel groups and ${replicas} replicas with gamma of ${gammaSize} values`,
    );
  }
  return [samples, height * width, channels, groups, replicas];
}

function forward({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo[] {
  const { x, gamma, beta } = inputs as { x: tf.TensorInfo; gamma: tf.TensorInfo; beta: tf.TensorInfo };
  const { groups, replicas, relu, epsilon } = attrs as unknown as FusedGroupNormAttrs;
  const params = groupNormParams(x.shape, tf.util.sizeFromShape(gamma.shape), groups, replicas);
  const y = backend.allocate(x.shape);
  const mean = backend.allocate([params[0]!, groups]);
  const variance = backend.allocate([params[0]!, groups]);
  backend.kernels.groupNorm(float32Of(backend, x), float32Of(backend, gamma), float32Of(backend, beta), y.values, mean.values, variance.values, params, epsilon, relu);
  return [y.info, mean.info, variance.info];
}

/** Registers the forward kernel on the native backend and its gradient (through the backward kernel). */
export function registerFusedGroupNorm(): void {
  registerFusedNormalization(FUSED_GROUP_NORM, FUSED_GROUP_NORM_GRAD, forward as unknown as tf.KernelFunc);
}
