/**
 * What the figure runners of this package share: claims read from the experiment config, the checkpointed run
 * cache, and the non-convex CIFAR-10 problem (loaded and analysed once per process).
 */
import path from "node:path";
import { Checkpoint, declaredRule, formatSignificant as fmt, judgeThreshold, judgedClaim, notRunClaim, reportsDir, summarize, type ExperimentConfig, type Profile } from "@sam-repro/runner";
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

/**
 * A run cache saved after every run to reports/<id>/checkpoint.json, keyed by the profile and settings, so an
 * interrupted reproduce resumes with the runs already done (each run is deterministic given its settings).
 * Nothing deletes it here: the driver's writeFigure replaces reports/<id>/ whole once the figure is written, which
 * discards the checkpoint then and only then (a figure that fails before being written keeps it for the next run).
 */
export function checkpointedCache(figureId: string, profile: Profile, settings: unknown): RunCache {
  const file = path.join(reportsDir(), figureId, "checkpoint.json");
  const checkpoint = new Checkpoint<Record<string, unknown>>(file, JSON.stringify({ profile, settings }));
  const stored = checkpoint.load() ?? {};
  const cache: RunCache = <R>(key: string, compute: () => R): R => {
    if (key in stored) return reviveNumbers(stored[key]) as R;
    const value = compute();
    stored[key] = value;
    checkpoint.save(stored);
    return value;
  };
  return cache;
}

// writeJsonAtomic stores NaN and infinities as strings; turn them back into numbers.
function reviveNumbers(value: unknown): unknown {
  if (value === "NaN") return Number.NaN;
  if (value === "Infinity") return Infinity;
  if (value === "-Infinity") return -Infinity;
  if (Array.isArray(value)) return value.map(reviveNumbers);
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, reviveNumbers(inner)]));
  }
  return value;
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
