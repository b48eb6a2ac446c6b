import type { FigureOutput } from "@sam-repro/figures";
import { z } from "zod";
import { PALETTE, lineChart, type Row } from "@sam-repro/figures";
import { describeErrors, judgedClaim, loadExperiment, type Profile } from "@sam-repro/runner";
import { figureOutput, judgeErrors, scaleContext, trainConfig } from "./common.js";
import { runJobs, type TrainJob } from "./jobs.js";
import { arm, armFinals, estimateMinutes, figureBasics, finalErrorRows, jobsOf, type Arm } from "./shared-runs.js";

export const MULTISTEP_ID = "multistep-ascent-vs-m";

const settingsSchema = z
  .strictObject({
    ...figureBasics,
    /** Small m with one ascent step, at its rho (fixed in advance). */
    small: z.strictObject({ m: z.number().int().min(1), rho: z.number().positive() }),
    /**
     * Large m (default: the batch) at each rho of the grid, with one ascent step and with `steps` steps:
     * each step delta <- Proj_{||delta|| <= rho}(delta + rho g(w + delta)/||g(w + delta)||) (the optimizer's
     * multi-step ascent with step size multiplier 1).
     */
    large: z.strictObject({ m: z.number().int().min(1).optional(), rhos: z.array(z.number().positive()).min(1), steps: z.number().int().min(2) }),
  });
type Settings = z.infer<typeof settingsSchema>;

type Key = "small" | "large" | "largeSteps";

function arms(settings: Settings): { erm: Arm; small: Arm; large: Array<{ rho: number; one: Arm; many: Arm }> } {
  const largeM = settings.large.m ? { m: settings.large.m } : {};
  return {
    erm: arm("erm", "ERM", settings.base, settings.seeds, { sam: { variant: "sgd" } }),
    small: arm("small", "small m", settings.base, settings.seeds, { sam: { variant: "sam", rho: settings.small.rho, m: settings.small.m } }),
    large: settings.large.rhos.map((rho) => ({
      rho,
      one: arm(`large-r${rho}`, "large m", settings.base, settings.seeds, { sam: { variant: "sam", rho, ...largeM } }),
      many: arm(`large-k-r${rho}`, "large m, steps", settings.base, settings.seeds, { sam: { variant: "sam", rho, ...largeM, ascentSteps: settings.large.steps } }),
    })),
  };
}

/**
 * Multi-step ascent does not replace a small m (SPEC-ADDENDUM F-b): test error against rho for a large
 * m with one and with K ascent steps, and for a small m with one step. If m-SAM helped only because a
 * small m solves the inner maximization better, more ascent steps at large m would close the gap.
 */
