import type { ImageSet } from "../data/cifar-format.js";
import type { ResNet } from "../models/resnet.js";
import { measureSharpness, type SharpnessResult } from "../training/sharpness.js";

/** How the ascent gap is measured (one model, every m on the same training examples). */
export interface AscentGapSettings {
  /** Radius of the perturbation ball. */
  rho: number;
  /** The m values: each must divide `indices.length`. */
  ms: number[];
  /** K and eta/rho of the multi-step maximizer. */
  iterations: number;
  stepSizeMultiplier: number;
}

/** The ascent gap at one m. */
export interface AscentGap {
  m: number;
  /** One normalized step, delta = rho g/||g|| (SAM's own perturbation). */
  oneStep: SharpnessResult;
  /** K projected normalized steps of size eta (measureSharpness). */
  multiStep: SharpnessResult;
  /** multiStep.sharpness / oneStep.sharpness (NaN when the one-step sharpness is not positive). */
  factor: number;
}

/**
 * The suboptimality factor of SAM's one-step inner maximization at each m (issue 13 part 1; the paper's
 * exact definition is not recovered, SPEC-ADDENDUM F-a, so this one is ours). For a model w in inference
 * mode and the training examples cut into batches B of m:
 *   S_1(m) = mean_B [ L_B(w + rho g_B/||g_B||) - L_B(w) ],  g_B = grad L_B(w)          (one normalized step)
 *   S_K(m) = mean_B [ L_B(w + delta_K) - L_B(w) ],  delta_{k+1} = Proj_{||d||<=rho}(delta_k + eta g_k/||g_k||),
 *            delta_0 = 0, g_k = grad L_B(w + delta_k), eta = stepSizeMultiplier * rho      (K projected steps)
 *   factor(m) = S_K(m) / S_1(m).
 * Both are m-sharpness estimates (SPEC 1.7) by the same code, on the same batches; S_K approximates the
 * inner max of m-SAM's objective, so factor(m) says how far below the maximum SAM's single step lands
 * (1 = the single step is as good as K steps; larger = worse). Weights are restored exactly.
 * For readers: docs/quantities.md ("Suboptimality factor", "m-sharpness").
 */
export function ascentGaps(model: ResNet, set: ImageSet, indices: Int32Array, settings: AscentGapSettings, seed = 0): AscentGap[] {
  return settings.ms.map((m) => {
    if (indices.length % m !== 0) throw new RangeError(`m = ${m} does not divide the ${indices.length} examples`);
    const common = { rho: settings.rho, restarts: 1, examples: indices.length, batchSize: m };
    const oneStep = measureSharpness(model, set, indices, { ...common, stepSizeMultiplier: 1, iterations: 1 }, seed);
    const multiStep = measureSharpness(model, set, indices, { ...common, stepSizeMultiplier: settings.stepSizeMultiplier, iterations: settings.iterations }, seed);
    const factor = oneStep.sharpness > 0 ? multiStep.sharpness / oneStep.sharpness : Number.NaN;
    return { m, oneStep, multiStep, factor };
  });
}
