/**
 * The perturbation math of SPEC 1.3 on lists of tfjs tensors (one per variable), with ONE global l2 norm over
 * all of them. Same rules as ../float64/perturbation.ts; call inside tf.tidy.
 */
import * as tf from "@tensorflow/tfjs-core";
import type { ResolvedSamOptions, SamVariant } from "../options.js";

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
  /** base + g * scale(factor, g), where a backend kernel does it in one pass (optional; see perturbedWeights). */
  addScaled?(base: tf.Tensor, g: tf.Tensor, factor: tf.Tensor): tf.Tensor;
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
  const { directions } = ascentDirections(variant, gradients, stepSize, epsilon, asamScale, norm);
  return delta ? directions.map((d, i) => tf.add(delta[i]!, d)) : directions;
}

/**
 * eta*d(g) of ascentStep, with ||eta*d(g)|| where it comes for free: for sam, ||eta g/(||g|| + eps)|| =
 * eta ||g||/(||g|| + eps) from the norm the step computes anyway (null for usam and asam).
 */
function ascentDirections(
  variant: Exclude<SamVariant, "sgd" | "random">,
  gradients: readonly tf.Tensor[],
  stepSize: number,
  epsilon: number,
  asamScale: readonly tf.Tensor[] | null,
  norm: PerturbationNorm,
): { directions: tf.Tensor[]; size: tf.Tensor | null } {
  if (variant === "usam") return { directions: gradients.map((g) => tf.mul(g, stepSize)), size: null };
  if (variant === "sam") {
    const { factor, size } = samFactor(gradients, stepSize, epsilon, norm);
    return { directions: gradients.map((g) => tf.mul(g, norm.scale(factor, g))), size };
  }
  const scaled = gradients.map((g, i) => tf.mul(g, asamScale![i]!));
  const factor = tf.div(stepSize, tf.add(norm.of(scaled), epsilon));
  return { directions: scaled.map((s, i) => tf.mul(tf.mul(s, asamScale![i]!), norm.scale(factor, s))), size: null };
}

/** SAM's step factor eta / (||g|| + eps) (the direction is g times it) and the step's size ||g|| * factor. */
function samFactor(gradients: readonly tf.Tensor[], stepSize: number, epsilon: number, norm: PerturbationNorm): { factor: tf.Tensor; size: tf.Tensor } {
  const gradientNorm = norm.of(gradients);
  const factor = tf.div(stepSize, tf.add(gradientNorm, epsilon));
  return { factor, size: tf.mul(gradientNorm, factor) };
}

/** The settings of the K projected ascent steps of SPEC 1.3 e. */
export interface AscentSettings {
  variant: Exclude<SamVariant, "sgd" | "random">;
  ascentSteps: number;
  /** eta = ascentStepSizeMultiplier * rho. */
  stepSize: number;
  rho: number;
  epsilon: number;
  /** Project onto the ball after each step (every variant but plain USAM). */
  project: boolean;
  /** ASAM's T per variable, else null. */
  asamScale: readonly tf.Tensor[] | null;
}

/** The ascent settings of a step with radius rho (variant sam, usam or asam; asamScale for ASAM, else null). */
export function ascentSettingsOf(options: ResolvedSamOptions, rho: number, asamScale: readonly tf.Tensor[] | null): AscentSettings {
  return {
    variant: options.variant as AscentSettings["variant"],
    ascentSteps: options.ascentSteps,
    stepSize: options.ascentStepSizeMultiplier * rho,
    rho,
    epsilon: options.epsilon,
    project: options.variant !== "usam" || options.usamClipToBall,
    asamScale,
  };
}

/**
 * Whether the projection onto the ball can move delta. Not after one normalized step from 0 of size eta <= rho:
 * ||eta g/(||g|| + eps)|| < eta for SAM, and ||delta/T|| = eta ||T g||/(||T g|| + eps) < eta for ASAM, so the
 * projection (and its extra norm over every tensor) is skipped there (up to float32 rounding it is the identity).
 */
export function projectionCanMove(settings: Pick<AscentSettings, "variant" | "ascentSteps" | "stepSize" | "rho" | "project">): boolean {
  if (!settings.project) return false;
  return !(settings.ascentSteps === 1 && settings.variant !== "usam" && settings.stepSize <= settings.rho);
}

/**
 * delta_K of SPEC 1.3 e: delta_0 = 0, delta_{k+1} = Proj_rho(delta_k + eta d(g_k)) with g_k = gradientAt(delta_k, k)
 * (delta = null means 0), and its size ||delta_K|| under `norm` (a scalar, or one per replica). The size reuses
 * the step's own norm where that is exact (one SAM step), else it is measured. Call inside tf.tidy.
 */
export function ascend(
  settings: AscentSettings,
  gradientAt: (delta: readonly tf.Tensor[] | null, step: number) => readonly tf.Tensor[],
  norm: PerturbationNorm = GLOBAL_NORM,
): { delta: tf.Tensor[]; size: tf.Tensor } {
  const project = projectionCanMove(settings);
  let delta: tf.Tensor[] | null = null;
  let size: tf.Tensor | null = null;
  for (let step = 0; step < settings.ascentSteps; step++) {
    const gradients = gradientAt(delta, step);
    const next = ascentDirections(settings.variant, gradients, settings.stepSize, settings.epsilon, settings.asamScale, norm);
    delta = delta ? next.directions.map((d, i) => tf.add(delta![i]!, d)) : next.directions;
    size = step === 0 ? next.size : null;
    if (project) {
      delta = projectOntoBall(delta, settings.rho, settings.asamScale, norm);
      size = null;
    }
  }
  return { delta: delta!, size: size ?? norm.of(delta!) };
}

/**
 * The perturbed weights base_i + delta_i of ascend (same values) and ||delta||. For one SAM step that the projection
 * cannot move, delta = g * factor is never stored when the norm has addScaled (one pass instead of two: grouped
 * m-SAM's replicas on the native backend). Call inside tf.tidy.
 */
export function perturbedWeights(
  settings: AscentSettings,
  gradientAt: (delta: readonly tf.Tensor[] | null, step: number) => readonly tf.Tensor[],
  bases: readonly tf.Tensor[],
  norm: PerturbationNorm = GLOBAL_NORM,
): { weights: tf.Tensor[]; size: tf.Tensor } {
  if (norm.addScaled && settings.variant === "sam" && settings.ascentSteps === 1 && !projectionCanMove(settings)) {
    const gradients = gradientAt(null, 0);
    const { factor, size } = samFactor(gradients, settings.stepSize, settings.epsilon, norm);
    return { weights: gradients.map((g, i) => norm.addScaled!(bases[i]!, g, factor)), size };
  }
  const { delta, size } = ascend(settings, gradientAt, norm);
  return { weights: delta.map((d, i) => tf.add(bases[i]!, d)), size };
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
