/**
 * Stochastic SGD / USAM / SAM on the non-convex logistic problem (SPEC 2.4, 5.A5; issue 5 part 2), as pure
 * functions: one run with the left side of the reconstructed Theorem 2 measured along the way, the rate sweep
 * over horizons T, and the batch-size sweep of the floor that a constant rho leaves. I/O (progress, checkpoints)
 * comes in through callbacks.
 */
import { lusolve } from "mathjs";
import type { ResultCache } from "@sam-repro/runner";
import { SeededRandom } from "@sam-repro/runtime";
import { Float64Sam } from "@sam-repro/sam";
import type { NonconvexLogisticRegression } from "./logistic-problem.js";
import { dampedNewtonMinimize, newtonSolve } from "./newton.js";
import { symmetricEigenvalues } from "./symmetric-eigenvalues.js";
import { horizonSchedule, theorem2Bound, type Theorem2Bound } from "./theory.js";

export const STOCHASTIC_METHODS = ["sgd", "usam", "sam"] as const;
export type StochasticMethod = (typeof STOCHASTIC_METHODS)[number];

export interface StochasticRunSettings {
  method: StochasticMethod;
  gamma: number;
  rho: number;
  steps: number;
  batchSize: number;
  /** Seed of the batch draws. */
  seed: number;
  /** Number of full-gradient evaluations spread evenly over the run (every ceil(T / evaluations) steps). */
  evaluations: number;
  /** Polyak-average the iterates from this fraction of the run on (e.g. 0.5 = second half); null: no averaging. */
  averageFrom: number | null;
}

export interface StochasticRunResult {
  /** (1/T) sum_t ||grad L(w_t)||^2, estimated on the evaluated steps: the left side of Theorem 2. */
  averageGradientNormSquared: number;
  /** The same average over the evaluated steps from `averageFrom` on (NaN without averaging). */
  tailGradientNormSquared: number;
  /** ||grad L(w_bar)||^2 at the Polyak average w_bar of the iterates from `averageFrom` on (NaN without averaging). */
  averagedIterateGradientNormSquared: number;
  finalLoss: number;
  /** Smallest full loss seen at the evaluated steps. */
  minLoss: number;
  /** Largest per-example gradient variance seen at the evaluated steps (an estimate of sigma^2 in A3). */
  maxGradientVariance: number;
  diverged: boolean;
}

/**
 * One run of w_{t+1} = w_t - gamma grad L_{I_t}(w_t + delta_t) (delta = 0 for SGD, rho g_I for USAM,
 * rho g_I / ||g_I|| for SAM, the same batch for ascent and descent), batches of b indices drawn uniformly with
 * replacement (SPEC 2.4's i.i.d. batches). A non-finite gradient norm ends the run as diverged.
 */
export function runStochastic(
  problem: NonconvexLogisticRegression,
  initial: Float64Array,
  settings: StochasticRunSettings,
): StochasticRunResult {
  const n = problem.exampleCount;
  const d = problem.dimension;
  const optimizer = new Float64Sam(d, problem.oracle, { variant: settings.method, rho: settings.rho, exampleCount: n });
  const random = new SeededRandom(settings.seed);
  const batch = new Int32Array(settings.batchSize);
  const w = Float64Array.from(initial);
  const stride = Math.max(1, Math.ceil(settings.steps / settings.evaluations));
  const averageStart = settings.averageFrom === null ? Infinity : Math.floor(settings.averageFrom * settings.steps);
  const averaged = new Float64Array(d);
  let averagedCount = 0;
  let sum = 0;
  let count = 0;
  let tailSum = 0;
  let tailCount = 0;
  let minLoss = Infinity;
  let maxGradientVariance = 0;
  let diverged = false;
  const record = (t: number): boolean => {
    const evaluation = problem.evaluate(w);
    if (!Number.isFinite(evaluation.gradientNormSquared) || !Number.isFinite(evaluation.loss)) return false;
    sum += evaluation.gradientNormSquared;
    count++;
    if (t >= averageStart) {
      tailSum += evaluation.gradientNormSquared;
      tailCount++;
    }
    minLoss = Math.min(minLoss, evaluation.loss);
    maxGradientVariance = Math.max(maxGradientVariance, evaluation.gradientVariance);
    return true;
  };
  for (let t = 0; t < settings.steps; t++) {
    if (t % stride === 0 && !record(t)) {
      diverged = true;
      break;
    }
    for (let k = 0; k < batch.length; k++) batch[k] = random.integer(n);
    optimizer.step(w, batch, settings.gamma);
    if (t + 1 >= averageStart) {
      averagedCount++;
      for (let j = 0; j < d; j++) averaged[j]! += (w[j]! - averaged[j]!) / averagedCount;
    }
  }
  const final = problem.evaluate(w);
  if (!Number.isFinite(final.loss)) diverged = true;
  const averagedEvaluation = averagedCount > 0 && !diverged ? problem.evaluate(averaged) : null;
  return {
    averageGradientNormSquared: diverged ? Number.NaN : sum / count,
    tailGradientNormSquared: tailCount > 0 && !diverged ? tailSum / tailCount : Number.NaN,
    averagedIterateGradientNormSquared: averagedEvaluation ? averagedEvaluation.gradientNormSquared : Number.NaN,
    finalLoss: final.loss,
    minLoss: Math.min(minLoss, Number.isFinite(final.loss) ? final.loss : Infinity),
    maxGradientVariance,
    diverged,
  };
}