export async function reproduceMultistep(profile: Profile): Promise<FigureOutput> {
  const started = performance.now();
  const experiment = loadExperiment(MULTISTEP_ID, profile, settingsSchema);
  const settings = experiment.settings;
  const a = arms(settings);
  const all = [a.erm, a.small, ...a.large.flatMap((l) => [l.one, l.many])];
  const results = await runJobs(jobsOf(all), profile, MULTISTEP_ID);
  const batch = trainConfig(settings.base, {}).batchSize;
  const largeM = settings.large.m ?? batch;
  const labels: Record<Key, string> = {
    small: `m = ${settings.small.m}, 1 ascent step`,
    large: `m = ${largeM}, 1 ascent step`,
    largeSteps: `m = ${largeM}, ${settings.large.steps} ascent steps`,
  };
  const erm = armFinals(a.erm, results);
  const small = armFinals(a.small, results);
  const large = a.large.map((l) => ({ rho: l.rho, one: armFinals(l.one, results), many: armFinals(l.many, results) }));
  const rows: Row[] = [];
  // Every curve starts at rho = 0, which is ERM.
  for (const key of Object.keys(labels) as Key[]) rows.push(...finalErrorRows({ ...a.erm, label: labels[key] }, erm, { rho: 0 }));
  rows.push(...finalErrorRows({ ...a.small, label: labels.small }, small, { rho: settings.small.rho }));
  for (const l of large) {
    rows.push(...finalErrorRows({ ...a.erm, label: labels.large }, l.one, { rho: l.rho }));
    rows.push(...finalErrorRows({ ...a.erm, label: labels.largeSteps }, l.many, { rho: l.rho }));
  }
  const paper = (experiment.reference as { marks?: Array<{ curve: Key; rho: number; testError: number }> }).marks ?? [];
  const referenceRows: Row[] = paper.map((mark) => ({ metric: "Test error", method: labels[mark.curve], rho: mark.rho, error: mark.testError }));
  const spec = lineChart({
    title: "Multi-step ascent does not replace a small m",
    subtitle: `profile ${profile}; mean over seeds ${settings.seeds.join(", ")}, band = min..max; rho = 0 is ERM; diamonds: the paper (m = 4 and 256, 10 steps)`,
    data: rows,
    referenceRows,
    x: { field: "rho", title: "rho" },
    y: { field: "error", title: "Error (%)" },
    color: { field: "method", title: "Method", domain: Object.values(labels), range: [PALETTE.blue, PALETTE.gray, PALETTE.orange] },
    band: { lower: "lower", upper: "upper" },
    facet: { field: "metric", columns: 2, independentY: true },
    points: true,
  });

  const context = `${scaleContext(settings.base, settings.seeds)}; small m ${settings.small.m} at rho ${settings.small.rho}; large m ${largeM} at rho ${settings.large.rhos.join(", ")} with 1 and ${settings.large.steps} ascent steps`;
  const listing = (pick: (l: (typeof large)[number]) => typeof erm) => large.map((l) => `rho ${l.rho}: ${describeErrors(pick(l).testSummary)}`).join("; ");
  const claims = [
    judgedClaim(experiment, "small-m-beats-large-m", {
      ourValue: `${labels.small}: ${describeErrors(small.testSummary)}; ${labels.large}: ${listing((l) => l.one)}`,
      judgement: judgeErrors(experiment, "small-m-beats-large-m", large.map((l) => ({ baseline: l.one.test, candidate: small.test, radius: l.rho }))),
      details: `Per-seed d = large-m (1 step, at the rho the rule fixes) - small-m final test error. ${context}.`,
    }),
    judgedClaim(experiment, "multistep-does-not-reach-small-m", {
      ourValue: `${labels.small}: ${describeErrors(small.testSummary)}; ${labels.largeSteps}: ${listing((l) => l.many)}`,
      judgement: judgeErrors(experiment, "multistep-does-not-reach-small-m", large.map((l) => ({ baseline: l.many.test, candidate: small.test, radius: l.rho }))),
      details: `Per-seed d = large-m (${settings.large.steps} steps, at the rho the rule fixes) - small-m final test error. ${context}.`,
    }),
    judgedClaim(experiment, "multistep-no-gain-at-large-m", {
      ourValue: `${labels.large}: ${listing((l) => l.one)}; ${labels.largeSteps}: ${listing((l) => l.many)}`,
      judgement: judgeErrors(experiment, "multistep-no-gain-at-large-m", large.map((l) => ({ baseline: l.one.test, candidate: l.many.test, radius: l.rho }))),
      details: `Per-seed d = 1 step - ${settings.large.steps} steps final test error at large m. ${context}.`,
    }),
  ];
  return figureOutput(experiment, {
    setup: settings,
    scaledDown: `${context} (paper: ResNet-18 on CIFAR-10, batch >= 256, m = 4 vs 256, 10 ascent steps, rho in [0, 0.3]). Estimated ${estimateMultistep(settings)} min when no run exists.`,
    data: { rows, erm, small, large },
    spec,
    claims,
    started,
    results: results.values(),
  });
}

export function multistepJobs(settings: Settings): TrainJob[] {
  const a = arms(settings);
  return jobsOf([a.erm, a.small, ...a.large.flatMap((l) => [l.one, l.many])]);
}

export function estimateMultistep(settings: Settings): number {
  return estimateMinutes(multistepJobs(settings));
}
export { settingsSchema as multistepSettingsSchema };
