/**
 * Theorem 2 of the paper exactly as it is stated (SPEC-ADDENDUM "Corrections", docs/spec.md §2.4): unnormalized
 * stochastic SAM with the same batch I_t for the ascent and the descent,
 *   w_{t+1} = w_t - gamma_t g_I(w_t + rho_t g_I(w_t)),   g_I the batch-mean gradient,
 * under (A1) E||grad l_i - grad L||^2 <= sigma^2, (A2) every l_i beta-smooth, (A3) PL: 0.5||grad L||^2 >= mu (L - L*).
 * The step sizes, radii and constants below are the paper's (not the reconstruction of SPEC 2.4, which is ours and
 * lives in theory.ts). Pure functions, no I/O.
 */

/** Constants of a problem that the theorem's bounds need. */
export interface ProblemConstants {
  /** Smoothness of every example loss (A2). */
  beta: number;
  /** Variance bound of one example's gradient (A1). */
  sigma2: number;
  /** L(w_0) - L*. */
  initialGap: number;
  /** Batch size b. */
  batchSize: number;
}

/** The non-convex part's step size and radius at horizon T: gamma = 1/(sqrt(T) beta), rho = 1/(T^(1/4) beta). */
export function nonconvexSchedule(steps: number, beta: number): { gamma: number; rho: number } {
  return { gamma: 1 / (Math.sqrt(steps) * beta), rho: 1 / (Math.pow(steps, 0.25) * beta) };
}

/** The two terms of the non-convex bound and their sum. */
export interface NonconvexBound {
  optimization: number;
  noise: number;
  total: number;
}

/**
 * Theorem 2, non-convex part ((A1) + (A2), the schedule of `nonconvexSchedule`):
 *   (1/T) sum_{t<T} E||grad L(w_t)||^2 <= 4 beta (L(w_0) - L*) / sqrt(T) + 8 sigma^2 / (b sqrt(T)).
 */
export function nonconvexBound(steps: number, constants: ProblemConstants): NonconvexBound {
  const root = Math.sqrt(steps);
  const optimization = (4 * constants.beta * constants.initialGap) / root;
  const noise = (8 * constants.sigma2) / (constants.batchSize * root);
  return { optimization, noise, total: optimization + noise };
}

/**
 * The PL part's schedule at the 0-based step t: gamma_t = min{(8t + 4) / (3 mu (t + 1)^2), 1 / (2 beta)},
 * rho_t = sqrt(gamma_t / beta).
 */
export function plSchedule(step: number, mu: number, beta: number): { gamma: number; rho: number } {
  const gamma = Math.min((8 * step + 4) / (3 * mu * (step + 1) ** 2), 1 / (2 * beta));
  return { gamma, rho: Math.sqrt(gamma / beta) };
}

/** The two terms of the PL bound and their sum. */
export interface PlBound {
  optimization: number;
  noise: number;
  total: number;
}

/**
 * Theorem 2, PL part ((A1) + (A2) + (A3), the schedule of `plSchedule`):
 *   E[L(w_T)] - L* <= 3 beta^2 (L(w_0) - L*) / (mu^2 T^2) + 22 beta sigma^2 / (mu^2 b T).
 */
export function plBound(steps: number, mu: number, constants: ProblemConstants): PlBound {
  const optimization = (3 * constants.beta ** 2 * constants.initialGap) / (mu ** 2 * steps ** 2);
  const noise = (22 * constants.beta * constants.sigma2) / (mu ** 2 * constants.batchSize * steps);
  return { optimization, noise, total: optimization + noise };
}
