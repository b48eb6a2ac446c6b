/**
 * The magnitudes of the paper's Theorem 1 (SPEC-ADDENDUM "Corrections", docs/spec.md §2.2) measured on diagonal
 * linear networks. The theorem writes the effective initialization of n-SAM and 1-SAM as
 *   a_eff = alpha exp(-rho Delta + O(rho^2)),  Delta >= 0,  ||Delta_1-SAM||_1 ~ d int L ds,  ||Delta_n-SAM||_1 ~ (d/n) int L ds,
 * so 1-SAM shrinks the initialization about n times more than n-SAM.
 *
 * How Delta is measured here (u*v parametrization, u_0 = alpha 1, v_0 = 0, a_eff^2 = u_inf^2 - v_inf^2, SPEC 2.2):
 *   Delta_j = -(1 / (2 rho)) [log(a_eff,j^2 / alpha^2) - log(a_GD,j^2 / alpha^2)],
 * with rho the ascent radius (n-SAM's rho; 2 rho_code for 1-SAM, SPEC 1.5) and a_GD the effective initialization
 * of plain GD at the same step size and horizon: subtracting it removes the shrink that discrete GD steps cause on
 * their own (the factor 1 - gamma^2 g^2 per step), leaving the part due to the ascent. The integrated loss is the
 * left Riemann sum int L ds = gamma sum_{t<T} L(beta_t) along the method's own trajectory (flow time s = gamma t).
 * To first order in rho the flow identities give Delta_n,j = int g_j g~_j ds and
 * Delta_1,j = int (1/n) sum_k r_k r~_k x_kj^2 ds (the trainer's `flowExponent` / (-2 rho)); with x_kj ~ N(0, 1),
 * ||Delta_1||_1 ~ 2 d int L ds in this parametrization (the constant depends on the parametrization; the ratio does not).
 * Pure numerics. For readers: docs/quantities.md ("Delta", "Theorem 1 ratio and constant").
 */
import { DiagNetTrainer, initialState, type DiagNetMethod } from "./diag-net.js";
import type { RegressionProblem } from "./problem.js";

export interface ShrinkRun {
  method: DiagNetMethod;
  /** log(a_eff,j^2 / alpha^2) per coordinate (NaN where a_eff^2 <= 0). */
  logRatio: number[];
  /** The first-order flow exponent per coordinate (0 for GD). */
  flowExponent: number[];
  /** gamma sum_{t<T} L(beta_t). */
  integratedLoss: number;
  /** Share of the integrated loss accrued in the second half of the run (small when the integral has converged). */
  lateShare: number;
  finalTrainLoss: number;
  diverged: boolean;
}

/** One run from u_0 = alpha, v_0 = 0 with the shrink exponents and the integrated training loss. */
export function shrinkRun(
  trainer: DiagNetTrainer,
  alpha: number,
  run: { method: DiagNetMethod; rho: number; gamma: number; iterations: number },
): ShrinkRun {
  const recordAt = Array.from({ length: run.iterations }, (_, t) => t);
  const result = trainer.run(initialState(trainer.d, alpha), { ...run, recordAt, recordTest: false, trackShrink: true });
  const losses = result.curve.trainLoss;
  let total = 0;
  let late = 0;
  losses.forEach((loss, index) => {
    total += loss;
    if (result.curve.step[index]! >= run.iterations / 2) late += loss;
  });
  const logRatio = Array.from(result.u, (u, j) => {
    const aSquared = u * u - result.v[j]! ** 2;
    return aSquared > 0 ? Math.log(aSquared / (alpha * alpha)) : Number.NaN;
  });
  return {
    method: run.method,
    logRatio,
    flowExponent: Array.from(result.shrink!.flowExponent),
    integratedLoss: run.gamma * total,
    lateShare: total > 0 ? late / total : 0,
    finalTrainLoss: result.trainLoss,
    diverged: result.diverged,
  };
}

/** Delta measured against GD (see the module comment), per coordinate. */
export function measuredDelta(run: ShrinkRun, gd: ShrinkRun, ascentRadius: number): number[] {
  return run.logRatio.map((value, j) => -(value - gd.logRatio[j]!) / (2 * ascentRadius));
}

/** Delta to first order in rho from the trajectory integrals: flowExponent / (-2 rho). */
export function firstOrderDelta(run: ShrinkRun, ascentRadius: number): number[] {
  return run.flowExponent.map((value) => -value / (2 * ascentRadius));
}

/** ||x||_1 (NaN if any entry is NaN). */
export function l1Norm(values: readonly number[]): number {
  return values.reduce((sum, value) => sum + Math.abs(value), 0);
}

/** The magnitudes of one problem: GD, n-SAM at radius rho and 1-SAM at ascent radius rho (rho_code = rho / 2). */
export interface MagnitudeResult {
  n: number;
  d: number;
  deltaNSam: number[];
  deltaOneSam: number[];
  /** ||Delta_1||_1 / ||Delta_n||_1: Theorem 1 says about n. */
  ratio: number;
  /** ||Delta_1||_1 / (d int L_1 ds): Theorem 1 says order 1 (2 in this parametrization to first order). */
  oneSamConstant: number;
  /** ||Delta_n||_1 / ((d/n) int L_n ds). */
  nSamConstant: number;
  /** The same two norms from the first-order trajectory integrals. */
  firstOrderRatio: number;
  integratedLoss: { gd: number; nSam: number; oneSam: number };
  lateShare: number;
  finalTrainLoss: { gd: number; nSam: number; oneSam: number };
  diverged: boolean;
}

/** Runs GD, n-SAM and 1-SAM on one problem and measures Theorem 1's magnitudes. */
export function theorem1Magnitudes(problem: RegressionProblem, settings: { alpha: number; rho: number; gamma: number; iterations: number }): MagnitudeResult {
  const trainer = new DiagNetTrainer(problem);
  const { alpha, rho, gamma, iterations } = settings;
  const gd = shrinkRun(trainer, alpha, { method: "gd", rho: 0, gamma, iterations });
  const nSam = shrinkRun(trainer, alpha, { method: "nsam", rho, gamma, iterations });
  const oneSam = shrinkRun(trainer, alpha, { method: "1sam", rho: rho / 2, gamma, iterations });
  const deltaNSam = measuredDelta(nSam, gd, rho);
  const deltaOneSam = measuredDelta(oneSam, gd, rho);
  const { n, d } = problem;
  return {
    n,
    d,
    deltaNSam,
    deltaOneSam,
    ratio: l1Norm(deltaOneSam) / l1Norm(deltaNSam),
    oneSamConstant: l1Norm(deltaOneSam) / (d * oneSam.integratedLoss),
    nSamConstant: l1Norm(deltaNSam) / ((d / n) * nSam.integratedLoss),
    firstOrderRatio: l1Norm(firstOrderDelta(oneSam, rho)) / l1Norm(firstOrderDelta(nSam, rho)),
    integratedLoss: { gd: gd.integratedLoss, nSam: nSam.integratedLoss, oneSam: oneSam.integratedLoss },
    lateShare: Math.max(gd.lateShare, nSam.lateShare, oneSam.lateShare),
    finalTrainLoss: { gd: gd.finalTrainLoss, nSam: nSam.finalTrainLoss, oneSam: oneSam.finalTrainLoss },
    diverged: gd.diverged || nSam.diverged || oneSam.diverged,
  };
}
