import type { FigureOutput } from "@sam-repro/figures";
import { z } from "zod";
import { PALETTE, lineChart, type Row } from "@sam-repro/figures";
import { describeErrors, judgedClaim, loadExperiment, type Profile } from "@sam-repro/runner";
import type { MetricRecord } from "../training/run-store.js";
import { baseTrainingSchema, figureOutput, judgeErrors, scaleContext, trainConfig } from "./common.js";
import { runJobs, type TrainJob } from "./jobs.js";
import { arm, armFinals, curveRows, estimateMinutes, figureBasics, jobsOf, type Arm } from "./shared-runs.js";

export const NORMALIZATION_ID = "normalized-vs-unnormalized-sam";

const radii = z.strictObject({ normalized: z.number().positive(), unnormalized: z.number().positive() });

const settingsSchema = z.strictObject({
  ...figureBasics,
  /** The label-noise runs: their own base (label noise, a horizon long enough to memorize). */
  noisyBase: baseTrainingSchema,
  /** rho of SAM (normalized, delta = rho g/||g||) and of USAM (unnormalized, delta = rho g) on clean and noisy labels. */
  clean: radii,
  noisy: radii,
  /** m of both (default: the batch size, standard SAM). */
  m: z.number().int().min(1).optional(),
});
type Settings = z.infer<typeof settingsSchema>;

const LABELS = { normalized: "SAM (normalized)", unnormalized: "USAM (unnormalized)" } as const;

function arms(settings: Settings): Record<"cleanSam" | "cleanUsam" | "noisySam" | "noisyUsam", Arm> {
  const m = settings.m ? { m: settings.m } : {};
  return {
    cleanSam: arm("clean-sam", LABELS.normalized, settings.base, settings.seeds, { sam: { variant: "sam", rho: settings.clean.normalized, ...m } }),
    cleanUsam: arm("clean-usam", LABELS.unnormalized, settings.base, settings.seeds, { sam: { variant: "usam", rho: settings.clean.unnormalized, ...m } }),
    noisySam: arm("noisy-sam", LABELS.normalized, settings.noisyBase, settings.seeds, { sam: { variant: "sam", rho: settings.noisy.normalized, ...m } }),
    noisyUsam: arm("noisy-usam", LABELS.unnormalized, settings.noisyBase, settings.seeds, { sam: { variant: "usam", rho: settings.noisy.unnormalized, ...m } }),
  };
}

/**
 * Normalized vs unnormalized SAM (SPEC-ADDENDUM F-f): SAM's perturbation rho g/||g|| against USAM's rho g,
 * with clean labels and with symmetric label noise. Over epochs: test error and train error (clean
 * panel) or train error on the noisy samples w.r.t. their noisy labels (noisy panel; 100% = nothing
 * memorized). The paper: the same clean generalization; under 60% noise normalized SAM eventually
 * memorizes (test error up, noisy-train error down) while USAM does not within the horizon.
 */
