/**
 * Small problems with known gradients for the tests of both implementations (not exported from the package):
 * a quadratic 0.5 w^T A w - b^T w and per-example least squares 0.5 (x_i . w - y_i)^2.
 */
import { SeededRandom } from "../random.js";
import type { Float64GradientOracle } from "./float64-sam.js";

/** Full-batch quadratic L(w) = 0.5 w^T diag(a) w - b^T w; the indices are ignored. */
export function diagonalQuadratic(a: number[], b: number[]): { oracle: Float64GradientOracle; gradient: (w: number[]) => number[] } {
  const gradient = (w: number[]) => w.map((wi, i) => a[i]! * wi - b[i]!);
  const oracle: Float64GradientOracle = (params, _indices, out) => {
    let value = 0;
    for (let i = 0; i < a.length; i++) {
      out[i] = a[i]! * params[i]! - b[i]!;
      value += 0.5 * a[i]! * params[i]! * params[i]! - b[i]! * params[i]!;
    }
    return value;
  };
  return { oracle, gradient };
}

export interface LeastSquaresProblem {
  features: Float64Array[];
  targets: Float64Array;
  oracle: Float64GradientOracle;
  /** Gradient of the single example i at w. */
  exampleGradient: (w: Float64Array, i: number) => Float64Array;
}

/** n examples in d dimensions with Gaussian features and targets; mean of 0.5 (x_i . w - y_i)^2 over the indices. */
export function leastSquares(n: number, d: number, seed: number): LeastSquaresProblem {
  const random = new SeededRandom(seed);
  const features = Array.from({ length: n }, () => random.fillNormal(new Float64Array(d)) as Float64Array);
  const targets = random.fillNormal(new Float64Array(n)) as Float64Array;
  const residual = (w: Float64Array, i: number) => {
    let r = -targets[i]!;
    for (let j = 0; j < d; j++) r += features[i]![j]! * w[j]!;
    return r;
  };
  const oracle: Float64GradientOracle = (params, indices, out) => {
    out.fill(0);
    const count = indices ? indices.length : n;
    let value = 0;
    for (let k = 0; k < count; k++) {
      const i = indices ? indices[k]! : k;
      const r = residual(params, i);
      value += (0.5 * r * r) / count;
      for (let j = 0; j < d; j++) out[j]! += (r * features[i]![j]!) / count;
    }
    return value;
  };
  const exampleGradient = (w: Float64Array, i: number) => {
    const r = residual(w, i);
    return features[i]!.map((x) => r * x);
  };
  return { features, targets, oracle, exampleGradient };
}
