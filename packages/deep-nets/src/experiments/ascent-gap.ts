import { createHash } from "node:crypto";
import path from "node:path";
import type { FigureOutput } from "@sam-repro/figures";
import { z } from "zod";
import { CURVES, lineChart, type Row } from "@sam-repro/figures";
import {
  declaredRule,
  describeErrors,
  judgePaired,
  judgedClaim,
  loadExperiment,
  pairedDifferences,
  readJsonIfExists,
  summarize,
  writeJsonAtomic,
  type Profile,
} from "@sam-repro/runner";
import { SeededRandom } from "@sam-repro/runtime";
import { ResNet } from "../models/resnet.js";
import { epochSeed, prepareData } from "../training/prepared-data.js";
import { readWeightsFile, runsDirectory, type RunResult } from "../training/run-store.js";
import { modelConfigOf } from "../training/trainer.js";
import { figureOutput, scaleContext, trainConfig } from "./common.js";
import { ascentGaps, type AscentGap } from "./ascent-gap-measure.js";
import { cachedCifar, jobDirectory, runJobs, type TrainJob } from "./jobs.js";
import { arm, armFinals, estimateMinutes, figureBasics, jobsOf, modelCostScale, passSeconds, type Arm } from "./shared-runs.js";

export const ASCENT_GAP_ID = "ascent-gap-vs-m";

const settingsSchema = z
  .strictObject({
    ...figureBasics,
    /** The SAM-trained model (the ERM-trained one is the plain ERM run). */
    sam: z.strictObject({ rho: z.number().positive(), m: z.number().int().min(1).optional() }),
    /** The measurement (ascent-gap-measure.ts): radius, m values, training examples, the K-step maximizer. */
    measure: z.strictObject({
      rho: z.number().positive(),
      ms: z.array(z.number().int().min(1)).min(2),
      examples: z.number().int().min(1),
      iterations: z.number().int().min(2),
      stepSizeMultiplier: z.number().positive(),
    }),
  })
  .superRefine((s, context) => {
    for (const m of s.measure.ms) if (s.measure.examples % m !== 0) context.addIssue({ code: "custom", path: ["measure", "ms"], message: `m = ${m} does not divide measure.examples = ${s.measure.examples}` });
  });
type Settings = z.infer<typeof settingsSchema>;

function arms(settings: Settings): { erm: Arm; sam: Arm } {
  return {
    erm: arm("erm", "ERM model", settings.base, settings.seeds, { sam: { variant: "sgd" } }),
    sam: arm("sam", "SAM model", settings.base, settings.seeds, { sam: { variant: "sam", rho: settings.sam.rho, ...(settings.sam.m ? { m: settings.sam.m } : {}) } }),
  };
}

/** The ascent gaps of one trained run, measured once and kept beside the runs (keyed by the run and the measurement). */
function measuredGaps(job: TrainJob, result: RunResult, profile: Profile, measure: Settings["measure"]): AscentGap[] {
  const key = createHash("sha256").update(JSON.stringify(measure)).digest("hex").slice(0, 12);
  const file = path.join(runsDirectory(), "deep-nets", profile, "ascent-gap", `${job.name}-${result.hash}-${key}.json`);
  const cached = readJsonIfExists<AscentGap[]>(file);
  if (cached) return cached.map((gap) => ({ ...gap, factor: Number(gap.factor) }));
  const config = result.config;
  const data = prepareData(config, cachedCifar(config.dataset));
  const model = new ResNet(modelConfigOf(config, data.classes), config.seed);
  try {
    const weights = readWeightsFile(path.join(jobDirectory(job, profile), result.weightsFile));
    model.writeWeights({ parameters: weights.parameters, statistics: weights.statistics });
    const indices = new SeededRandom(epochSeed(config.seed, config.epochs + 1, "evaluation")).permutation(data.train.count).slice(0, measure.examples);
    if (indices.length < measure.examples) throw new RangeError(`measure.examples: ${measure.examples} is more than the ${data.train.count} training images`);
    const gaps = ascentGaps(model, data.train, indices, measure, config.seed);
    writeJsonAtomic(file, gaps);
    return gaps;
  } finally {
    model.dispose();
  }
}

/**
 * How well one ascent step solves the inner max, against m (SPEC-ADDENDUM F-a): the suboptimality factor
 * S_K(m) / S_1(m) of ascent-gap-measure.ts for an ERM-trained and a SAM-trained model, per seed.
 * The paper: the factor grows with m, much faster for the ERM model (evidence that a small m solves
 * the inner maximization better).
 */
