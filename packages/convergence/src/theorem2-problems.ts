/**
 * The problems of the paper's Theorem 2 figures with their constants (docs/spec.md §2.4): the noisy quadratic
 * (beta, mu, sigma^2 and L* exact) and the synthetic non-convex logistic regression (beta and sigma^2 certified,
 * L* the loss of the local minimum that damped Newton finds from w_0). Pure numerics.
 */
import { SeededRandom } from "@sam-repro/runtime";
import { NonconvexLogisticRegression } from "./logistic-problem.js";
import { generateNoisyQuadratic, type NoisyQuadratic } from "./noisy-quadratic.js";
import { analyzeProblem } from "./stochastic-experiment.js";
import { certifiedLogisticVariance, gaussianClasses } from "./synthetic-logistic.js";
import type { Theorem2Problem } from "./theorem2-runs.js";
import type { NoisyQuadraticProblemSettings, SyntheticLogisticSettings } from "./theorem2-settings.js";

/** A problem ready for the runs, with its start and the constants of the bounds. */
export interface PreparedProblem {
  label: string;
  problem: Theorem2Problem;
  initial: Float64Array;
  beta: number;
  sigma2: number;
  /** mu of the PL inequality, when known (null for the non-convex problem). */
  mu: number | null;
  initialGap: number;
  /** How each constant was obtained, for the figure's setup block. */
  provenance: Record<string, string | number>;
}

/** The noisy quadratic with exact constants and w_0 ~ N(0, initScale^2 I). */
export function prepareQuadratic(settings: NoisyQuadraticProblemSettings): PreparedProblem & { quadratic: NoisyQuadratic } {
  const quadratic = generateNoisyQuadratic(settings);
  const initial = new SeededRandom(settings.initSeed).fillNormal(new Float64Array(settings.dimension), settings.initScale) as Float64Array;
  const problem: Theorem2Problem = {
    dimension: quadratic.dimension,
    exampleCount: quadratic.exampleCount,
    oracle: quadratic.oracle,
    evaluate: (w) => quadratic.evaluate(w),
  };
  const initialGap = quadratic.evaluate(initial).gap;
  return {
    label: settings.label,
    quadratic,
    problem,
    initial,
    beta: quadratic.beta,
    sigma2: quadratic.sigma2,
    mu: quadratic.mu,
    initialGap,
    provenance: {
      problem: `l_i(w) = 0.5 (w - c_i)^T A (w - c_i), d = ${settings.dimension}, n = ${settings.exampleCount}, a_j log-spaced in [${settings.mu}, ${settings.beta}], c_i ~ N(0, ${settings.centerSpread}^2 I) (seed ${settings.seed})`,
      beta: `${quadratic.beta} = max_j a_j (exact)`,
      mu: `${quadratic.mu} = min_j a_j (exact)`,
      sigma2: `${quadratic.sigma2} = sum_j a_j^2 s_j (exact, the same at every w)`,
      initialGap: `${initialGap} = L(w_0) - L* (exact), w_0 ~ N(0, ${settings.initScale}^2 I) (seed ${settings.initSeed})`,
    },
  };
}

/** The synthetic non-convex logistic regression with certified beta and sigma^2 and w_0 ~ N(0, initScale^2 I). */
export function prepareLogistic(settings: SyntheticLogisticSettings): PreparedProblem {
  const data = gaussianClasses({ exampleCount: settings.exampleCount, features: settings.features, separation: settings.separation, seed: settings.dataSeed });
  const logistic = new NonconvexLogisticRegression(data.features, data.labels, settings.regularization);
  const initial = new SeededRandom(settings.initSeed).fillNormal(new Float64Array(logistic.dimension), settings.initScale) as Float64Array;
  const analysis = analyzeProblem(logistic, initial);
  const lowest = analysis.criticalLoss;
  const problem: Theorem2Problem = {
    dimension: logistic.dimension,
    exampleCount: logistic.exampleCount,
    oracle: logistic.oracle,
    evaluate: (w) => {
      const evaluation = logistic.evaluate(w);
      return { gap: evaluation.loss - lowest, gradientNormSquared: evaluation.gradientNormSquared };
    },
  };
  const sigma2 = certifiedLogisticVariance(data.features);
  return {
    label: settings.label,
    problem,
    initial,
    beta: analysis.beta,
    sigma2,
    mu: null,
    initialGap: analysis.initialLoss - lowest,
    provenance: {
      problem: `logistic loss + ${settings.regularization} sum_j w_j^2/(1 + w_j^2) (non-convex), n = ${settings.exampleCount}, two Gaussian classes in ${settings.features} features (separation ${settings.separation}, seed ${settings.dataSeed}) scaled by 1/sqrt(${settings.features}), plus a bias`,
      beta: `${analysis.beta} = max_i ||x_i||^2/4 + 2 lambda (certified)`,
      sigma2: `${sigma2} = (1/n) sum_i ||x_i||^2 (certified upper bound of the per-example gradient variance at every w); measured at w_0: ${analysis.initialGradientVariance}, at the local minimum: ${analysis.criticalGradientVariance}`,
      initialGap: `${analysis.initialLoss - lowest} = L(w_0) - L(w_loc), w_loc the local minimum that damped Newton finds from w_0 (L(w_loc) >= inf L, so the bound tested is at most the theorem's)`,
      hessianAtStart: `eigenvalues in [${analysis.initialHessianRange.join(", ")}]`,
    },
  };
}
