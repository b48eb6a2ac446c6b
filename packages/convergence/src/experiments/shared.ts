/**
 * What the figure runners of this package share: claims read from the experiment config, the run cache in the run
 * store, and the non-convex CIFAR-10 problem (loaded and analysed once per process).
 */
import { declaredRule, formatSignificant as fmt, judgeThreshold, judgedClaim, keyedResultCache, notRunClaim, summarize, type ExperimentConfig, type Profile } from "@sam-repro/runner";
import { SeededRandom } from "@sam-repro/runtime";
import type { ClaimResult } from "@sam-repro/figures";
import { cifar10Directory, loadCifarSubset } from "../cifar-data.js";
import { NonconvexLogisticRegression } from "../logistic-problem.js";
import type { ProblemSettings } from "../settings.js";
import { analyzeProblem, type ProblemAnalysis, type RunCache } from "../stochastic-experiment.js";

/** The paper has no figure for any convergence check: what every figure of this package says in `paperFigure`. */
export const NO_PAPER_FIGURE = "Theory (SPEC 2.4), no paper figure";

/**
 * A deterministic claim of the config judged by its declared threshold rule: `measured` is the rule's quantity,
 * compared with the rule's bound (a number or a setting of the profile that ran). Verdict "not run" passes through.
 */
export function claimResult(
  config: ExperimentConfig<unknown>,
  id: string,
  outcome: { measured: number; ourValue: string | number | null; details?: string; format?: (value: number) => string } | { verdict: "not run"; ourValue: null; details: string },
): ClaimResult {
  if ("verdict" in outcome) return notRunClaim(config, id, outcome.details);
  const judgement = judgeThreshold(declaredRule(config, id, ["threshold"]), outcome.measured, config.settings as Record<string, unknown>, outcome.format ?? fmt);
  return judgedClaim(config, id, { ourValue: outcome.ourValue, judgement, ...(outcome.details ? { details: outcome.details } : {}) });
}

/** Bump when a change to this package's stochastic runs changes their results, so cached runs are not reused. */
export const CONVERGENCE_RUN_VERSION = 1;

/**
 * The figure's run cache in the run store (runner's keyedResultCache): each run's result is stored as soon as it is
 * computed, in runs/convergence/<profile>/<figure id>-<hash of figure id, settings and run key>/result.json, so an
 * interrupted reproduce resumes with the runs done and a later reproduce reuses them (each run is deterministic
 * given its settings). Nothing is written under reports/: the figure is written by the driver alone.
 */
export function figureRunCache(figureId: string, profile: Profile, settings: unknown): RunCache {
  // The runs are plain float64 JavaScript (no tfjs backend), so the "backend" part of the identity is fixed.
  return keyedResultCache({ package: "convergence", profile, name: figureId, version: CONVERGENCE_RUN_VERSION, backend: "js-float64", settings });
}

export interface LoadedProblem {
  found: true;
  problem: NonconvexLogisticRegression;
  initial: Float64Array;
  analysis: ProblemAnalysis;
  file: string;
  loadSeconds: number;
}

const problems = new Map<string, LoadedProblem | { found: false; reason: string }>();

/**
 * The non-convex regularized logistic regression on two CIFAR-10 classes (cifar-features.ts), its w_0 and its
 * analysis (beta, L*, Hessian range, sigma^2 at w_0 and w*); or why the data could not be read.
 */
export function loadProblem(settings: ProblemSettings): LoadedProblem | { found: false; reason: string } {
  const key = JSON.stringify({ directory: cifar10Directory(), settings });
  const known = problems.get(key);
  if (known) return known;
  const started = performance.now();
  const data = loadCifarSubset({ file: settings.file, classes: settings.classes, maxExamples: settings.maxExamples, pool: settings.pool });
  let loaded: LoadedProblem | { found: false; reason: string };
  if (!data.found) {
    loaded = { found: false, reason: data.reason };
  } else {
    const problem = new NonconvexLogisticRegression(data.features, data.labels, settings.regularization);
    const initial = new SeededRandom(settings.initSeed).fillNormal(new Float64Array(problem.dimension), settings.initScale) as Float64Array;
    const analysis = analyzeProblem(problem, initial);
    loaded = { found: true, problem, initial, analysis, file: data.file, loadSeconds: (performance.now() - started) / 1000 };
  }
  problems.set(key, loaded);
  return loaded;
}

/** The problem's description for the figure's setup block. */
export function problemSetup(settings: ProblemSettings, loaded: LoadedProblem): Record<string, unknown> {
  const { analysis } = loaded;
  return {
    data: `CIFAR-10 ${settings.file}, classes ${settings.classes[0]} (label -1) vs ${settings.classes[1]} (label +1), first ${analysis.exampleCount} examples`,
    features: `grayscale, ${settings.pool}x${settings.pool} average pooling (${analysis.dimension - 1} features), standardized, divided by sqrt(${analysis.dimension - 1}), plus a bias feature`,
    loss: `logistic + ${settings.regularization} * sum_j w_j^2 / (1 + w_j^2) (non-convex)`,
    initialization: `w_0 ~ N(0, ${settings.initScale}^2 I), seed ${settings.initSeed}`,
    beta: analysis.beta,
    initialLoss: analysis.initialLoss,
    localMinimumLoss: analysis.criticalLoss,
    localMinimumGradientNorm: analysis.criticalGradientNorm,
    hessianEigenvalueRangeAtStart: analysis.initialHessianRange,
    hessianEigenvalueRangeAtMinimum: analysis.criticalHessianRange,
    concaveRegularizerCoordinatesAtMinimum: analysis.concaveCoordinates,
    gradientVarianceAtStart: analysis.initialGradientVariance,
    gradientVarianceAtMinimum: analysis.criticalGradientVariance,
  };
}

// One summary (mean, min, max of the finite values) and one number format for every figure: @sam-repro/runner's.
export { fmt, summarize };
