import { z } from "zod";
import type { ClaimResult, FigureOutput, Verdict } from "@sam-repro/figures";
import type { ClaimSpec, ExperimentConfig, Profile } from "@sam-repro/runner";
import { trainConfigSchema, type TrainConfig } from "../training/config.js";
import type { RunResult } from "../training/run-store.js";

/**
 * The training settings a figure's runs share: any train config field except the method (sam) and
 * seed, which the figure sets per run. Validated by trainConfigSchema when a job is built.
 */
export const baseTrainingSchema = z.record(z.string(), z.unknown()).superRefine((value, context) => {
  for (const key of ["sam", "seed", "initFrom"]) {
    if (key in value) context.addIssue({ code: "custom", message: `"${key}" is set per run by the figure, not in base` });
  }
  const parsed = trainConfigSchema.safeParse(value);
  if (!parsed.success) for (const issue of parsed.error.issues) context.addIssue({ ...issue, code: "custom", message: issue.message, path: issue.path });
});

/** A full TrainConfig from base settings plus per-run fields. */
export function trainConfig(base: Record<string, unknown>, overrides: Record<string, unknown>): TrainConfig {
  return trainConfigSchema.parse({ ...base, ...overrides });
}

export const seedsSchema = z.array(z.number().int().min(0)).min(1);

export interface Summary {
  mean: number;
  std: number;
  min: number;
  max: number;
  n: number;
  values: number[];
}

/** Mean, sample standard deviation, min and max of the finite values (NaN summary when none). */
export function summarize(values: Array<number | null | undefined>): Summary {
  const finite = values.filter((v): v is number => typeof v === "number" && Number.isFinite(v));
  const n = finite.length;
  if (n === 0) return { mean: Number.NaN, std: Number.NaN, min: Number.NaN, max: Number.NaN, n, values: [] };
  const mean = finite.reduce((a, b) => a + b, 0) / n;
  const std = n > 1 ? Math.sqrt(finite.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1)) : 0;
  return { mean, std, min: Math.min(...finite), max: Math.max(...finite), n, values: finite };
}

/** A paired comparison over seeds: per-seed differences `baseline - candidate` (positive = candidate lower). */
export interface PairedGain {
  /** Per-seed differences (seeds where either run diverged are left out). */
  differences: number[];
  mean: number;
  /** Standard error of the mean difference (sample std / sqrt(n)); 0 for one seed. */
  standardError: number;
  /** mean > 0, every seed's difference > 0, and mean > 2 standard errors (for n >= 2). */
  consistentGain: boolean;
}

/**
 * Paired gain of `candidate` over `baseline` (same seeds, hence the same split and initialization):
 * d_s = baseline_s - candidate_s. The runs of one seed share data and initial weights, so the paired
 * differences are far less noisy than the spread of either method over seeds.
 */
export function pairedGain(baseline: Array<number | null>, candidate: Array<number | null>): PairedGain {
  const differences: number[] = [];
  baseline.forEach((b, i) => {
    const c = candidate[i];
    if (typeof b === "number" && typeof c === "number" && Number.isFinite(b) && Number.isFinite(c)) differences.push(b - c);
  });
  const s = summarize(differences);
  const standardError = s.n > 1 ? s.std / Math.sqrt(s.n) : 0;
  const consistentGain = s.n > 0 && differences.every((d) => d > 0) && (s.n === 1 || s.mean > 2 * standardError);
  return { differences, mean: s.n ? s.mean : Number.NaN, standardError, consistentGain };
}

/** "+1.80 pp (per seed +1.90, +1.70; SE 0.10)" for a paired gain in error fractions. */
export function describeGain(gain: PairedGain): string {
  const pp = (v: number) => `${v >= 0 ? "+" : ""}${(100 * v).toFixed(2)}`;
  return `${pp(gain.mean)} pp (per seed ${gain.differences.map(pp).join(", ")}; SE ${(100 * gain.standardError).toFixed(2)})`;
}

/** An error fraction as a percentage string with two decimals ("43.61%"); "n/a" for NaN. */
export function percent(value: number | null | undefined, digits = 2): string {
  return typeof value === "number" && Number.isFinite(value) ? `${(100 * value).toFixed(digits)}%` : "n/a";
}

/** "mean ± std (n seeds)" of error fractions, in percent. */
export function describeSummary(summary: Summary): string {
  if (summary.n === 0) return "n/a (all runs diverged)";
  return `${percent(summary.mean)} ± ${(100 * summary.std).toFixed(2)} pp (${summary.n} seed${summary.n === 1 ? "" : "s"})`;
}

/** Final test error of a run (null when it diverged). */
export function finalTestError(result: RunResult | undefined): number | null {
  if (!result || result.status === "diverged") return null;
  return result.final?.testError ?? null;
}

export function finalTrainError(result: RunResult | undefined): number | null {
  if (!result || result.status === "diverged") return null;
  return result.final?.trainEvalError ?? null;
}

/** Builds a ClaimResult from the experiment config's claim spec (statement and paper value come from the config). */
export function claimResult(
  experiment: ExperimentConfig<unknown>,
  id: string,
  ourValue: string | number | null,
  verdict: Verdict,
  details: string,
): ClaimResult {
  const spec: ClaimSpec | undefined = experiment.claims.find((claim) => claim.id === id);
  if (!spec) throw new Error(`${experiment.file}: no claim "${id}"`);
  return { id, statement: spec.statement, paperValue: spec.paperValue, ourValue, verdict, profile: experiment.profile as Profile, details };
}

/** Text for the scale context that every cpu-profile claim carries. */
export function scaleContext(base: Record<string, unknown>, seeds: number[]): string {
  const parts = [
    `model ${String(base.model)} width ${String(base.width)}`,
    `${base.trainSize ?? 45000} training images`,
    `${base.testSize ?? 10000} test images`,
    `${String(base.epochs)} epochs`,
    `batch ${String(base.batchSize ?? 128)}`,
    base.augment === false ? "no augmentation" : "crop+flip augmentation",
    `seeds ${seeds.join(", ")}`,
  ];
  return parts.join(", ");
}

/**
 * The FigureOutput of a figure: id, title and paper figure from its experiment config, the settings
 * with the config's "unspecified" notes, what was scaled down (except at the paper profile), the wall
 * time since `started` and the backend that trained its runs.
 */
export function figureOutput(
  experiment: ExperimentConfig<unknown>,
  parts: { setup: Record<string, unknown>; scaledDown: string; data: Record<string, unknown>; spec: Record<string, unknown>; claims: ClaimResult[]; started: number; results: Iterable<RunResult> },
): FigureOutput {
  const runs = [...parts.results];
  const backend = runs[0]?.backend;
  // Reused runs cost no time in this call: record what training them took.
  const training = { runs: runs.length, diverged: runs.filter((r) => r.status === "diverged").length, runWallSecondsSum: runs.reduce((sum, r) => sum + r.wallSeconds, 0) };
  return {
    id: experiment.id,
    title: experiment.title,
    paperFigure: experiment.paperFigure,
    profile: experiment.profile,
    setup: { ...parts.setup, unspecified: experiment.unspecified },
    ...(experiment.profile !== "paper" ? { scaledDown: parts.scaledDown } : {}),
    data: { ...(parts.data as Record<string, unknown>), training },
    spec: parts.spec,
    claims: parts.claims,
    wallSeconds: (performance.now() - parts.started) / 1000,
    ...(backend ? { backend } : {}),
  };
}
