/**
 * Per-seed numbers as the claims report them: the seed list schema, a summary (mean, sample std, range) and the
 * formatting of error fractions in percent and of paired gains in percentage points.
 */
import { z } from "zod";

/** The seeds of a figure: distinct non-negative integers, at least one. */
export const seedsSchema = z
  .array(z.number().int().min(0))
  .min(1)
  .refine((seeds) => new Set(seeds).size === seeds.length, "seeds must be distinct");

/** mean, sample standard deviation (n - 1), min and max of the finite values. */
export interface Summary {
  mean: number;
  std: number;
  min: number;
  max: number;
  n: number;
  values: number[];
}

/** Summary of the finite values (null, undefined and NaN are left out; NaN fields when none is left). */
export function summarize(values: ReadonlyArray<number | null | undefined>): Summary {
  const finite = values.filter((v): v is number => typeof v === "number" && Number.isFinite(v));
  const n = finite.length;
  if (n === 0) return { mean: Number.NaN, std: Number.NaN, min: Number.NaN, max: Number.NaN, n, values: [] };
  const mean = finite.reduce((a, b) => a + b, 0) / n;
  const std = n > 1 ? Math.sqrt(finite.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1)) : 0;
  return { mean, std, min: Math.min(...finite), max: Math.max(...finite), n, values: finite };
}

/** An error fraction as a percentage ("43.61%"); "n/a" when not a finite number. */
export function percent(value: number | null | undefined, digits = 2): string {
  return typeof value === "number" && Number.isFinite(value) ? `${(100 * value).toFixed(digits)}%` : "n/a";
}

/** A number in 3 significant digits ("0.0123", "2.3"), in exponent form outside [1e-3, 1e4) ("5.12e-4"); "0", "NaN", "Infinity" as such. */
export function formatSignificant(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  if (value === 0) return "0";
  return Math.abs(value) >= 1e-3 && Math.abs(value) < 1e4 ? String(Number(value.toPrecision(3))) : value.toExponential(2);
}

/** A difference of error fractions in signed percentage points ("+0.85 pp"). */
export function percentagePoints(value: number, digits = 2): string {
  return Number.isFinite(value) ? `${value >= 0 ? "+" : ""}${(100 * value).toFixed(digits)} pp` : String(value);
}

/** "mean ± std pp (min..max), n seeds" of error fractions. */
export function describeErrors(summary: Summary): string {
  if (summary.n === 0) return "n/a (no finished run)";
  const spread = summary.n > 1 ? ` (${percent(summary.min)}..${percent(summary.max)})` : "";
  return `${percent(summary.mean)} ± ${(100 * summary.std).toFixed(2)} pp${spread}, ${summary.n} seed${summary.n === 1 ? "" : "s"}`;
}
