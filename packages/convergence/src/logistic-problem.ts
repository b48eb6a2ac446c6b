/**
 * The stochastic non-convex problem of the convergence check (SPEC 2.4, 5.A5): binary logistic regression with
 * the non-convex regularizer lambda sum_j w_j^2 / (1 + w_j^2),
 *   l_i(w) = log(1 + exp(-y_i x_i.w)) + lambda sum_j w_j^2 / (1 + w_j^2),   L = (1/n) sum_i l_i.
 * Every l_i is beta-smooth with the certified beta = max_i ||x_i||^2 / 4 + 2 lambda (A1), L >= 0 (A2), and the
 * per-example gradient variance is bounded on bounded sets (A3). Pure numerics, no I/O.
 */
import type { Float64GradientOracle } from "@sam-repro/sam";
import type { FeatureMatrix } from "./cifar-features.js";

/** Loss, squared full-gradient norm and per-example gradient variance (1/n) sum_i ||grad l_i - grad L||^2 at one point. */
export interface FullEvaluation {
  loss: number;
  gradientNormSquared: number;
  gradientVariance: number;
}

/** log(1 + exp(-m)) without overflow. */
function softplusOfNegative(margin: number): number {
  return margin > 0 ? Math.log1p(Math.exp(-margin)) : -margin + Math.log1p(Math.exp(margin));
}

export class NonconvexLogisticRegression {
  readonly exampleCount: number;
  readonly dimension: number;
  private readonly x: Float64Array;
  private readonly scratch: Float64Array;
  private readonly squaredNorms: Float64Array;

  constructor(
    features: FeatureMatrix,
    readonly labels: Float64Array,
    readonly regularization: number,
  ) {
    if (labels.length !== features.exampleCount) {
      throw new Error(`labels: ${labels.length} labels for ${features.exampleCount} examples`);
    }
    this.exampleCount = features.exampleCount;
    this.dimension = features.dimension;
    this.x = features.values;
    this.scratch = new Float64Array(this.dimension);
    this.squaredNorms = new Float64Array(this.exampleCount);
    for (let i = 0; i < this.exampleCount; i++) {
      let sum = 0;
      for (let j = 0; j < this.dimension; j++) sum += this.x[i * this.dimension + j]! ** 2;
      this.squaredNorms[i] = sum;
    }
  }

  /** Certified smoothness of every example loss: max_i ||x_i||^2 / 4 + 2 lambda (|d^2/dw^2 of w^2/(1+w^2)| <= 2). */
  certifiedSmoothness(): number {
    let largest = 0;
    for (const value of this.squaredNorms) largest = Math.max(largest, value);
    return largest / 4 + 2 * this.regularization;
  }

  /** The gradient oracle of Float64Sam: mean loss over `indices` (null = all examples), its gradient into `out`. */
  readonly oracle: Float64GradientOracle = (params, indices, out) => {
    // Locals instead of property loads in the inner loops: this runs a million times per figure.
    const d = this.dimension;
    const x = this.x;
    const labels = this.labels;
    const count = indices ? indices.length : this.exampleCount;
    out.fill(0);
    let loss = 0;
    for (let k = 0; k < count; k++) {
      const i = indices ? indices[k]! : k;
      const row = i * d;
      let dot = 0;
      for (let j = 0; j < d; j++) dot += x[row + j]! * params[j]!;
      const margin = labels[i]! * dot;
      loss += softplusOfNegative(margin);
      const coefficient = -labels[i]! / (1 + Math.exp(margin)) / count;
      for (let j = 0; j < d; j++) out[j]! += coefficient * x[row + j]!;
    }
    return loss / count + this.addRegularizer(params, out);
  };

  /** Gradient of the single example loss l_i at w into `out`; returns l_i(w). */
  exampleGradient(w: Float64Array, i: number, out: Float64Array): number {
    const d = this.dimension;
    const margin = this.labels[i]! * this.dot(i, w);
    const coefficient = -this.labels[i]! / (1 + Math.exp(margin));
    for (let j = 0; j < d; j++) out[j] = coefficient * this.x[i * d + j]!;
    return softplusOfNegative(margin) + this.addRegularizer(w, out);
  }

  /**
   * One pass over the data: L(w), ||grad L(w)||^2 and the gradient variance (1/n) sum_i ||grad l_i - grad L||^2
   * = (1/n) sum_i a_i^2 ||x_i||^2 - ||(1/n) sum_i a_i x_i||^2 (the regularizer's gradient is common to all i).
   * Writes grad L into `gradientOut` when given.
   */
  evaluate(w: Float64Array, gradientOut: Float64Array = this.scratch): FullEvaluation {
    const d = this.dimension;
    const n = this.exampleCount;
    gradientOut.fill(0);
    let loss = 0;
    let meanSquaredDataGradient = 0;
    for (let i = 0; i < n; i++) {
      const margin = this.labels[i]! * this.dot(i, w);
      loss += softplusOfNegative(margin);
      const coefficient = -this.labels[i]! / (1 + Math.exp(margin));
      meanSquaredDataGradient += (coefficient * coefficient * this.squaredNorms[i]!) / n;
      const row = i * d;
      for (let j = 0; j < d; j++) gradientOut[j]! += (coefficient / n) * this.x[row + j]!;
    }
    let dataGradientNormSquared = 0;
    for (let j = 0; j < d; j++) dataGradientNormSquared += gradientOut[j]! ** 2;
    const regularizerLoss = this.addRegularizer(w, gradientOut);
    let gradientNormSquared = 0;
    for (let j = 0; j < d; j++) gradientNormSquared += gradientOut[j]! ** 2;
    return {
      loss: loss / n + regularizerLoss,
      gradientNormSquared,
      gradientVariance: Math.max(0, meanSquaredDataGradient - dataGradientNormSquared),
    };
  }

