import type { FigureOutput } from "@sam-repro/figures";
import path from "node:path";
import { z } from "zod";
import { PALETTE, DASHES, lineChart, type ClaimResult, type Row } from "@sam-repro/figures";
import { declaredRule, judgeThreshold, judgedClaim, loadExperiment, notRunClaim, type ExperimentConfig, type Profile } from "@sam-repro/runner";
import { SeededRandom } from "@sam-repro/runtime";
import { ResNet } from "../models/resnet.js";
import { epochSeed, prepareData } from "../training/prepared-data.js";
import { interpolate, type InterpolationPoint } from "../training/interpolation.js";
import { readWeightsFile } from "../training/run-store.js";
import { modelConfigOf } from "../training/trainer.js";
import { figureOutput, judgeErrors, scaleContext, trainConfig } from "./common.js";
import { FIG9_ID, fig9Jobs, finetuningJobs, finetuningSettingsSchema, runFinetuning } from "./fig9-finetuning.js";
import { cachedCifar, jobDirectory, type TrainJob } from "./jobs.js";
import { PARALLEL_WORKERS, SECONDS_PER_IMAGE, modelCostScale } from "./shared-runs.js";

export const FIG10_ID = "fig10-interpolation";

export const fig10SettingsSchema = z.strictObject({
  /** The runs come from this figure's config at the same profile (the same runs, trained once). */
  runsFrom: z.literal(FIG9_ID),
  alphaFrom: z.number().default(-1),
  alphaTo: z.number().default(2),
  alphaStep: z.number().positive().default(0.05),
  /** Training images for the BatchNorm statistics at each point (SPEC 1.7: 5,000, augmented). */
  statisticsImages: z.number().int().min(1).default(5000),
  /** Train and test images on which loss and error are measured (SPEC 1.7: 1,024). */
  evalImages: z.number().int().min(1).default(1024),
  /** Train-loss barrier tolerance: max over a in [0,1] minus the larger endpoint (nats). */
  barrierTolerance: z.number().min(0).default(0.05),
});

type Fig10Settings = z.infer<typeof fig10SettingsSchema>;

/** The runs of Fig. 10: those of Fig. 9 at the same profile. */
export function fig10Jobs(_settings: Fig10Settings, profile: Profile): TrainJob[] {
  return fig9Jobs(loadExperiment(FIG9_ID, profile, finetuningSettingsSchema).settings, profile);
}

/** Seconds of the interpolation: per seed and a, BatchNorm statistics over statisticsImages and two evaluations of evalImages (forward passes). */
export function fig10MeasurementSeconds(settings: Fig10Settings, profile: Profile): number {
  const training = loadExperiment(FIG9_ID, profile, finetuningSettingsSchema).settings;
  const alphas = Math.round((settings.alphaTo - settings.alphaFrom) / settings.alphaStep) + 1;
  const images = settings.statisticsImages + 2 * settings.evalImages;
  return (training.seeds.length * alphas * images * SECONDS_PER_IMAGE.forward * modelCostScale(trainConfig(training.base, {}))) / PARALLEL_WORKERS;
}

/**
 * Fig. 10 (SPEC 3.7, 5.B3): train and test loss along theta(a) = (1 - a) theta_{ERM->SAM} + a theta_ERM,
 * a in [-1, 2]: the ERM -> SAM end (a = 0) and the ERM end (a = 1) of Fig. 9's runs.
 */
export async function reproduceFig10(profile: Profile): Promise<FigureOutput> {
  const started = performance.now();
  const experiment = loadExperiment(FIG10_ID, profile, fig10SettingsSchema);
  const settings = experiment.settings;
  const training = loadExperiment(FIG9_ID, profile, finetuningSettingsSchema).settings;
  const results = await runFinetuning(training, profile, `${FIG10_ID} (runs of ${FIG9_ID})`);
  const { bases, continuations } = finetuningJobs(training, profile);
  const steps = Math.round((settings.alphaTo - settings.alphaFrom) / settings.alphaStep);
  const alphas = Array.from({ length: steps + 1 }, (_, i) => Number((settings.alphaFrom + i * settings.alphaStep).toFixed(6)));

  const perSeed: Array<{ seed: number; points: InterpolationPoint[]; weightDistance?: number }> = [];
  for (const seed of training.seeds) {
    const ermJob = bases.find((j) => j.role === "erm" && j.seed === seed)!;
    const ermSamJob = continuations.find((j) => j.role === "erm-sam" && j.seed === seed)!;
    const erm = results.get(ermJob.name);
    const ermSam = results.get(ermSamJob.name);
    if (!erm || !ermSam || erm.status !== "completed" || ermSam.status !== "completed") continue;
    const config = ermSam.config;
    const data = prepareData(config, cachedCifar(config.dataset));
    const model = new ResNet(modelConfigOf(config, data.classes), config.seed);
    const random = new SeededRandom(epochSeed(seed, 0, "evaluation"));
    const order = random.permutation(data.train.count);
    const start = readWeightsFile(path.join(jobDirectory(ermSamJob, profile), ermSam.weightsFile)).parameters;
    const end = readWeightsFile(path.join(jobDirectory(ermJob, profile), erm.weightsFile)).parameters;
    const points = interpolate(model, start, end, data.train, data.test, {
      alphas,
      statisticsIndices: order.slice(0, Math.min(settings.statisticsImages, data.train.count)),
      statisticsBatchSize: config.batchSize,
      augment: config.augment,
      trainIndices: order.slice(0, Math.min(settings.evalImages, data.train.count)),
      testIndices: Int32Array.from({ length: Math.min(settings.evalImages, data.test.count) }, (_, i) => i),
      seed,
    });
    model.dispose();
    perSeed.push({ seed, points, weightDistance: weightDistance(start, end) });
  }

  const rows: Row[] = [];
  for (const { seed, points } of perSeed) {
    for (const p of points) {
      rows.push({ seed: `seed ${seed}`, curve: "Test loss", alpha: p.alpha, loss: p.test.loss, error: p.test.error });
      rows.push({ seed: `seed ${seed}`, curve: "Train loss", alpha: p.alpha, loss: p.train.loss, error: p.train.error });
    }
  }
  const spec = lineChart({
    title: "Fig. 10: loss between the ERM → SAM (a = 0) and ERM (a = 1) weights",
    subtitle: `profile ${profile}; one line per seed; BatchNorm statistics recomputed at every point`,
    data: rows,
    x: { field: "alpha", title: "Interpolation between model weights" },
    y: { field: "loss", title: "Cross-entropy", scale: "log" },
    color: { field: "curve", title: "Curve", domain: ["Test loss", "Train loss"], range: [PALETTE.blue, PALETTE.red] },
    strokeDash: { field: "curve", domain: ["Test loss", "Train loss"], range: [[...DASHES.solid], [...DASHES.dashed]] },
    detail: "seed",
  });

  const claims = fig10Claims(experiment, settings.barrierTolerance, perSeed, scaleContext(training.base, training.seeds));
  return figureOutput(experiment, {
    setup: { ...settings, training },
    scaledDown: `Runs of ${FIG9_ID} at this profile (${scaleContext(training.base, training.seeds)}); a step ${settings.alphaStep} (paper 0.05), ${settings.evalImages} evaluation images (paper 1,024), BatchNorm statistics from ${settings.statisticsImages} training images (paper 5,000).`,
    data: { alphas, perSeed },
    spec,
    claims,
    started,
    results: results.values(),
  });
}

