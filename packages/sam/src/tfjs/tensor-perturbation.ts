/**
 * The perturbation math of SPEC 1.3 on lists of tfjs tensors (one per variable), with ONE global l2 norm over
 * all of them. Same rules as ../float64/perturbation.ts; call inside tf.tidy.
 */
import * as tf from "@tensorflow/tfjs-core";
import type { SamVariant } from "../options.js";

/** Global l2 norm sqrt(sum_i ||t_i||^2) over a list of tensors, as a scalar tensor. */
export function globalNorm(tensors: readonly tf.Tensor[]): tf.Scalar {
  return tf.sqrt(tf.addN(tensors.map((t) => tf.sum(tf.square(t))))) as tf.Scalar;
}

/**
 * How the perturbation measures and scales a list of tensors: one global norm over everything (SAM), or one norm per
 * replica of weights stacked on the first axis (m-SAM in two passes, grouped-msam.ts). `scale` shapes a norm-sized
 * factor to multiply a tensor of the list.
 */
export interface PerturbationNorm {
  of(tensors: readonly tf.Tensor[]): tf.Tensor;
  scale(factor: tf.Tensor, like: tf.Tensor): tf.Tensor;
}

/** The global l2 norm of SPEC 1.3: a scalar for the whole list. */
export const GLOBAL_NORM: PerturbationNorm = { of: globalNorm, scale: (factor) => factor };

/**
 * One ascent step delta <- delta + eta*d(g) (SPEC 1.3 e); returns the new delta list (delta = null means 0):
 *   sam: g/(||g|| + eps);  usam: g;  asam: T^2 g/(||T g|| + eps) with T = `asamScale`.
 */
export function ascentStep(
  variant: Exclude<SamVariant, "sgd" | "random">,
  delta: readonly tf.Tensor[] | null,
  gradients: readonly tf.Tensor[],
  stepSize: number,
  epsilon: number,
  asamScale: readonly tf.Tensor[] | null,
  norm: PerturbationNorm = GLOBAL_NORM,
): tf.Tensor[] {
  let directions: tf.Tensor[];
  if (variant === "usam") {
    directions = gradients.map((g) => tf.mul(g, stepSize));
  } else if (variant === "sam") {
    const factor = tf.div(stepSize, tf.add(norm.of(gradients), epsilon));
    directions = gradients.map((g) => tf.mul(g, norm.scale(factor, g)));
  } else {
    const scaled = gradients.map((g, i) => tf.mul(g, asamScale![i]!));
    const factor = tf.div(stepSize, tf.add(norm.of(scaled), epsilon));
    directions = scaled.map((s, i) => tf.mul(tf.mul(s, asamScale![i]!), norm.scale(factor, s)));
  }
  return delta ? directions.map((d, i) => tf.add(delta[i]!, d)) : directions;
}

/**
 * Projects delta onto {||delta|| <= rho} (SPEC 1.3 e), or for ASAM onto {||delta / T|| <= rho}:
 * delta * min(1, rho / size), written with `where` so that size = 0 gives no NaN.
 */
export function projectOntoBall(
  delta: readonly tf.Tensor[],
  rho: number,
  asamScale: readonly tf.Tensor[] | null,
  norm: PerturbationNorm = GLOBAL_NORM,
): tf.Tensor[] {
  const size = norm.of(asamScale ? delta.map((d, i) => tf.div(d, asamScale[i]!)) : delta);
  const factor = tf.where(tf.greater(size, rho), tf.div(rho, size), tf.onesLike(size));
  return delta.map((d) => tf.mul(d, norm.scale(factor, d)));
}

/** ASAM scale T = |w| + eta for each variable (Kwon et al. 2021; every parameter, biases included). */
export function asamScaleOf(weights: readonly tf.Tensor[], eta: number): tf.Tensor[] {
  return weights.map((w) => tf.add(tf.abs(w), eta));
}