  /** The full-batch Hessian (1/n) sum_i s_i (1 - s_i) x_i x_i^T + lambda diag(r''(w_j)), row-major d x d. */
  hessian(w: Float64Array): Float64Array {
    const d = this.dimension;
    const n = this.exampleCount;
    const out = new Float64Array(d * d);
    for (let i = 0; i < n; i++) {
      const curvature = this.exampleCurvature(i, w) / n;
      const row = i * d;
      for (let a = 0; a < d; a++) {
        const scaled = curvature * this.x[row + a]!;
        for (let b = 0; b < d; b++) out[a * d + b]! += scaled * this.x[row + b]!;
      }
    }
    for (let j = 0; j < d; j++) out[j * d + j]! += this.regularization * regularizerCurvature(w[j]!);
    return out;
  }

  /**
   * The covariance term of stochastic USAM at w [DERIVED here, SPEC 2.4 context]:
   *   C_1 = (1/n) sum_i (H_i - H)(g_i - g) = (1/n) sum_i s_i (1 - s_i) x_i x_i^T (g_i - g),
   * where g_i, H_i are the gradient and Hessian of l_i. For batches of b examples drawn with replacement,
   * E[H_I g_I] = H g + C_1 / b, which is what keeps constant-rho USAM away from the critical points of L.
   */
  usamCovarianceTerm(w: Float64Array): Float64Array {
    const d = this.dimension;
    const n = this.exampleCount;
    const mean = new Float64Array(d);
    this.evaluate(w, mean);
    const exampleGradient = new Float64Array(d);
    const out = new Float64Array(d);
    for (let i = 0; i < n; i++) {
      this.exampleGradient(w, i, exampleGradient);
      let projection = 0;
      for (let j = 0; j < d; j++) projection += this.x[i * d + j]! * (exampleGradient[j]! - mean[j]!);
      const factor = (this.exampleCurvature(i, w) * projection) / n;
      for (let j = 0; j < d; j++) out[j]! += factor * this.x[i * d + j]!;
    }
    return out;
  }

  /**
   * The expected update direction of USAM with batches of one example (SPEC 1.3 b, 1-SAM form):
   * F(w) = (1/n) sum_i grad l_i(w + rho grad l_i(w)), into `out`. Its zeros are where constant-rho USAM with
   * b = 1 settles as the step size goes to 0.
   */
  meanFieldUsamDirection(w: Float64Array, rho: number, out: Float64Array): Float64Array {
    const d = this.dimension;
    const gradient = new Float64Array(d);
    const perturbed = new Float64Array(d);
    out.fill(0);
    for (let i = 0; i < this.exampleCount; i++) {
      this.exampleGradient(w, i, gradient);
      for (let j = 0; j < d; j++) perturbed[j] = w[j]! + rho * gradient[j]!;
      this.exampleGradient(perturbed, i, gradient);
      for (let j = 0; j < d; j++) out[j]! += gradient[j]! / this.exampleCount;
    }
    return out;
  }

  private dot(i: number, w: Float64Array): number {
    const row = i * this.dimension;
    let sum = 0;
    for (let j = 0; j < this.dimension; j++) sum += this.x[row + j]! * w[j]!;
    return sum;
  }

  /** s (1 - s) with s = sigmoid(x_i . w): the curvature of the logistic term of example i. */
  private exampleCurvature(i: number, w: Float64Array): number {
    const s = 1 / (1 + Math.exp(-this.dot(i, w)));
    return s * (1 - s);
  }

  /** Adds the regularizer's gradient lambda * 2 w / (1 + w^2)^2 to `out`; returns its value. */
  private addRegularizer(w: Float64Array, out: Float64Array): number {
    const lambda = this.regularization;
    if (lambda === 0) return 0;
    const d = this.dimension;
    let value = 0;
    for (let j = 0; j < d; j++) {
      const wj = w[j]!;
      const inverse = 1 / (1 + wj * wj);
      value += wj * wj * inverse;
      out[j]! += 2 * lambda * wj * inverse * inverse;
    }
    return lambda * value;
  }
}

/** Second derivative of w^2 / (1 + w^2): (2 - 6 w^2) / (1 + w^2)^3, in [-1/4, 2]. */
export function regularizerCurvature(w: number): number {
  const square = w * w;
  return (2 - 6 * square) / (1 + square) ** 3;
}
