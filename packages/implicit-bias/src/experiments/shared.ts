import { z } from "zod";
import type { ClaimResult, FigureOutput } from "@sam-repro/figures";
import { fileURLToPath } from "node:url";
import { InputError, declaredRule, judgeFraction, judgeThreshold, judgedClaim, type ClaimSpec, type ExperimentConfig, type Profile } from "@sam-repro/runner";
import { generateSparseRegression, type RegressionProblem } from "../problem.js";
import { loadProblemFile } from "../problem-file.js";

/** Settings shared by the diagonal-net experiments: the sparse regression problem of SPEC 2.1 and the data seeds. */
export const sparseProblemSchema = z.strictObject({
  n: z.number().int().min(1),
  d: z.number().int().min(1),
  r: z.number().int().min(1),
  nTest: z.number().int().min(1),
});

/** At least 5 data seeds per claim (the brief), distinct non-negative integers. */
export const seedsSchema = z
  .array(z.number().int().min(0))
  .min(1)
  .refine((seeds) => new Set(seeds).size === seeds.length, "seeds must be distinct");

/** gamma given as a multiple of 1/d, as the notebook writes its step sizes (5/d, 10/d, 15/d, 1/d). */
export const gammaTimesDSchema = z.number().positive();

export type SparseProblemSettings = z.infer<typeof sparseProblemSchema>;

/** One generated problem per data seed. */
export function problemsForSeeds(problem: SparseProblemSettings, seeds: readonly number[]): RegressionProblem[] {
  return seeds.map((seed) => generateSparseRegression({ ...problem, seed }));
}

/** The official notebook's own data (NumPy seed 0, SPEC 2.1), written by tools/make-notebook-data.py (n 20, d 30, r 3, 1000 test rows). */
export const NOTEBOOK_DATA_FILE = fileURLToPath(new URL("../../fixtures/notebook-seed0.json", import.meta.url));

/** The notebook's problem when it has the configured sizes; null otherwise (e.g. a smaller smoke test set). */
export function notebookProblem(problem: SparseProblemSettings): RegressionProblem | null {
  const data = loadProblemFile(NOTEBOOK_DATA_FILE);
  return data.n === problem.n && data.d === problem.d && data.nTest === problem.nTest ? data : null;
}

/**
 * A qualitative claim checked on every generated data draw and on the notebook's own data: the verdict is the
 * config's fraction-of-draws rule over the generated draws; the notebook's outcome is reported beside it (it does
 * not vote: one draw says little, but it is the problem the notebook's printed numbers come from).
 */
export function drawsClaim(
  config: ExperimentConfig<unknown>,
  id: string,
  outcome: {
    heldPerDraw: readonly boolean[];
    /** The outcome on the notebook's data; null when it did not run, or a note when the draws already use its data. */
    notebook: { held: boolean; value: string } | null | { note: string };
    ourValue: string;
    details: string;
  },
): ClaimResult {
  const judgement = judgeFraction(declaredRule(config, id, ["fraction-of-draws"]), outcome.heldPerDraw);
  const held = outcome.heldPerDraw.filter(Boolean).length;
  const notebook =
    outcome.notebook === null
      ? "; notebook data: not run at this profile's sizes"
      : "note" in outcome.notebook
        ? `; ${outcome.notebook.note}`
        : `; notebook data (NumPy seed 0): ${outcome.notebook.held ? "holds" : "does not hold"} (${outcome.notebook.value})`;
  return judgedClaim(config, id, {
    ourValue: `${held} of ${outcome.heldPerDraw.length} draws${notebook}; ${outcome.ourValue}`,
    judgement,
    details: outcome.details,
  });
}

/** A deterministic claim judged by the config's threshold rule on `measured` (the rule's quantity). */
export function thresholdClaim(config: ExperimentConfig<unknown>, id: string, outcome: { measured: number; ourValue: string; details: string }): ClaimResult {
  const judgement = judgeThreshold(declaredRule(config, id, ["threshold"]), outcome.measured, config.settings as Record<string, unknown>, formatNumber);
  return judgedClaim(config, id, { ourValue: outcome.ourValue, judgement, details: outcome.details });
}

export interface SeedStatistics {
  perSeed: number[];
  median: number;
  min: number;
  max: number;
}

/** Median of finite-or-infinite values (NaN counts as +Infinity: a diverged run ranks worst). */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = values.map((value) => (Number.isNaN(value) ? Number.POSITIVE_INFINITY : value)).sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** Per-seed values with their median and range (the spread across seeds that every claim reports). */
export function seedStatistics(values: readonly number[]): SeedStatistics {
  const ranked = values.map((value) => (Number.isNaN(value) ? Number.POSITIVE_INFINITY : value));
  return { perSeed: [...values], median: median(values), min: Math.min(...ranked), max: Math.max(...ranked) };
}

/**
 * Element-wise ratios numerator[i] / denominator[i] of losses with their statistics. A diverged run's loss
 * (NaN) counts as +Infinity: a finite loss over a diverged one gives 0, a diverged one over a finite one +Infinity.
 */
