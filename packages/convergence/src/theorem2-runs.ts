/**
 * Runs of unnormalized stochastic SAM with the paper's Theorem 2 schedules (docs/spec.md §2.4), measured the way
 * the theorem states its left sides: (1/T) sum_{t<T} ||grad L(w_t)||^2 (non-convex part) and L(w_T) - L* (PL part).
 * The step itself is Float64Sam's "usam" variant (delta = rho g_I on the descent batch I). Pure numerics; the
 * noisy quadratic also gets the exact expectations from its moment recursion.
 */
import { SeededRandom } from "@sam-repro/runtime";
import { Float64Sam, type Float64GradientOracle } from "@sam-repro/sam";
import type { NoisyQuadratic } from "./noisy-quadratic.js";
import { nonconvexSchedule, plSchedule } from "./paper-theorem2.js";

/** What a run needs of a problem: the Float64Sam oracle and a full evaluation. */
export interface Theorem2Problem {
  dimension: number;
  exampleCount: number;
  oracle: Float64GradientOracle;
  /** Full loss gap L(w) - L* (or the loss when L* is unknown: only differences and gradients are used) and ||grad L||^2. */
  evaluate(w: Float64Array): { gap: number; gradientNormSquared: number };
}

export type StepSchedule = (step: number) => { gamma: number; rho: number };

export interface ScheduledRunSettings {
  steps: number;
  batchSize: number;
  /** Seed of the batch draws (b indices uniform with replacement, i.i.d. over steps). */
  seed: number;
  /** ||grad L(w_t)||^2 is evaluated every ceil(T / evaluations) steps, from t = 0. */
  evaluations: number;
  /** Step counts t at which L(w_t) - L* is recorded (ascending, <= steps). */
  recordGapAt?: readonly number[];
}

export interface ScheduledRunResult {
  /** (1/T) sum_{t<T} ||grad L(w_t)||^2 estimated on the evaluated steps. */
  averageGradientNormSquared: number;
  /** L(w_t) - L* at each `recordGapAt` step (NaN after a divergence). */
  gaps: number[];
  diverged: boolean;
}

/** w_{t+1} = w_t - gamma_t g_I(w_t + rho_t g_I(w_t)) for `steps` steps from `initial`, same batch I for both. */
export function runScheduledUsam(problem: Theorem2Problem, initial: Float64Array, schedule: StepSchedule, settings: ScheduledRunSettings): ScheduledRunResult {
  const optimizer = new Float64Sam(problem.dimension, problem.oracle, {
    variant: "usam",
    rho: (step) => schedule(step).rho,
    exampleCount: problem.exampleCount,
    computeLoss: false,
  });
  const random = new SeededRandom(settings.seed);
  const batch = new Int32Array(settings.batchSize);
  const w = Float64Array.from(initial);
  const stride = Math.max(1, Math.ceil(settings.steps / settings.evaluations));
  const recordAt = settings.recordGapAt ?? [];
  const gaps: number[] = [];
  let sum = 0;
  let count = 0;
  let diverged = false;
  for (let t = 0; t <= settings.steps; t++) {
    const needGradient = t < settings.steps && t % stride === 0;
    const needGap = recordAt[gaps.length] === t;
    if (needGradient || needGap) {
      const evaluation = problem.evaluate(w);
      if (!Number.isFinite(evaluation.gradientNormSquared) || !Number.isFinite(evaluation.gap)) {
        diverged = true;
        break;
      }
      if (needGradient) {
        sum += evaluation.gradientNormSquared;
        count++;
      }
      if (needGap) gaps.push(evaluation.gap);
    }
    if (t === settings.steps) break;
    for (let k = 0; k < batch.length; k++) batch[k] = random.integer(problem.exampleCount);
    optimizer.step(w, batch, schedule(t).gamma);
  }
  while (gaps.length < recordAt.length) gaps.push(Number.NaN);
  return { averageGradientNormSquared: diverged ? Number.NaN : sum / count, gaps, diverged };
}

/** The non-convex part at horizon T: one run with gamma = 1/(sqrt(T) beta), rho = 1/(T^(1/4) beta). */
export function runNonconvexPart(
  problem: Theorem2Problem,
  initial: Float64Array,
  beta: number,
  settings: Omit<ScheduledRunSettings, "recordGapAt">,
): ScheduledRunResult {
  const constant = nonconvexSchedule(settings.steps, beta);
  return runScheduledUsam(problem, initial, () => constant, settings);
}

/** The PL part: one run of the longest horizon with the paper's decreasing schedule, L(w_T) - L* recorded at every T. */
export function runPlPart(
  problem: Theorem2Problem,
  initial: Float64Array,
  constants: { mu: number; beta: number },
  horizons: readonly number[],
  settings: { batchSize: number; seed: number },
): ScheduledRunResult {
  const steps = horizons[horizons.length - 1]!;
  return runScheduledUsam(problem, initial, (t) => plSchedule(t, constants.mu, constants.beta), {
    steps,
    batchSize: settings.batchSize,
    seed: settings.seed,
    evaluations: 1,
    recordGapAt: horizons,
  });
}

/** Exact (1/T) sum_{t<T} E||grad L(w_t)||^2 of the non-convex part on a noisy quadratic (moment recursion). */
export function exactNonconvexAverage(quadratic: NoisyQuadratic, initial: Float64Array, steps: number, batchSize: number): number {
  const { gamma, rho } = nonconvexSchedule(steps, quadratic.beta);
  const moments = initialMoments(quadratic, initial);
  let sum = 0;
  for (let t = 0; t < steps; t++) {
    sum += quadratic.expectedFromMoments(moments).gradientNormSquared;
    quadratic.advanceMoments(moments, gamma, rho, batchSize);
  }
  return sum / steps;
}

/** Exact E[L(w_T)] - L* of the PL part on a noisy quadratic at each horizon T (ascending). */
export function exactPlGaps(quadratic: NoisyQuadratic, initial: Float64Array, horizons: readonly number[], batchSize: number): number[] {
  const moments = initialMoments(quadratic, initial);
  const gaps: number[] = [];
  for (let t = 0; gaps.length < horizons.length; t++) {
    if (horizons[gaps.length] === t) gaps.push(quadratic.expectedFromMoments(moments).gap);
    const { gamma, rho } = plSchedule(t, quadratic.mu, quadratic.beta);
    quadratic.advanceMoments(moments, gamma, rho, batchSize);
  }
  return gaps;
}

function initialMoments(quadratic: NoisyQuadratic, initial: Float64Array): Float64Array {
  return Float64Array.from(initial, (value, j) => (value - quadratic.minimizer[j]!) ** 2);
}