/** Euclidean distance ||a - b||_2 between two weight vectors given as lists of arrays of equal shapes (float64 sums). */
export function weightDistance(a: ReadonlyArray<ArrayLike<number>>, b: ReadonlyArray<ArrayLike<number>>): number {
  let sum = 0;
  a.forEach((values, i) => {
    const other = b[i]!;
    for (let j = 0; j < values.length; j++) sum += (values[j]! - other[j]!) ** 2;
  });
  return Math.sqrt(sum);
}

/**
 * The claims of Fig. 10 (pure; `rejudge` re-applies it to a committed data.json). The barrier of a seed is the
 * largest train loss on a in [0, 1] minus the larger endpoint loss (relative to the endpoints, not the start),
 * judged by the config's threshold rule; the test errors at the two ends are compared paired over seeds.
 * For readers: docs/quantities.md ("Loss barrier", "Weight distance").
 */
export function fig10Claims(
  experiment: ExperimentConfig<unknown>,
  tolerance: number,
  perSeed: Array<{ seed: number; points: InterpolationPoint[]; weightDistance?: number }>,
  context: string,
): ClaimResult[] {
  if (perSeed.length === 0) {
    return ["no-barrier", "erm-sam-lower-test-error"].map((id) => notRunClaim(experiment, id, "No completed ERM and ERM -> SAM run pair (diverged or missing)."));
  }
  const at = (points: InterpolationPoint[], a: number) => points.reduce((best, p) => (Math.abs(p.alpha - a) < Math.abs(best.alpha - a) ? p : best));
  const barriers = perSeed.map(({ points }) => {
    const endpoints = Math.max(at(points, 0).train.loss, at(points, 1).train.loss);
    const inside = points.filter((p) => p.alpha >= 0 && p.alpha <= 1).map((p) => p.train.loss);
    return Math.max(...inside) - endpoints;
  });
  const ends = perSeed.map(({ points }) => ({ ermSam: at(points, 0).test.error, erm: at(points, 1).test.error }));
  return [
    judgedClaim(experiment, "no-barrier", {
      ourValue: `largest train-loss rise above the endpoints on a in [0, 1]: ${barriers.map((b, i) => `seed ${perSeed[i]!.seed} ${b.toFixed(4)}`).join(", ")} nats; weight distance ||theta_ERM->SAM - theta_ERM||: ${perSeed.map((p) => (p.weightDistance === undefined ? "not recorded" : p.weightDistance.toFixed(3))).join(", ")}`,
      judgement: judgeThreshold(declaredRule(experiment, "no-barrier", ["threshold"]), Math.max(...barriers), { barrierTolerance: tolerance }),
      details: `Barrier per seed = max train loss on a in [0, 1] minus the larger endpoint loss. ${context}.`,
    }),
    judgedClaim(experiment, "erm-sam-lower-test-error", {
      ourValue: ends.map((t, i) => `seed ${perSeed[i]!.seed}: ERM -> SAM ${(100 * t.ermSam).toFixed(2)}% vs ERM ${(100 * t.erm).toFixed(2)}%`).join("; "),
      judgement: judgeErrors(experiment, "erm-sam-lower-test-error", [{ baseline: ends.map((t) => t.erm), candidate: ends.map((t) => t.ermSam), label: "ERM - ERM -> SAM" }]),
      details: `Test error on the evaluation images at a = 1 (ERM) minus at a = 0 (ERM -> SAM), paired over seeds (the paper: lower on 2 of 3 seeds). ${context}.`,
    }),
  ];
}