export function ratioStatistics(numerators: readonly number[], denominators: readonly number[]): SeedStatistics {
  const asLoss = (value: number) => (Number.isNaN(value) ? Number.POSITIVE_INFINITY : value);
  return seedStatistics(numerators.map((value, index) => asLoss(value) / asLoss(denominators[index]!)));
}

/** "median 7.3 (range 4.1-9.8 over 5 seeds)". */
export function describeStatistics(stats: SeedStatistics, unit = ""): string {
  return `median ${formatNumber(stats.median)}${unit} (range ${formatNumber(stats.min)}${unit} to ${formatNumber(stats.max)}${unit} over ${stats.perSeed.length} seeds)`;
}

/** Three significant digits, exponent notation for small or large magnitudes. */
export function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  if (value !== 0 && (Math.abs(value) < 1e-2 || Math.abs(value) >= 1e4)) return value.toExponential(2);
  return Number(value.toPrecision(3)).toString();
}

/** The claim spec of `config` with this id; the config must declare every claim the code checks. */
export function claimSpec(config: ExperimentConfig<unknown>, id: string): ClaimSpec {
  const spec = config.claims.find((claim) => claim.id === id);
  if (!spec) {
    throw new InputError(`${config.file}: claims: no claim with id "${id}" (declared: ${config.claims.map((claim) => claim.id).join(", ")})`);
  }
  return spec;
}

/** A checked claim: `holds` decides the verdict; `details` says how (criterion, seeds, per-seed values). */
export function checkedClaim(
  config: ExperimentConfig<unknown>,
  id: string,
  ourValue: string | number | null,
  holds: boolean,
  details: string,
): ClaimResult {
  const spec = claimSpec(config, id);
  return {
    id: spec.id,
    statement: spec.statement,
    paperValue: spec.paperValue,
    ourValue,
    verdict: holds ? "holds" : "does not hold",
    profile: config.profile,
    details,
  };
}

/** Every claim of `config` that the code did not check, as "not run" (so none goes missing from the report). */
export function remainingClaims(config: ExperimentConfig<unknown>, checked: readonly ClaimResult[], reason: string): ClaimResult[] {
  const done = new Set(checked.map((claim) => claim.id));
  return config.claims
    .filter((claim) => !done.has(claim.id))
    .map((claim) => ({ ...claim, ourValue: null, verdict: "not run" as const, profile: config.profile, details: reason }));
}

/** Per-seed values as "seed 0: 1.2e-3, seed 1: ...". */
export function perSeedText(seeds: readonly number[], values: readonly number[], unit = ""): string {
  return seeds.map((seed, index) => `seed ${seed}: ${formatNumber(values[index]!)}${unit}`).join(", ");
}

/** Seconds since `start` (a performance.now() value). */
export function secondsSince(start: number): number {
  return (performance.now() - start) / 1000;
}

/** The profile's common setup fields, so every figure's meta says what ran. */
export function describeProfile(profile: Profile, settings: unknown): Record<string, unknown> {
  return { profile, ...(settings as Record<string, unknown>) };
}

/** A curve row: the median over seeds and the range, at one step. */
export interface BandRow {
  step: number;
  median: number;
  lower: number;
  upper: number;
}

/**
 * Median and range over seeds of curves recorded at the same steps; a step that some seed did not reach
 * (it diverged earlier) is left out. Non-finite values stay out of the range.
 */
export function bandOverSeeds(curves: ReadonlyArray<{ step: readonly number[]; values: readonly number[] }>): BandRow[] {
  const byStep = new Map<number, number[]>();
  for (const curve of curves) {
    curve.step.forEach((step, index) => {
      const list = byStep.get(step) ?? [];
      list.push(curve.values[index]!);
      byStep.set(step, list);
    });
  }
  const rows: BandRow[] = [];
  for (const [step, values] of [...byStep.entries()].sort((a, b) => a[0] - b[0])) {
    if (values.length !== curves.length) continue;
    const finite = values.filter(Number.isFinite);
    rows.push({
      step,
      median: median(values),
      lower: finite.length ? Math.min(...finite) : Number.NaN,
      upper: finite.length ? Math.max(...finite) : Number.NaN,
    });
  }
  return rows;
}

/**
 * One figure of this package as the FigureOutput its `produce` returns (the driver writes it): id, title, paper
 * figure and profile from the config, the profile's settings as the setup (unless given), and the wall time since
 * `started`.
 */
export function experimentFigureOutput(
  config: ExperimentConfig<unknown>,
  started: number,
  parts: { data: unknown; spec: Record<string, unknown>; claims: ClaimResult[]; scaledDown?: string | undefined; setup?: Record<string, unknown> },
): FigureOutput {
  return {
    id: config.id,
    title: config.title,
    paperFigure: config.paperFigure,
    profile: config.profile,
    setup: parts.setup ?? (config.settings as Record<string, unknown>),
    ...(parts.scaledDown ? { scaledDown: parts.scaledDown } : {}),
    data: parts.data,
    spec: parts.spec,
    claims: parts.claims,
    wallSeconds: secondsSince(started),
  };
}
