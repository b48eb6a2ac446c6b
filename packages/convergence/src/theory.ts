/**
 * Closed forms of SPEC 2.4 for the convergence checks: the USAM stability boundary on quadratics, the
 * normalized-SAM 2-cycle, and the reconstructed Theorem 2 bound. Pure functions, no I/O.
 */

/**
 * The quantity that decides USAM's stability on 0.5 w^T H w with constant rho (SPEC 2.4):
 * gamma * lambda_max * (1 + rho * lambda_max). USAM converges iff it is < 2.
 */
export function usamStabilityProduct(gamma: number, rho: number, lambdaMax: number): number {
  return gamma * lambdaMax * (1 + rho * lambdaMax);
}

/** Whether deterministic USAM on 0.5 w^T H w converges to 0: gamma lambda_max (1 + rho lambda_max) < 2 (SPEC 2.4). */
export function isUsamStable(gamma: number, rho: number, lambdaMax: number): boolean {
  return usamStabilityProduct(gamma, rho, lambdaMax) < 2;
}

/** The largest stable step at rho: gamma* = 2 / (lambda_max (1 + rho lambda_max)) (SPEC 2.4). */
export function usamCriticalStepSize(rho: number, lambdaMax: number): number {
  return 2 / (lambdaMax * (1 + rho * lambdaMax));
}

/** The largest stable rho at a step gamma: rho* = (2 / (gamma lambda_max) - 1) / lambda_max; negative when none is. */
export function usamCriticalRho(gamma: number, lambdaMax: number): number {
  return (2 / (gamma * lambdaMax) - 1) / lambdaMax;
}

/**
 * Per-eigenvalue factor of the USAM iteration matrix I - gamma H - gamma rho H^2 (SPEC 2.4):
 * w_{t+1} = (1 - gamma lambda - gamma rho lambda^2) w_t along an eigenvector of eigenvalue lambda.
 */
export function usamEigenFactor(gamma: number, rho: number, lambda: number): number {
  return 1 - gamma * lambda - gamma * rho * lambda * lambda;
}

/** Linear convergence rate of USAM: the spectral radius max_i |1 - gamma lambda_i (1 + rho lambda_i)| (SPEC 2.4). */
export function usamSpectralRadius(gamma: number, rho: number, spectrum: ArrayLike<number>): number {
  let radius = 0;
  for (let i = 0; i < spectrum.length; i++) radius = Math.max(radius, Math.abs(usamEigenFactor(gamma, rho, spectrum[i]!)));
  return radius;
}

/**
 * Amplitude of the 2-cycle of normalized SAM with constant rho on the 1-D quadratic lambda w^2 / 2 (SPEC 2.4):
 * w_{t+1} = (1 - gamma lambda) w_t - gamma lambda rho sign(w_t) alternates between +-A with
 * A = gamma lambda rho / (2 - gamma lambda), for 0 < gamma lambda < 2 (NaN outside that range: no cycle).
 */
export function twoCycleAmplitude(gamma: number, rho: number, lambda: number): number {
  const product = gamma * lambda;
  if (!(product > 0 && product < 2)) return Number.NaN;
  return (product * rho) / (2 - product);
}

/**
 * Transverse factor of the normalized-SAM 2-cycle along the top eigenvector of H [DERIVED here, extends
 * SPEC 2.4 to d > 1]. On the cycle w = +-A v_1 (A = twoCycleAmplitude(gamma, rho, lambda_1)), a small
 * component along eigenvector j is multiplied each step by
 *   1 - gamma lambda_j - (lambda_j / lambda_1)^2 (2 - gamma lambda_1),
 * since ||H w|| = lambda_1 A there. The cycle attracts when every such factor lies in (-1, 1).
 */
export function twoCycleTransverseFactor(gamma: number, lambdaTop: number, lambda: number): number {
  const ratio = lambda / lambdaTop;
  return 1 - gamma * lambda - ratio * ratio * (2 - gamma * lambdaTop);
}

/**
 * The distance floor of normalized SAM with constant rho on 0.5 w^T H w in d dimensions [DERIVED here]: when the
 * cycle along the top eigenvector attracts (see twoCycleTransverseFactor), ||w_t|| -> gamma lambda_max rho /
 * (2 - gamma lambda_max), the 1-D amplitude of the top direction; returns NaN when that cycle is not attracting.
 */
export function normalizedSamDistanceFloor(gamma: number, rho: number, spectrum: ArrayLike<number>): number {
  let top = -Infinity;
  let topIndex = -1;
  for (let i = 0; i < spectrum.length; i++) {
    if (spectrum[i]! > top) {
      top = spectrum[i]!;
      topIndex = i;
    }
  }
  for (let i = 0; i < spectrum.length; i++) {
    if (i === topIndex) continue;
    if (Math.abs(twoCycleTransverseFactor(gamma, top, spectrum[i]!)) >= 1) return Number.NaN;
  }
  return twoCycleAmplitude(gamma, rho, top);
}

/** The inputs of the reconstructed Theorem 2 (SPEC 2.4). */
export interface Theorem2Inputs {
  /** L(w_0) - L*. */
  initialGap: number;
  /** Step size gamma (<= 1/(4 beta) for the bound to apply). */
  gamma: number;
  /** Perturbation radius rho of USAM (<= 1/(4 beta); 0 gives SGD). */
  rho: number;
  /** Horizon T. */
  steps: number;
  /** Smoothness beta of every example loss (A1). */
  beta: number;
  /** Gradient variance bound sigma^2 of one example (A3). */
  sigma2: number;
  /** Batch size b. */
  batchSize: number;
}

/** The three terms of the reconstructed Theorem 2 bound and their sum. */
export interface Theorem2Bound {
  optimization: number;
  noise: number;
  perturbation: number;
  total: number;
  /** Whether gamma <= 1/(4 beta) and rho <= 1/(4 beta), the conditions under which the bound is claimed. */
  applies: boolean;
}

/**
 * Reconstructed Theorem 2 (SPEC 2.4, constants are the spec's own): for USAM with the same batch for ascent and
 * descent, gamma <= 1/(4 beta) and rho <= 1/(4 beta),
 *   (1/T) sum_{t<T} E||grad L(w_t)||^2 <= 4 (L(w_0) - L*) / (gamma T) + 4 beta gamma sigma^2 / b + 4 beta^2 rho^2 sigma^2 / b.
 */
export function theorem2Bound(inputs: Theorem2Inputs): Theorem2Bound {
  const { initialGap, gamma, rho, steps, beta, sigma2, batchSize } = inputs;
  const optimization = (4 * initialGap) / (gamma * steps);
  const noise = (4 * beta * gamma * sigma2) / batchSize;
  const perturbation = (4 * beta * beta * rho * rho * sigma2) / batchSize;
  const limit = 1 / (4 * beta);
  return {
    optimization,
    noise,
    perturbation,
    total: optimization + noise + perturbation,
    applies: gamma <= limit * (1 + 1e-12) && rho <= limit * (1 + 1e-12),
  };
}

/**
 * Step size and rho at horizon T for the rate of SPEC 2.4: gamma_T = gamma_0 sqrt(T_0 / T) and
 * rho_T = rho_0 (T_0 / T)^(1/4) (so gamma_T = gamma_0, rho_T = rho_0 at the reference horizon T_0).
 */
export function horizonSchedule(
  steps: number,
  reference: { steps: number; gamma: number; rho: number },
): { gamma: number; rho: number } {
  const ratio = reference.steps / steps;
  return { gamma: reference.gamma * Math.sqrt(ratio), rho: reference.rho * Math.pow(ratio, 0.25) };
}