/** Constants of the problem that the bound needs, measured at the start and at the critical point. */
export interface ProblemAnalysis {
  exampleCount: number;
  dimension: number;
  /** Certified smoothness of every example loss, max_i ||x_i||^2/4 + 2 lambda (A1). */
  beta: number;
  initialLoss: number;
  /** Extreme eigenvalues of the Hessian of L at w_0 (a negative minimum shows the non-convexity there). */
  initialHessianRange: [number, number];
  /** A local minimum of L found by damped Newton steps from w_0 (full gradient norm <= 1e-12 when converged). */
  criticalPoint: Float64Array;
  criticalLoss: number;
  criticalGradientNorm: number;
  criticalHessianRange: [number, number];
  /** Number of coordinates of the critical point where the regularizer is concave (|w_j| > 1/sqrt(3)). */
  concaveCoordinates: number;
  /** Per-example gradient variance at w_0 and at the critical point. */
  initialGradientVariance: number;
  criticalGradientVariance: number;
}

/** Smoothness, losses, curvature and gradient variance of the problem from w_0 (SPEC 2.4 A1-A3). */
export function analyzeProblem(problem: NonconvexLogisticRegression, initial: Float64Array): ProblemAnalysis {
  const d = problem.dimension;
  const beta = problem.certifiedSmoothness();
  const newton = dampedNewtonMinimize((w, gradient) => problem.evaluate(w, gradient).loss, (w) => problem.hessian(w), initial);
  const critical = newton.solution;
  const start = problem.evaluate(initial);
  const end = problem.evaluate(critical);
  return {
    exampleCount: problem.exampleCount,
    dimension: d,
    beta,
    initialLoss: start.loss,
    initialHessianRange: eigenvalueRange(problem.hessian(initial), d),
    criticalPoint: critical,
    criticalLoss: end.loss,
    criticalGradientNorm: Math.sqrt(end.gradientNormSquared),
    criticalHessianRange: eigenvalueRange(problem.hessian(critical), d),
    concaveCoordinates: Array.from(critical).filter((value) => Math.abs(value) > 1 / Math.sqrt(3)).length,
    initialGradientVariance: start.gradientVariance,
    criticalGradientVariance: end.gradientVariance,
  };
}

function eigenvalueRange(matrix: Float64Array, d: number): [number, number] {
  const values = symmetricEigenvalues(matrix, d);
  return [values[0]!, values[d - 1]!];
}

/** One series of the rate figure: how gamma and rho depend on the horizon T. */
export interface RateSeries {
  label: string;
  method: StochasticMethod;
  /** "none" (SGD), "constant" (rho independent of T) or "horizon" (rho_T = rho_0 (T_0/T)^(1/4)). */
  rhoMode: "none" | "constant" | "horizon";
}

export const RATE_SERIES: readonly RateSeries[] = [
  { label: "SGD", method: "sgd", rhoMode: "none" },
  { label: "USAM, constant ρ", method: "usam", rhoMode: "constant" },
  { label: "SAM, constant ρ", method: "sam", rhoMode: "constant" },
  { label: "USAM, ρ ∝ T^-1/4", method: "usam", rhoMode: "horizon" },
  { label: "SAM, ρ ∝ T^-1/4", method: "sam", rhoMode: "horizon" },
];