export async function reproduceAscentGap(profile: Profile): Promise<FigureOutput> {
  const started = performance.now();
  const experiment = loadExperiment(ASCENT_GAP_ID, profile, settingsSchema);
  const settings = experiment.settings;
  const a = arms(settings);
  const results = await runJobs(jobsOf([a.erm, a.sam]), profile, ASCENT_GAP_ID);
  const gapsOf = (x: Arm): Array<AscentGap[] | null> =>
    x.jobs.map((job) => {
      const result = results.get(job.name);
      return result && result.status === "completed" ? measuredGaps(job, result, profile, settings.measure) : null;
    });
  const gaps = { erm: gapsOf(a.erm), sam: gapsOf(a.sam) };
  const ms = settings.measure.ms;
  const factorsAt = (model: "erm" | "sam", m: number) => gaps[model].map((perSeed) => perSeed?.find((g) => g.m === m)?.factor ?? null);
  const rows: Row[] = [];
  for (const model of ["erm", "sam"] as const) {
    for (const m of ms) {
      const factor = summarize(factorsAt(model, m));
      const sharpness = summarize(gaps[model].map((perSeed) => perSeed?.find((g) => g.m === m)?.multiStep.sharpness ?? null));
      const method = a[model].label;
      rows.push({ panel: "Suboptimality factor S_K / S_1", method, m, value: factor.mean, lower: factor.min, upper: factor.max });
      rows.push({ panel: "m-sharpness S_K (K-step ascent)", method, m, value: sharpness.mean, lower: sharpness.min, upper: sharpness.max });
    }
  }
  const paper = experiment.reference as { erm?: Record<string, number>; sam?: Record<string, number> };
  const referenceRows: Row[] = (["erm", "sam"] as const).flatMap((model) =>
    Object.entries(paper[model] ?? {}).map(([m, value]) => ({ panel: "Suboptimality factor S_K / S_1", method: a[model].label, m: Number(m), value })),
  );
  const ermFinals = armFinals(a.erm, results);
  const samFinals = armFinals(a.sam, results);
  const spec = lineChart({
    title: "How well one ascent step solves the inner maximization, against m",
    subtitle: `profile ${profile}; rho ${settings.measure.rho}, K = ${settings.measure.iterations} steps of ${settings.measure.stepSizeMultiplier} rho on ${settings.measure.examples} training images; models: test / train error ERM ${(100 * ermFinals.testSummary.mean).toFixed(1)}% / ${(100 * ermFinals.trainSummary.mean).toFixed(1)}%, SAM ${(100 * samFinals.testSummary.mean).toFixed(1)}% / ${(100 * samFinals.trainSummary.mean).toFixed(1)}%; diamonds: the paper (ResNet-18)`,
    data: rows,
    referenceRows,
    x: { field: "m", title: "m (examples per perturbation)", scale: "log" },
    y: { field: "value", title: "Value" },
    color: { field: "method", title: "Model", domain: [a.erm.label, a.sam.label], range: [CURVES.ermRed.color, CURVES.sam.color] },
    band: { lower: "lower", upper: "upper" },
    facet: { field: "panel", columns: 2, independentY: true },
    points: true,
  });

  const [smallest, largest] = [Math.min(...ms), Math.max(...ms)];
  const plain = (v: number) => (Number.isFinite(v) ? v.toFixed(3) : String(v));
  const growth = (model: "erm" | "sam") => pairedDifferences(factorsAt(model, largest), factorsAt(model, smallest));
  const logGrowth = (model: "erm" | "sam") => factorsAt(model, largest).map((f, i) => (f !== null && factorsAt(model, smallest)[i] ? Math.log(f / factorsAt(model, smallest)[i]!) : null));
  const describe = (model: "erm" | "sam") => ms.map((m) => `m=${m}: ${plain(summarize(factorsAt(model, m)).mean)}`).join(", ");
  const context = `${scaleContext(settings.base, settings.seeds)}; SAM model rho ${settings.sam.rho}${settings.sam.m ? `, m ${settings.sam.m}` : ""}; measured at rho ${settings.measure.rho}`;
  const claims = (["erm", "sam"] as const).map((model) =>
    judgedClaim(experiment, `factor-grows-with-m-${model}`, {
      ourValue: `${a[model].label}: ${describe(model)} (mean over seeds)`,
      judgement: judgePaired(declaredRule(experiment, `factor-grows-with-m-${model}`, ["paired-t-improves"]), [{ differences: growth(model) }], plain),
      details: `Per-seed d = factor(m = ${largest}) - factor(m = ${smallest}). ${context}.`,
    }),
  );
  claims.push(
    judgedClaim(experiment, "grows-faster-for-erm", {
      ourValue: `log growth factor(${largest})/factor(${smallest}): ERM ${logGrowth("erm").map((v) => (v === null ? "n/a" : plain(v))).join(", ")}; SAM ${logGrowth("sam").map((v) => (v === null ? "n/a" : plain(v))).join(", ")}`,
      judgement: judgePaired(declaredRule(experiment, "grows-faster-for-erm", ["paired-t-improves"]), [{ differences: pairedDifferences(logGrowth("erm"), logGrowth("sam")) }], plain),
      details: `Per-seed d = log(f_ERM(${largest})/f_ERM(${smallest})) - log(f_SAM(${largest})/f_SAM(${smallest})); the ERM and SAM runs of a seed share data and initialization. ${context}.`,
    }),
  );
  return figureOutput(experiment, {
    setup: settings,
    scaledDown: `${context}; m in {${ms.join(", ")}} (paper: ResNet-18 on CIFAR-10, m in {4, 16, 64, 256, 1024}). Models: ERM ${describeErrors(ermFinals.testSummary)}, SAM ${describeErrors(samFinals.testSummary)} test error. Estimated ${estimateAscentGap(settings)} min when no run exists.`,
    data: { rows, gaps },
    spec,
    claims,
    started,
    results: results.values(),
  });
}

/** Seconds of the measurement of one model: per m, examples/m batches of (K + 1) gradient passes plus 4 evaluations. */
export function measurementSeconds(measure: Settings["measure"]): number {
  return measure.ms.reduce((sum, m) => sum + (measure.examples / m) * (measure.iterations + 1 + 4) * passSeconds(m), 0);
}

export function ascentGapJobs(settings: Settings): TrainJob[] {
  const a = arms(settings);
  return jobsOf([a.erm, a.sam]);
}

/** Seconds of the measurements after training (every seed's ERM and SAM model). */
export function ascentGapMeasurementSeconds(settings: Settings): number {
  return 2 * settings.seeds.length * measurementSeconds(settings.measure) * modelCostScale(trainConfig(settings.base, {}));
}

export function estimateAscentGap(settings: Settings): number {
  return estimateMinutes(ascentGapJobs(settings), ascentGapMeasurementSeconds(settings));
}
export { settingsSchema as ascentGapSettingsSchema };
