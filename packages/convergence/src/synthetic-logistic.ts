/**
 * A data-free instance of the non-convex regularized logistic regression of logistic-problem.ts, for the paper's
 * Theorem 2 (docs/spec.md §2.4): two Gaussian classes x_i = y_i m e_1 + z_i, z_i ~ N(0, I_k), scaled by 1/sqrt(k),
 * plus a bias feature 1. Every constant the theorem needs is certified, not estimated:
 *   beta = max_i ||x_i||^2 / 4 + 2 lambda (logistic-problem.ts), and
 *   sigma^2 <= (1/n) sum_i ||x_i||^2, since grad l_i - grad L = v_i - v_bar with v_i = -y_i s_i x_i, |s_i| <= 1
 *   (the regularizer's gradient is the same for every example and cancels), and a variance is at most the
 *   second moment.
 */
import { SeededRandom } from "@sam-repro/runtime";
import type { FeatureMatrix } from "./cifar-features.js";

export interface GaussianClassesSettings {
  exampleCount: number;
  /** k, the number of Gaussian features (the bias feature comes on top). */
  features: number;
  /** m, the distance of each class mean from 0 along the first feature (before the 1/sqrt(k) scaling). */
  separation: number;
  seed: number;
}

/** Features (n x (k + 1), last column the bias 1) and labels +-1 (alternating), drawn from `seed`. */
export function gaussianClasses(settings: GaussianClassesSettings): { features: FeatureMatrix; labels: Float64Array } {
  const { exampleCount: n, features: k, separation } = settings;
  const d = k + 1;
  const random = new SeededRandom(settings.seed);
  const values = new Float64Array(n * d);
  const labels = new Float64Array(n);
  const scale = 1 / Math.sqrt(k);
  for (let i = 0; i < n; i++) {
    labels[i] = i % 2 === 0 ? -1 : 1;
    for (let j = 0; j < k; j++) values[i * d + j] = (random.normal() + (j === 0 ? labels[i]! * separation : 0)) * scale;
    values[i * d + k] = 1;
  }
  return { features: { values, exampleCount: n, dimension: d }, labels };
}

/** The certified variance bound (1/n) sum_i ||x_i||^2 of the logistic problem's per-example gradients. */
export function certifiedLogisticVariance(features: FeatureMatrix): number {
  let sum = 0;
  for (let index = 0; index < features.values.length; index++) sum += features.values[index]! ** 2;
  return sum / features.exampleCount;
}
