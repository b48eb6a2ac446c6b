/**
 * Small synthetic problems for the tests (not exported from the package): a logistic-regression design with
 * Gaussian features and noisy labels, so no test needs the CIFAR-10 files.
 */
import { SeededRandom } from "@sam-repro/runtime";
import type { FeatureMatrix } from "./cifar-features.js";
import { NonconvexLogisticRegression } from "./logistic-problem.js";

/** n examples, d - 1 Gaussian features scaled by 1/sqrt(d - 1) plus a bias; labels from a random linear rule with 20% flipped. */
export function syntheticLogistic(n: number, d: number, seed: number, regularization = 0.05): NonconvexLogisticRegression {
  const random = new SeededRandom(seed);
  const values = new Float64Array(n * d);
  const labels = new Float64Array(n);
  const rule = random.fillNormal(new Float64Array(d - 1)) as Float64Array;
  for (let i = 0; i < n; i++) {
    let score = 0;
    for (let j = 0; j < d - 1; j++) {
      const value = random.normal() / Math.sqrt(d - 1);
      values[i * d + j] = value;
      score += rule[j]! * value;
    }
    values[i * d + d - 1] = 1;
    const flip = random.uniform() < 0.2 ? -1 : 1;
    labels[i] = (score >= 0 ? 1 : -1) * flip;
  }
  const features: FeatureMatrix = { values, exampleCount: n, dimension: d };
  return new NonconvexLogisticRegression(features, labels, regularization);
}
