/**
 * The comparisons of the parity check (tools/peer/parity.json declares the rules): per-step training losses
 * to float32 tolerance, and final test errors over seeds by Welch's t-test. Pure (no I/O).
 */
import { studentTCdf, studentTQuantile } from "@sam-repro/runner";

/**
 * Per-step losses from the running epoch means that trainRun's onStep reports: with mean_i the mean of the first
 * i + 1 losses of an epoch, loss_i = (i + 1) mean_i - i mean_{i-1} (i = 0 at each epoch start, every stepsPerEpoch steps).
 */
export function stepLossesFromRunningMeans(means: readonly number[], stepsPerEpoch: number): number[] {
  return means.map((mean, step) => {
    const i = step % stepsPerEpoch;
    return i === 0 ? mean : (i + 1) * mean - i * means[step - 1]!;
  });
}

/** The step-loss rule of tools/peer/parity.json (stepLosses). */
export interface StepLossRule {
  /** Largest relative difference allowed at step 1 (same weights, same batch: rounding only). */
  firstStep: number;
  /** Our running maximum may reach this multiple of the reference's float32-vs-float64 running maximum. */
  envelopeFactor: number;
  /** Lower bound of the envelope (where float32 and float64 happen to agree exactly). */
  envelopeFloor: number;
}

export interface StepLossComparison {
  steps: number;
  /** |ours_t - torch32_t| / |torch32_t| per step. */
  relativeDifference: number[];
  /** |torch32_t - torch64_t| / |torch64_t| per step: the drift rounding alone causes. */
  roundingDrift: number[];
  /** max over steps <= t of relativeDifference. */
  runningMax: number[];
  /** The allowed running maximum at step t: envelopeFactor * max(envelopeFloor, max_{s<=t} roundingDrift_s) (firstStep at t = 1). */
  limit: number[];
  maxRelativeDifference: number;
  /** 1-based step of the first running maximum above its limit, or null. */
  firstFailingStep: number | null;
  agrees: boolean;
}

function relative(a: number, b: number): number {
  const value = Math.abs(a - b) / Math.abs(b);
  return Number.isFinite(value) ? value : Number.POSITIVE_INFINITY;
}

/**
 * Our per-step losses against the reference's in float32 (`torch32`), judged by the envelope of the reference's own
 * float32-vs-float64 drift (`torch64`): see StepLossRule. Compares the first min(lengths) steps.
 */
export function compareStepLosses(ours: readonly number[], torch32: readonly number[], torch64: readonly number[], rule: StepLossRule): StepLossComparison {
  const steps = Math.min(ours.length, torch32.length, torch64.length);
  if (steps === 0) throw new Error("compareStepLosses: no steps to compare");
  const relativeDifference: number[] = [];
  const roundingDrift: number[] = [];
  const runningMax: number[] = [];
  const limit: number[] = [];
  let max = 0;
  let driftMax = 0;
  let firstFailingStep: number | null = null;
  for (let t = 0; t < steps; t++) {
    const difference = relative(ours[t]!, torch32[t]!);
    const drift = relative(torch32[t]!, torch64[t]!);
    relativeDifference.push(difference);
    roundingDrift.push(drift);
    max = Math.max(max, difference);
    driftMax = Math.max(driftMax, drift);
    runningMax.push(max);
    const allowed = t === 0 ? rule.firstStep : rule.envelopeFactor * Math.max(rule.envelopeFloor, driftMax);
    limit.push(allowed);
    if (firstFailingStep === null && !(max <= allowed)) firstFailingStep = t + 1;
  }
  return { steps, relativeDifference, roundingDrift, runningMax, limit, maxRelativeDifference: max, firstFailingStep, agrees: firstFailingStep === null };
}

export interface WelchTest {
  meanA: number;
  meanB: number;
  /** meanA - meanB. */
  difference: number;
  standardError: number;
  /** Welch-Satterthwaite degrees of freedom, rounded down. */
  df: number;
  t: number;
  /** Two-sided p-value. */
  pValue: number;
  /** Two-sided (1 - alpha) confidence interval of the difference. */
  interval: [number, number];
  /** Whether equal means are rejected at alpha. */
  rejects: boolean;
}

function meanAndVariance(values: readonly number[]): { mean: number; variance: number } {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const variance = values.reduce((a, b) => a + (b - mean) ** 2, 0) / (values.length - 1);
  return { mean, variance };
}

/**
 * Welch's unequal-variance t-test of mean(a) = mean(b): t = (mean_a - mean_b) / sqrt(s_a^2/n_a + s_b^2/n_b),
 * df = (s_a^2/n_a + s_b^2/n_b)^2 / ((s_a^2/n_a)^2/(n_a - 1) + (s_b^2/n_b)^2/(n_b - 1)), two-sided at alpha,
 * with the interval difference +- t_{1-alpha/2, df} * standard error. df is rounded down to an integer (conservative:
 * wider interval, larger p; the runner's exact t distribution takes integer df). Needs >= 2 values per side.
 */
export function welchTest(a: readonly number[], b: readonly number[], alpha: number): WelchTest {
  if (a.length < 2 || b.length < 2) throw new Error(`welchTest: needs >= 2 values per side, got ${a.length} and ${b.length}`);
  const sa = meanAndVariance(a);
  const sb = meanAndVariance(b);
  const va = sa.variance / a.length;
  const vb = sb.variance / b.length;
  const standardError = Math.sqrt(va + vb);
  const difference = sa.mean - sb.mean;
  if (standardError === 0) {
    const rejects = difference !== 0;
    return { meanA: sa.mean, meanB: sb.mean, difference, standardError, df: Number.POSITIVE_INFINITY, t: rejects ? Math.sign(difference) * Infinity : 0, pValue: rejects ? 0 : 1, interval: [difference, difference], rejects };
  }
  const df = Math.max(1, Math.floor((va + vb) ** 2 / (va ** 2 / (a.length - 1) + vb ** 2 / (b.length - 1))));
  const t = difference / standardError;
  const pValue = 2 * (1 - studentTCdf(Math.abs(t), df));
  const critical = studentTQuantile(1 - alpha / 2, df);
  return { meanA: sa.mean, meanB: sb.mean, difference, standardError, df, t, pValue, interval: [difference - critical * standardError, difference + critical * standardError], rejects: pValue < alpha };
}
