import { z } from "zod";
import type { ClaimResult, FigureOutput } from "@sam-repro/figures";
import { declaredRule, judgePaired, pairedDifferences, percentagePoints, type ExperimentConfig, type Judgement } from "@sam-repro/runner";
import { trainConfigSchema, type TrainConfig } from "../training/config.js";
import type { RunResult } from "../training/run-store.js";
import { classCount, type DatasetName } from "../data/cifar-format.js";

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

export { percent, seedsSchema, summarize, type Summary } from "@sam-repro/runner";

/**
 * Judges a claim that compares methods seed by seed with the rule its config declares (a paired rule of
 * @sam-repro/runner's verdicts): each comparison's differences are d_s = baseline_s - candidate_s in error
 * fractions (positive = the candidate has the lower error), printed in percentage points.
 */
export function judgeErrors(
  experiment: ExperimentConfig<unknown>,
  claimId: string,
  comparisons: ReadonlyArray<{ baseline: ReadonlyArray<number | null>; candidate: ReadonlyArray<number | null>; radius?: number; label?: string }>,
): Judgement {
  const rule = declaredRule(experiment, claimId, ["paired-t-improves", "paired-t-no-gain", "paired-tost-equivalent"]);
  return judgePaired(
    rule,
    comparisons.map(({ baseline, candidate, radius, label }) => ({ differences: pairedDifferences(baseline, candidate), ...(radius !== undefined ? { radius } : {}), ...(label !== undefined ? { label } : {}) })),
    (value) => percentagePoints(value),
  );
}

/**
 * Final test error of a run; null only when the run is missing. A run that diverged (a non-finite loss) counts at
 * the chance level 1 - 1/K of its dataset (docs/quantities.md, "Final and best values"): it is a failed run, and
 * leaving its seed out would let a setting that blows up on some seeds be judged on its survivors alone (and a
 * radius whose seeds all diverge would leave a Holm family without a test). Rule fixed before the runs it affects.
 */
export function finalTestError(result: RunResult | undefined): number | null {
  if (!result) return null;
  if (result.status === "diverged") return chanceError(result.config.dataset);
  return result.final?.testError ?? null;
}

/** The error of a classifier no better than chance on a dataset of K balanced classes: 1 - 1/K. */
export function chanceError(dataset: DatasetName): number {
  return 1 - 1 / classCount(dataset);
}

export function finalTrainError(result: RunResult | undefined): number | null {
  if (!result || result.status === "diverged") return null;
  return result.final?.trainEvalError ?? null;
}

/**
 * Text for the scale context that every cpu-profile claim carries: model, data, epochs, batch, augmentation, the
 * dataset when it is not CIFAR-10 and the label noise when there is any, seeds.
 */
export function scaleContext(base: Record<string, unknown>, seeds: readonly number[]): string {
  const labelNoise = base.labelNoise as { fraction: number; type: string } | undefined;
  const parts = [
    ...(base.dataset !== undefined && base.dataset !== "cifar10" ? [String(base.dataset)] : []),
    `model ${String(base.model)} width ${String(base.width)}`,
    `${base.trainSize ?? 45000} training images`,
    `${base.testSize ?? 10000} test images`,
    `${String(base.epochs)} epochs`,
    `batch ${String(base.batchSize ?? 128)}`,
    base.augment === false ? "no augmentation" : "crop+flip augmentation",
    ...(labelNoise && labelNoise.fraction > 0 ? [`${100 * labelNoise.fraction}% ${labelNoise.type} label noise`] : []),
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
