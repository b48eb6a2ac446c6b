import type { FigureOutput } from "@sam-repro/figures";
import { z } from "zod";
import { CURVES, lineChart, mSamCurve, type ClaimResult, type Row } from "@sam-repro/figures";
import { loadExperiment, type Profile } from "@sam-repro/runner";
import {
  baseTrainingSchema,
  figureOutput,
  claimResult,
  describeGain,
  describeSummary,
  finalTestError,
  pairedGain,
  finalTrainError,
  percent,
  scaleContext,
  seedsSchema,
  summarize,
  trainConfig,
  type Summary,
} from "./common.js";
import { runJobs, type TrainJob } from "./jobs.js";

export const MSAM_ID = "msam-vs-m";

const settingsSchema = z.strictObject({
  seeds: seedsSchema,
  /** GroupNorm model, so that BatchNorm statistics of the m-sized sub-batches do not confound m (SPEC 1.4, 5.B2). */
  base: baseTrainingSchema,
  rho: z.number().positive(),
  /** The m values (each must divide the batch size), largest first. */
  ms: z.array(z.number().int().min(1)).min(2),
  /** m-sharpness of the final weights (SPEC 1.7), or null. */
  sharpness: z.record(z.string(), z.unknown()).nullable().default(null),
});
type Settings = z.infer<typeof settingsSchema>;

interface Point {
  m: number | null;
  test: Summary;
  train: Summary;
  sharpness: Summary;
  /** Final test error per seed (order of settings.seeds). */
  perSeed: Array<number | null>;
}

/**
 * m-SAM (SPEC 1.2, 5.B2): final test error against m at fixed rho, plus ERM, on a GroupNorm ResNet.
 * The paper's claim: the test error decreases as m decreases.
 */
export async function reproduceMsam(profile: Profile): Promise<FigureOutput> {
  const started = performance.now();
  const experiment = loadExperiment(MSAM_ID, profile, settingsSchema);
  const settings = experiment.settings;
  const jobs: Array<TrainJob & { m: number | null }> = [];
  const extra = settings.sharpness ? { sharpness: settings.sharpness } : {};
  for (const seed of settings.seeds) {
    jobs.push({ name: `msam-erm-s${seed}`, m: null, config: trainConfig(settings.base, { seed, sam: { variant: "sgd" }, ...extra }) });
    for (const m of settings.ms) {
      jobs.push({ name: `msam-m${m}-s${seed}`, m, config: trainConfig(settings.base, { seed, sam: { variant: "sam", rho: settings.rho, m }, ...extra }) });
    }
  }
  const results = await runJobs(jobs, profile, MSAM_ID);
  const points: Point[] = [null, ...settings.ms].map((m) => {
    const runs = jobs.filter((job) => job.m === m).map((job) => results.get(job.name));
    return {
      m,
      test: summarize(runs.map(finalTestError)),
      train: summarize(runs.map(finalTrainError)),
      sharpness: summarize(runs.map((run) => run?.sharpness?.sharpness ?? null)),
      perSeed: runs.map(finalTestError),
    };
  });

  const batch = trainConfig(settings.base, {}).batchSize;
  const erm = points[0]!;
  const sam = points.slice(1);
  const rows: Row[] = [];
  const ms = settings.ms;
  for (const metric of ["Test error", "Train error"] as const) {
    const of = (p: Point) => (metric === "Test error" ? p.test : p.train);
    for (const m of [Math.min(...ms), Math.max(...ms)]) {
      rows.push({ metric, method: "ERM", m, error: 100 * of(erm).mean, lower: 100 * of(erm).min, upper: 100 * of(erm).max });
    }
    for (const p of sam) rows.push({ metric, method: `m-SAM, rho = ${settings.rho}`, m: p.m, error: 100 * of(p).mean, lower: 100 * of(p).min, upper: 100 * of(p).max });
  }
  const curves = [{ ...CURVES.ermGray, label: "ERM" }, { ...mSamCurve(0), label: `m-SAM, rho = ${settings.rho}` }];
  const spec = lineChart({
    title: "m-SAM: error vs m at fixed rho",
    subtitle: `profile ${profile}; ${String(settings.base.model)} (GroupNorm), batch ${batch}; mean over seeds ${settings.seeds.join(", ")}, band = min..max`,
    data: rows,
    x: { field: "m", title: "m (examples per perturbation)", scale: "log" },
    y: { field: "error", title: "Error (%)" },
    color: { field: "method", title: "Method", domain: curves.map((c) => c.label), range: curves.map((c) => c.color) },
    band: { lower: "lower", upper: "upper" },
    facet: { field: "metric", columns: 2, independentY: true },
    points: true,
  });

  const claims = msamClaims(experiment, settings, erm, sam, batch);
  return figureOutput(experiment, {
    setup: settings,
    scaledDown: `${scaleContext(settings.base, settings.seeds)}; m in {${settings.ms.join(", ")}} (paper: ResNet-18 GN on 45k images, batch 128, m down to 1 would need 128 sequential passes per step).`,
    data: { points: points.map((p) => ({ m: p.m ?? "ERM", testError: p.test, trainError: p.train, sharpness: p.sharpness })), rows },
    spec,
    claims,
    started,
    results: results.values(),
  });
}

function msamClaims(
  experiment: ReturnType<typeof loadExperiment<typeof settingsSchema>>,
  settings: Settings,
  erm: Point,
  sam: Point[],
  batch: number,
): ClaimResult[] {
  const context = scaleContext(settings.base, settings.seeds);
  const byM = [...sam].sort((a, b) => b.m! - a.m!);
  const largest = byM[0]!;
  const smallest = byM[byM.length - 1]!;
  const overall = pairedGain(largest.perSeed, smallest.perSeed);
  // A step to a smaller m that is consistently worse breaks "decreases with m".
  const reversals = byM.slice(1).filter((p, i) => pairedGain(p.perSeed, byM[i]!.perSeed).consistentGain);
  const listing = byM.map((p) => `m=${p.m}: ${describeSummary(p.test)} (train ${percent(p.train.mean)})`).join("; ");
  const rule = "lower test error on every seed (same data and initialization per seed) with the mean paired gain above twice its standard error";
  const claims: ClaimResult[] = [
    claimResult(
      experiment,
      "error-decreases-with-m",
      `${listing}; ERM ${describeSummary(erm.test)} (train ${percent(erm.train.mean)}); m=${smallest.m} vs m=${largest.m}: ${describeGain(overall)}`,
      overall.consistentGain && reversals.length === 0 ? "holds" : "does not hold",
      `Holds when m = ${smallest.m} beats m = ${largest.m} with ${rule}, and no smaller m is consistently worse than the next larger one. rho = ${settings.rho}. ${context}.`,
    ),
  ];
  const versusErm = pairedGain(erm.perSeed, smallest.perSeed);
  claims.push(
    claimResult(
      experiment,
      "small-m-beats-erm",
      `m=${smallest.m}: ${describeSummary(smallest.test)} vs ERM ${describeSummary(erm.test)}: gain ${describeGain(versusErm)}`,
      versusErm.consistentGain ? "holds" : "does not hold",
      `Holds when m-SAM with the smallest m beats ERM with ${rule}. Batch ${batch}. ${context}.`,
    ),
  );
  return claims;
}