export interface RateSettings {
  horizons: number[];
  batchSize: number;
  seeds: number[];
  evaluations: number;
  /** gamma_T = gamma_0 sqrt(T_0 / T) and rho_T = rho_0 (T_0/T)^(1/4) with gamma_0 = gammaFactor/(4 beta), rho_0 = rhoFactor/(4 beta). */
  referenceHorizon: number;
  gammaFactor: number;
  rhoFactor: number;
  /** The constant rho = constantRhoFactor / (4 beta). */
  constantRhoFactor: number;
}

export interface RateRow {
  series: string;
  method: StochasticMethod;
  rhoMode: RateSeries["rhoMode"];
  steps: number;
  seed: number;
  gamma: number;
  rho: number;
  result: StochasticRunResult;
}

/** Step size and rho of one series at horizon T. */
export function rateSchedule(series: RateSeries, steps: number, settings: RateSettings, beta: number): { gamma: number; rho: number } {
  const schedule = horizonSchedule(steps, {
    steps: settings.referenceHorizon,
    gamma: settings.gammaFactor / (4 * beta),
    rho: settings.rhoFactor / (4 * beta),
  });
  const rho = series.rhoMode === "none" ? 0 : series.rhoMode === "constant" ? settings.constantRhoFactor / (4 * beta) : schedule.rho;
  return { gamma: schedule.gamma, rho };
}

/** A cache the caller may supply (the run store's keyed cache): returns the stored value for `key` or computes and stores it. */
export type RunCache = ResultCache;
const noCache: RunCache = (_key, compute) => compute();

/** Every series at every horizon and seed, from the same w_0 (SPEC 2.4 rate check). */
export function rateExperiment(
  problem: NonconvexLogisticRegression,
  initial: Float64Array,
  beta: number,
  settings: RateSettings,
  options: { cache?: RunCache; onRun?: (done: number, total: number) => void } = {},
): RateRow[] {
  const cache = options.cache ?? noCache;
  const rows: RateRow[] = [];
  const total = RATE_SERIES.length * settings.horizons.length * settings.seeds.length;
  for (const series of RATE_SERIES) {
    for (const steps of settings.horizons) {
      const { gamma, rho } = rateSchedule(series, steps, settings, beta);
      for (const seed of settings.seeds) {
        const run: StochasticRunSettings = {
          method: series.method,
          gamma,
          rho,
          steps,
          batchSize: settings.batchSize,
          seed,
          evaluations: settings.evaluations,
          averageFrom: null,
        };
        const result = cache(`rate:${JSON.stringify(run)}`, () => runStochastic(problem, initial, run));
        rows.push({ series: series.label, method: series.method, rhoMode: series.rhoMode, steps, seed, gamma, rho, result });
        options.onRun?.(rows.length, total);
      }
    }
  }
  return rows;
}

/** The reconstructed Theorem 2 bound for one series at horizon T (SPEC 2.4). */
export function rateBound(
  series: RateSeries,
  steps: number,
  settings: RateSettings,
  constants: { beta: number; sigma2: number; initialGap: number },
): Theorem2Bound {
  const { gamma, rho } = rateSchedule(series, steps, settings, constants.beta);
  return theorem2Bound({
    initialGap: constants.initialGap,
    gamma,
    rho,
    steps,
    beta: constants.beta,
    sigma2: constants.sigma2,
    batchSize: settings.batchSize,
  });
}

export interface FloorSettings {
  batchSizes: number[];
  seeds: number[];
  steps: number;
  /** Constant step gamma = gammaFactor / (4 beta). */
  gammaFactor: number;
  /** rho = rhoFactor / (4 beta) for each factor (1 = the largest rho the theorem allows). */
  rhoFactors: number[];
  evaluations: number;
  /** Polyak averaging from this fraction of the run. */
  averageFrom: number;
}

export interface FloorRow {
  method: StochasticMethod;
  rhoFactor: number;
  rho: number;
  batchSize: number;
  seed: number;
  result: StochasticRunResult;
}

