import type { FigureOutput } from "@sam-repro/figures";
import { z } from "zod";
import { CURVES, lineChart, type Row } from "@sam-repro/figures";
import { declaredRule, describeErrors, judgeThreshold, judgedClaim, loadExperiment, percent, type Profile } from "@sam-repro/runner";
import { figureOutput, judgeErrors, scaleContext, trainConfig } from "./common.js";
import type { MetricRecord } from "../training/run-store.js";
import { runJobs, type TrainJob } from "./jobs.js";
import { arm, armFinals, curveRows, estimateMinutes, figureBasics, jobsOf, type Arm } from "./shared-runs.js";

export const BOTH_CONVERGE_ID = "erm-sam-both-converge";

const settingsSchema = z.strictObject({
  ...figureBasics,
  sam: z.strictObject({ rho: z.number().positive(), m: z.number().int().min(1).optional() }),
  /** "Converged": the final train error (eval mode, evalTrainSize training images) at most this, for every run. */
  convergedTrainError: z.number().min(0).max(1),
});
type Settings = z.infer<typeof settingsSchema>;

function arms(settings: Settings): { erm: Arm; sam: Arm } {
  return {
    erm: arm("erm", "ERM", settings.base, settings.seeds, { sam: { variant: "sgd" } }),
    sam: arm("sam", "SAM", settings.base, settings.seeds, { sam: { variant: "sam", rho: settings.sam.rho, ...(settings.sam.m ? { m: settings.sam.m } : {}) } }),
  };
}

/** Metrics drawn over epochs: train loss (eval mode, on evalTrainSize training images), train error, test error. */
const METRICS: Array<{ name: string; of: (record: MetricRecord) => number | null; scale?: number }> = [
  { name: "Train loss", of: (r) => r.trainEvalLoss ?? r.trainLoss, scale: 1 },
  { name: "Train error (%)", of: (r) => r.trainEvalError },
  { name: "Test error (%)", of: (r) => r.testError },
];

/**
 * Both converge, SAM generalizes better (SPEC-ADDENDUM F-e): train loss, train error and test error over
 * the epochs for ERM and SAM. The paper's reading: SAM does not help by preventing convergence; both
 * reach ~0 train error and near-0 train loss while SAM's test error is lower.
 */
export async function reproduceBothConverge(profile: Profile): Promise<FigureOutput> {
  const started = performance.now();
  const experiment = loadExperiment(BOTH_CONVERGE_ID, profile, settingsSchema);
  const settings = experiment.settings;
  const { erm, sam } = arms(settings);
  const results = await runJobs(jobsOf([erm, sam]), profile, BOTH_CONVERGE_ID);
  const rows: Row[] = [erm, sam].flatMap((a) => curveRows(a, results, METRICS));
  const epochs = trainConfig(settings.base, {}).epochs;
  const paper = experiment.reference as { final?: Record<string, { trainLoss: number; testError: number }> };
  const referenceRows: Row[] = Object.entries(paper.final ?? {}).flatMap(([method, values]) => [
    { metric: "Train loss", method, epoch: epochs, value: values.trainLoss },
    { metric: "Test error (%)", method, epoch: epochs, value: values.testError },
  ]);
  const spec = lineChart({
    title: "ERM and SAM both converge; SAM generalizes better",
    subtitle: `profile ${profile}; SAM = ${settings.sam.m ? `${settings.sam.m}-SAM` : "SAM (m = the batch)"}, rho ${settings.sam.rho}; mean over seeds ${settings.seeds.join(", ")}, band = min..max; diamonds: the paper's final values (1000 epochs), drawn at our last epoch`,
    data: rows,
    referenceRows,
    x: { field: "epoch", title: "Epoch" },
    y: { field: "value", title: "Value" },
    color: { field: "method", title: "Method", domain: ["ERM", "SAM"], range: [CURVES.ermRed.color, CURVES.sam.color] },
    band: { lower: "lower", upper: "upper" },
    facet: { field: "metric", columns: 3, independentY: true },
  });

  const ermFinals = armFinals(erm, results);
  const samFinals = armFinals(sam, results);
  const context = `${scaleContext(settings.base, settings.seeds)}; SAM rho ${settings.sam.rho}${settings.sam.m ? `, m ${settings.sam.m}` : ""}`;
  const trainErrors = [...ermFinals.train, ...samFinals.train];
  const worst = trainErrors.some((e) => e === null) ? Number.NaN : Math.max(...(trainErrors as number[]));
  const losses = (f: typeof ermFinals) => f.trainLoss.map((l) => (l === null ? "n/a" : l.toFixed(4))).join(", ");
  const claims = [
    judgedClaim(experiment, "both-converge", {
      ourValue: `final train error ERM ${describeErrors(ermFinals.trainSummary)}, SAM ${describeErrors(samFinals.trainSummary)}; final train loss ERM ${losses(ermFinals)}, SAM ${losses(samFinals)}`,
      judgement: judgeThreshold(declaredRule(experiment, "both-converge", ["threshold"]), worst, settings, (v) => percent(v)),
      details: `The largest final train error over both methods and all seeds (a diverged run counts as not converged). ${context}.`,
    }),
    judgedClaim(experiment, "sam-generalizes-better", {
      ourValue: `test error ERM ${describeErrors(ermFinals.testSummary)}, SAM ${describeErrors(samFinals.testSummary)}`,
      judgement: judgeErrors(experiment, "sam-generalizes-better", [{ baseline: ermFinals.test, candidate: samFinals.test }]),
      details: `Per-seed d = ERM - SAM final test error. ${context}.`,
    }),
  ];
  return figureOutput(experiment, {
    setup: settings,
    scaledDown: `${context} (paper: ResNet-18 on CIFAR-10 with augmentation, 1000 epochs, LR drops at 500 and 750, one run each). Estimated ${estimateBothConverge(settings)} min when no run exists.`,
    data: { rows, erm: ermFinals, sam: samFinals },
    spec,
    claims,
    started,
    results: results.values(),
  });
}

export function bothConvergeJobs(settings: Settings): TrainJob[] {
  const { erm, sam } = arms(settings);
  return jobsOf([erm, sam]);
}

export function estimateBothConverge(settings: Settings): number {
  return estimateMinutes(bothConvergeJobs(settings));
}
export { settingsSchema as bothConvergeSettingsSchema };
