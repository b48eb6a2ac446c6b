/**
 * A problem on which every constant of the paper's Theorem 2 is known exactly (docs/spec.md §2.4): the noisy
 * quadratic
 *   l_i(w) = 0.5 (w - c_i)^T A (w - c_i),   A = diag(a_1..a_d) > 0,   L = (1/n) sum_i l_i,
 * so grad l_i = A (w - c_i), L(w) - L* = 0.5 e^T A e with e = w - c_bar, and
 *   beta = max_j a_j (A2), mu = min_j a_j (A3, PL), sigma^2 = (1/n) sum_i ||A (c_i - c_bar)||^2 (A1, for every w).
 * With the same batch for ascent and descent, unnormalized SAM is linear in e:
 *   e_{t+1} = (I - K_t) e_t + K_t xi_t,   K_t = gamma_t A (I + rho_t A),   xi_t = c_bar_I - c_bar,
 * and with batches of b indices drawn uniformly with replacement E[xi xi^T] is diagonal in the j-th entry s_j / b,
 * s_j = (1/n) sum_i (c_ij - c_bar_j)^2 (cross terms vanish because A is diagonal and xi_t is independent of e_t).
 * Hence the second moments follow exactly:  m_{t+1,j} = (1 - k_tj)^2 m_tj + k_tj^2 s_j / b. Pure numerics.
 */
import { SeededRandom } from "@sam-repro/runtime";
import type { Float64GradientOracle } from "@sam-repro/sam";

export class NoisyQuadratic {
  readonly dimension: number;
  readonly exampleCount: number;
  /** c_bar, the minimizer of L. */
  readonly minimizer: Float64Array;
  /** s_j = (1/n) sum_i (c_ij - c_bar_j)^2. */
  readonly centerVariance: Float64Array;
  /** L* = L(c_bar) = 0.5 sum_j a_j s_j. */
  readonly minimumLoss: number;

  constructor(
    readonly curvatures: Float64Array,
    /** Row-major n x d centers c_i. */
    readonly centers: Float64Array,
  ) {
    const d = curvatures.length;
    if (d === 0 || centers.length === 0 || centers.length % d !== 0) {
      throw new Error(`centers: length ${centers.length} is not a positive multiple of the dimension ${d}`);
    }
    if (!curvatures.every((a) => a > 0 && Number.isFinite(a))) throw new Error("curvatures: every a_j must be positive and finite");
    this.dimension = d;
    this.exampleCount = centers.length / d;
    this.minimizer = new Float64Array(d);
    this.centerVariance = new Float64Array(d);
    for (let i = 0; i < this.exampleCount; i++) for (let j = 0; j < d; j++) this.minimizer[j]! += centers[i * d + j]! / this.exampleCount;
    for (let i = 0; i < this.exampleCount; i++) {
      for (let j = 0; j < d; j++) this.centerVariance[j]! += (centers[i * d + j]! - this.minimizer[j]!) ** 2 / this.exampleCount;
    }
    let minimum = 0;
    for (let j = 0; j < d; j++) minimum += 0.5 * curvatures[j]! * this.centerVariance[j]!;
    this.minimumLoss = minimum;
  }

  /** beta = max_j a_j: every l_i has the Hessian A. */
  get beta(): number {
    return Math.max(...this.curvatures);
  }

  /** mu = min_j a_j: 0.5 ||A e||^2 >= min_j a_j * 0.5 e^T A e. */
  get mu(): number {
    return Math.min(...this.curvatures);
  }

  /** sigma^2 = (1/n) sum_i ||grad l_i - grad L||^2 = sum_j a_j^2 s_j, the same at every w. */
  get sigma2(): number {
    let sum = 0;
    for (let j = 0; j < this.dimension; j++) sum += this.curvatures[j]! ** 2 * this.centerVariance[j]!;
    return sum;
  }

  /** L(w) - L* and ||grad L(w)||^2. */
  evaluate(w: Float64Array): { gap: number; gradientNormSquared: number } {
    let gap = 0;
    let gradientNormSquared = 0;
    for (let j = 0; j < this.dimension; j++) {
      const e = w[j]! - this.minimizer[j]!;
      const a = this.curvatures[j]!;
      gap += 0.5 * a * e * e;
      gradientNormSquared += a * a * e * e;
    }
    return { gap, gradientNormSquared };
  }

  /** The gradient oracle of Float64Sam: mean of l_i over `indices` (null = all) and its gradient into `out`. */
  readonly oracle: Float64GradientOracle = (params, indices, out) => {
    const d = this.dimension;
    const count = indices ? indices.length : this.exampleCount;
    out.fill(0);
    let loss = 0;
    for (let k = 0; k < count; k++) {
      const row = (indices ? indices[k]! : k) * d;
      for (let j = 0; j < d; j++) {
        const difference = params[j]! - this.centers[row + j]!;
        const a = this.curvatures[j]!;
        loss += 0.5 * a * difference * difference;
        out[j]! += (a * difference) / count;
      }
    }
    return loss / count;
  };

  /**
   * Exact E[(w_t - c_bar)_j^2] after one step of unnormalized SAM with the same batch (see the module comment),
   * updated in place from `moments`.
   */
  advanceMoments(moments: Float64Array, gamma: number, rho: number, batchSize: number): void {
    for (let j = 0; j < this.dimension; j++) {
      const a = this.curvatures[j]!;
      const k = gamma * a * (1 + rho * a);
      moments[j] = (1 - k) ** 2 * moments[j]! + (k * k * this.centerVariance[j]!) / batchSize;
    }
  }

  /** E[L(w) - L*] and E||grad L(w)||^2 from the second moments of w - c_bar. */
  expectedFromMoments(moments: Float64Array): { gap: number; gradientNormSquared: number } {
    let gap = 0;
    let gradientNormSquared = 0;
    for (let j = 0; j < this.dimension; j++) {
      const a = this.curvatures[j]!;
      gap += 0.5 * a * moments[j]!;
      gradientNormSquared += a * a * moments[j]!;
    }
    return { gap, gradientNormSquared };
  }
}

/** Settings of a generated noisy quadratic: curvatures log-spaced from mu to beta, centers c_i ~ N(0, spread^2 I). */
export interface NoisyQuadraticSettings {
  dimension: number;
  exampleCount: number;
  mu: number;
  beta: number;
  centerSpread: number;
  seed: number;
}

/** a_j = mu (beta/mu)^(j/(d-1)) (a_0 = mu, a_{d-1} = beta), c_i ~ N(0, spread^2 I) from `seed`. */
export function generateNoisyQuadratic(settings: NoisyQuadraticSettings): NoisyQuadratic {
  const { dimension: d, exampleCount: n, mu, beta } = settings;
  const curvatures = Float64Array.from({ length: d }, (_, j) => (d === 1 ? beta : mu * Math.pow(beta / mu, j / (d - 1))));
  const centers = new SeededRandom(settings.seed).fillNormal(new Float64Array(n * d), settings.centerSpread) as Float64Array;
  return new NoisyQuadratic(curvatures, centers);
}