/**
 * SGD and constant-rho USAM / SAM from the critical point w* of L, at a small constant step, for each batch size:
 * where each settles is read off the Polyak average of the second half (||grad L(w_bar)||^2), which removes most of
 * the gradient noise and leaves the bias that a constant rho adds (SPEC 2.4's rho^2 sigma^2 / b floor).
 */
export function floorExperiment(
  problem: NonconvexLogisticRegression,
  criticalPoint: Float64Array,
  beta: number,
  settings: FloorSettings,
  options: { cache?: RunCache; onRun?: (done: number, total: number) => void } = {},
): FloorRow[] {
  const cache = options.cache ?? noCache;
  const rows: FloorRow[] = [];
  const configurations: Array<{ method: StochasticMethod; rhoFactor: number }> = [
    { method: "sgd", rhoFactor: 0 },
    ...settings.rhoFactors.flatMap((rhoFactor) => [
      { method: "usam" as const, rhoFactor },
      { method: "sam" as const, rhoFactor },
    ]),
  ];
  const total = configurations.length * settings.batchSizes.length * settings.seeds.length;
  for (const { method, rhoFactor } of configurations) {
    for (const batchSize of settings.batchSizes) {
      for (const seed of settings.seeds) {
        const rho = rhoFactor / (4 * beta);
        const run: StochasticRunSettings = {
          method,
          gamma: settings.gammaFactor / (4 * beta),
          rho,
          steps: settings.steps,
          batchSize,
          seed,
          evaluations: settings.evaluations,
          averageFrom: settings.averageFrom,
        };
        const result = cache(`floor:${JSON.stringify(run)}`, () => runStochastic(problem, criticalPoint, run));
        rows.push({ method, rhoFactor, rho, batchSize, seed, result });
        options.onRun?.(rows.length, total);
      }
    }
  }
  return rows;
}

/** Predictions of where constant-rho USAM settles, at one rho. */
export interface FloorPrediction {
  rhoFactor: number;
  rho: number;
  /** ||grad L||^2 at the zero of the exact b = 1 expected USAM direction (found by Newton's method). */
  meanFieldBatchOne: number;
  /** ||F|| left at that point (F = the b = 1 expected USAM direction) and whether Newton reached 1e-10. */
  meanFieldResidual: number;
  meanFieldConverged: boolean;
  /** First-order coefficient K: ||grad L||^2 ~ K / b^2 with K = rho^2 ||(I + rho H)^{-1} C_1||^2 [DERIVED here]. */
  firstOrderCoefficient: number;
}

/**
 * Where constant-rho USAM settles as gamma -> 0 [DERIVED here from SPEC 2.4's update]: the expected direction
 * E[grad L_I(w + rho grad L_I(w))] = grad L + rho (H grad L + C_1 / b) + O(rho^2) vanishes at
 * grad L = -rho (I + rho H)^{-1} C_1 / b, so ||grad L||^2 ~ rho^2 ||(I + rho H)^{-1} C_1||^2 / b^2 (batches drawn
 * with replacement), with H and C_1 (logistic-problem.ts) at the critical point w*. For b = 1 the expected direction
 * is computable exactly (an average over the n examples), and its zero is found by Newton's method.
 */
export function predictUsamFloor(
  problem: NonconvexLogisticRegression,
  criticalPoint: Float64Array,
  beta: number,
  rhoFactor: number,
): FloorPrediction {
  const d = problem.dimension;
  const rho = rhoFactor / (4 * beta);
  const hessian = problem.hessian(criticalPoint);
  const covariance = problem.usamCovarianceTerm(criticalPoint);
  const system = Array.from({ length: d }, (_, a) =>
    Array.from({ length: d }, (_, b) => (a === b ? 1 : 0) + rho * hessian[a * d + b]!),
  );
  const solved = (lusolve(system, Array.from(covariance)) as number[][]).map((row) => row[0]!);
  const firstOrderCoefficient = rho * rho * solved.reduce((sum, value) => sum + value * value, 0);
  const meanField = newtonSolve((w, out) => void problem.meanFieldUsamDirection(w, rho, out), criticalPoint, {
    maxIterations: 6,
    tolerance: 1e-10,
  });
  return {
    rhoFactor,
    rho,
    meanFieldBatchOne: problem.evaluate(meanField.solution).gradientNormSquared,
    meanFieldResidual: meanField.residual,
    meanFieldConverged: meanField.converged,
    firstOrderCoefficient,
  };
}
