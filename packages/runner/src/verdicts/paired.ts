/**
 * Paired comparisons over seeds: the one-sided Student-t confidence bounds of the mean paired difference,
 * the one-sided t-test, the two one-sided tests of equivalence (TOST) and Holm's step-down correction.
 * Pure functions of the per-seed numbers.
 */
import { studentTCdf, studentTQuantile } from "./student-t.js";

/** What a paired comparison over n seeds gives. */
export interface PairedStatistics {
  /** Per-seed differences d_s (pairs where either value was not finite are left out). */
  differences: number[];
  n: number;
  /** mean of d_s */
  mean: number;
  /** sample standard deviation of d_s (n - 1 in the denominator); NaN for n < 2 */
  std: number;
  /** standard error std / sqrt(n) */
  standardError: number;
  /** the one-sided critical value t_{1 - alpha, n - 1}; NaN for n < 2 */
  critical: number;
  /** one-sided lower confidence bound mean - critical * SE (level 1 - alpha); NaN for n < 2 */
  lower: number;
  /** one-sided upper confidence bound mean + critical * SE (level 1 - alpha); NaN for n < 2 */
  upper: number;
  alpha: number;
}

/**
 * Per-seed differences d_s = baseline_s - candidate_s of two equally long per-seed lists (so d > 0 when the
 * candidate is lower, e.g. a lower test error). Seeds where either value is missing or not finite are dropped.
 */
export function pairedDifferences(baseline: ReadonlyArray<number | null | undefined>, candidate: ReadonlyArray<number | null | undefined>): number[] {
  if (baseline.length !== candidate.length) {
    throw new RangeError(`paired lists differ in length: ${baseline.length} baseline vs ${candidate.length} candidate values`);
  }
  const differences: number[] = [];
  baseline.forEach((b, index) => {
    const c = candidate[index];
    if (typeof b === "number" && typeof c === "number" && Number.isFinite(b) && Number.isFinite(c)) differences.push(b - c);
  });
  return differences;
}

/**
 * Mean, SE and the one-sided (1 - alpha) confidence bounds of the mean of `differences`:
 * lower = mean - t_{1-alpha,n-1} s / sqrt(n), upper = mean + t_{1-alpha,n-1} s / sqrt(n).
 * With n < 2 there is no variance estimate and the bounds are NaN (no test can decide).
 */
export function pairedStatistics(differences: readonly number[], alpha: number): PairedStatistics {
  if (!(alpha > 0 && alpha < 0.5)) throw new RangeError(`alpha must lie in (0, 0.5), got ${alpha}`);
  const values = differences.filter((d) => Number.isFinite(d));
  const n = values.length;
  const mean = n ? values.reduce((a, b) => a + b, 0) / n : Number.NaN;
  const std = n > 1 ? Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1)) : Number.NaN;
  const standardError = std / Math.sqrt(n);
  const critical = n > 1 ? studentTQuantile(1 - alpha, n - 1) : Number.NaN;
  return { differences: values, n, mean, std, standardError, critical, lower: mean - critical * standardError, upper: mean + critical * standardError, alpha };
}

/**
 * One-sided paired t-test of H0: mean difference <= shift against H1: mean > shift.
 * t = (mean - shift) / SE, p = P(T_{n-1} >= t). Rejects (p < alpha) exactly when the lower bound exceeds `shift`.
 * A zero standard error with a mean above the shift gives t = +Infinity and p = 0.
 */
export function oneSidedPValue(stats: PairedStatistics, shift = 0): number {
  if (stats.n < 2) return Number.NaN;
  const gap = stats.mean - shift;
  if (stats.standardError === 0) return gap > 0 ? 0 : 1;
  return 1 - studentTCdf(gap / stats.standardError, stats.n - 1);
}

/**
 * Two one-sided tests (TOST) of equivalence within +-margin: H0 |mean| >= margin is rejected at level alpha
 * when both one-sided tests reject, i.e. when margin > upper and lower > -margin. Returns the larger p-value.
 */
export function tostPValue(stats: PairedStatistics, margin: number): number {
  if (stats.n < 2) return Number.NaN;
  const above = oneSidedPValue(stats, -margin); // H0: mean <= -margin
  const below = oneSidedPValue({ ...stats, mean: -stats.mean, differences: stats.differences.map((d) => -d) }, -margin); // H0: mean >= margin
  return Math.max(above, below);
}

/**
 * Holm's step-down correction: sort the p-values p_(1) <= ... <= p_(k); reject H_(i) while
 * p_(i) <= alpha / (k - i + 1), stopping at the first that is not. Controls the family-wise error at alpha.
 * Returns, per input p-value in its original order, whether it is rejected (NaN p-values are never rejected).
 */
export function holmRejections(pValues: readonly number[], alpha: number): boolean[] {
  const order = pValues.map((p, index) => ({ p: Number.isNaN(p) ? Number.POSITIVE_INFINITY : p, index })).sort((a, b) => a.p - b.p);
  const rejected = pValues.map(() => false);
  const k = pValues.length;
  for (let i = 0; i < k; i++) {
    if (order[i]!.p > alpha / (k - i)) break;
    rejected[order[i]!.index] = true;
  }
  return rejected;
}