export async function reproduceNormalization(profile: Profile): Promise<FigureOutput> {
  const started = performance.now();
  const experiment = loadExperiment(NORMALIZATION_ID, profile, settingsSchema);
  const settings = experiment.settings;
  const a = arms(settings);
  const results = await runJobs(jobsOf(Object.values(a)), profile, NORMALIZATION_ID);
  const panel = (name: string, rows: Row[]) => rows.map((row) => ({ ...row, metric: `${name}: ${String(row.metric)}` }));
  const clean: Array<{ name: string; of: (r: MetricRecord) => number | null }> = [
    { name: "test error", of: (r) => r.testError },
    { name: "train error", of: (r) => r.trainEvalError },
  ];
  const noisy: Array<{ name: string; of: (r: MetricRecord) => number | null }> = [
    { name: "test error", of: (r) => r.testError },
    { name: "train error on noisy samples", of: (r) => r.noisyTrainError },
  ];
  const rows: Row[] = [
    ...[a.cleanSam, a.cleanUsam].flatMap((x) => panel("Clean labels", curveRows(x, results, clean))),
    ...[a.noisySam, a.noisyUsam].flatMap((x) => panel("Label noise", curveRows(x, results, noisy))),
  ];
  // The paper's marks are placed at the same fraction of our horizon (its runs are 1000 epochs).
  const reference = (experiment.reference as { marks?: Array<{ metric: string; method: keyof typeof LABELS; epochFraction: number; value: number }> }).marks ?? [];
  const horizon = (metric: string) => trainConfig(metric.startsWith("Label noise") ? settings.noisyBase : settings.base, {}).epochs;
  const referenceRows: Row[] = reference.map((mark) => ({ metric: mark.metric, method: LABELS[mark.method], epoch: Math.round(mark.epochFraction * horizon(mark.metric)), value: mark.value }));
  const spec = lineChart({
    title: "Normalized vs unnormalized SAM, clean labels and label noise",
    subtitle: `profile ${profile}; mean over seeds ${settings.seeds.join(", ")}, band = min..max; diamonds: the paper (read off its figure, at the paper's epochs scaled to ours)`,
    data: rows,
    referenceRows,
    x: { field: "epoch", title: "Epoch" },
    y: { field: "value", title: "Error (%)" },
    color: { field: "method", title: "Method", domain: [LABELS.normalized, LABELS.unnormalized], range: [PALETTE.blue, PALETTE.orange] },
    band: { lower: "lower", upper: "upper" },
    facet: { field: "metric", columns: 2, independentY: true },
  });

  const f = { cleanSam: armFinals(a.cleanSam, results), cleanUsam: armFinals(a.cleanUsam, results), noisySam: armFinals(a.noisySam, results), noisyUsam: armFinals(a.noisyUsam, results) };
  const cleanContext = `${scaleContext(settings.base, settings.seeds)}; rho ${settings.clean.normalized} (SAM) vs ${settings.clean.unnormalized} (USAM)`;
  const noisyContext = `${scaleContext(settings.noisyBase, settings.seeds)}, ${JSON.stringify(settings.noisyBase.labelNoise)}; rho ${settings.noisy.normalized} (SAM) vs ${settings.noisy.unnormalized} (USAM)`;
  const claims = [
    judgedClaim(experiment, "clean-same-generalization", {
      ourValue: `clean test error SAM ${describeErrors(f.cleanSam.testSummary)}, USAM ${describeErrors(f.cleanUsam.testSummary)}; train error SAM ${describeErrors(f.cleanSam.trainSummary)}, USAM ${describeErrors(f.cleanUsam.trainSummary)}`,
      judgement: judgeErrors(experiment, "clean-same-generalization", [{ baseline: f.cleanUsam.test, candidate: f.cleanSam.test }]),
      details: `Per-seed d = USAM - SAM final test error. ${cleanContext}.`,
    }),
    judgedClaim(experiment, "noise-normalized-memorizes", {
      ourValue: `final train error on the noisy samples: SAM ${describeErrors(f.noisySam.noisyTrainSummary)}, USAM ${describeErrors(f.noisyUsam.noisyTrainSummary)}`,
      judgement: judgeErrors(experiment, "noise-normalized-memorizes", [{ baseline: f.noisyUsam.noisyTrain, candidate: f.noisySam.noisyTrain }]),
      details: `Per-seed d = USAM - SAM final error on the noisy training samples w.r.t. their noisy labels (positive: SAM has fitted more of the wrong labels). ${noisyContext}.`,
    }),
    judgedClaim(experiment, "noise-unnormalized-lower-test-error", {
      ourValue: `final test error with label noise: SAM ${describeErrors(f.noisySam.testSummary)}, USAM ${describeErrors(f.noisyUsam.testSummary)}`,
      judgement: judgeErrors(experiment, "noise-unnormalized-lower-test-error", [{ baseline: f.noisySam.test, candidate: f.noisyUsam.test }]),
      details: `Per-seed d = SAM - USAM final test error. ${noisyContext}.`,
    }),
  ];
  return figureOutput(experiment, {
    setup: settings,
    scaledDown: `clean: ${cleanContext}; noisy: ${noisyContext} (paper: ResNet-18 on CIFAR-10, 1000 epochs, one run each). Estimated ${estimateNormalization(settings)} min when no run exists.`,
    data: { rows, finals: f },
    spec,
    claims,
    started,
    results: results.values(),
  });
}

export function normalizationJobs(settings: Settings): TrainJob[] {
  return jobsOf(Object.values(arms(settings)));
}

export function estimateNormalization(settings: Settings): number {
  return estimateMinutes(normalizationJobs(settings));
}
export { settingsSchema as normalizationSettingsSchema };
